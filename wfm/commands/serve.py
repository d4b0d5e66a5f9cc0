"""`wfm serve` and `wfm users add`: the planning service and its users."""

from __future__ import annotations

from typing import Annotated

import typer

from wfm.core import run
from wfm.options import Database
from wfm.render import print_serving, print_token

__all__ = ["serve", "users_add"]


def serve(
    db: Database = "sqlite:///wfm.db",
    host: Annotated[str, typer.Option(help="The address to listen on (127.0.0.1: this machine only).")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535, help="The port to listen on.")] = 8000,
    workers: Annotated[int, typer.Option(min=1, max=64, help="Processes that run the jobs (solves).")] = 2,
    max_upload_mb: Annotated[
        float, typer.Option(min=0.001, max=4096, help="The largest request body (an upload), in MB; larger is 413.")
    ] = 256,
) -> None:
    """Run the planning service (web pages at /, REST API with OpenAPI at /docs) on its store, migrating it first."""
    import uvicorn

    from service.app import create_app
    from service.store import open_store
    from service.store.store import safe_url

    store = run(lambda: open_store(db))
    print_serving(host, port, safe_url(db))
    try:
        app = create_app(store, workers, max_upload_bytes=int(max_upload_mb * 2**20))
        uvicorn.run(app, host=host, port=port, log_level="warning")
    finally:
        store.close()


def users_add(
    name: Annotated[str, typer.Argument(help="The user's name (unique).")],
    role: Annotated[str, typer.Option(help="planner, supervisor, analyst or viewer.")],
    agent: Annotated[
        str | None, typer.Option(help="The agent id (in the centre) this user is: their own week on the web pages.")
    ] = None,
    db: Database = "sqlite:///wfm.db",
) -> None:
    """Add a user with a role and print their API token once, alone on the last line (only its hash is kept)."""
    from service.store import check_user, open_store

    def job() -> str:
        check_user(name, role)  # before the store is opened (or made)
        store = open_store(db)
        try:
            return store.add_user(name, role, agent)
        finally:
            store.close()

    token = run(job)
    print_token(name, role, token)

"""A real PostgreSQL server for the tests that run on both stores (SQLite and PostgreSQL).

The server is a fresh cluster in a temporary folder on 127.0.0.1, run as an unprivileged user when the tests run
as root (as in CI; PostgreSQL refuses root), stopped by its process id. Where PostgreSQL's programs are not
installed the PostgreSQL cases skip, saying so; `.ci/run` installs them. The fixtures are in conftest.py:
`postgres_url` (one server per test module) and `store_url` (a fresh database per test, on each store).
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import text

__all__ = ["SKIP_REASON", "free_port", "new_database", "postgres_bin", "postgres_server"]

SKIP_REASON = "PostgreSQL's server programs (initdb, pg_ctl) are not installed; .ci/run installs them"


def postgres_bin() -> Path | None:
    """The folder of PostgreSQL's server programs (initdb, pg_ctl), on PATH or where Debian installs them."""
    on_path = shutil.which("initdb")
    if on_path:
        return Path(on_path).resolve().parent
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"))
    return found[-1].parent if found else None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _user_exists(name: str) -> bool:
    import pwd

    try:
        pwd.getpwnam(name)
    except KeyError:
        return False
    return True


@contextmanager
def postgres_server(binaries: Path) -> Iterator[str]:
    """A PostgreSQL server of its own on 127.0.0.1 (user `wfm`, trust authentication): its URL, for the block."""
    # Not under pytest's own temporary folder, which only root may enter.
    folder = Path(tempfile.mkdtemp(prefix="wfm-postgres-"))
    data = folder / "data"
    run_as: list[str] = []
    if os.geteuid() == 0:  # PostgreSQL refuses to run as root: as an unprivileged user, owning the folder
        user = "postgres" if shutil.which("runuser") and _user_exists("postgres") else "nobody"
        shutil.chown(folder, user)
        folder.chmod(0o700)
        run_as = ["runuser", "-u", user, "--"]
    port = free_port()
    subprocess.run(
        [*run_as, str(binaries / "initdb"), "-D", str(data), "-U", "wfm", "--auth=trust", "-E", "UTF8"],
        check=True,
        capture_output=True,
    )
    server = subprocess.Popen(
        [*run_as, str(binaries / "postgres"), "-D", str(data), "-h", "127.0.0.1", "-p", str(port), "-k", str(folder)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1):
                    break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("the PostgreSQL server did not start") from None
                time.sleep(0.2)
        time.sleep(0.5)  # accepting connections a moment after the port opens
        yield f"postgresql+psycopg://wfm@127.0.0.1:{port}/postgres"
    finally:
        server.terminate()  # a smart shutdown by process id
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(timeout=10)
        shutil.rmtree(folder, ignore_errors=True)


def new_database(base: str) -> str:
    """The URL of a new, empty database on the server of `base` (the URL of its `postgres` database)."""
    from service.store import open_store

    name = f"t{os.getpid()}_{time.monotonic_ns()}"
    admin = open_store(base)
    try:
        with admin.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    finally:
        admin.close()
    return base.rsplit("/", 1)[0] + f"/{name}"

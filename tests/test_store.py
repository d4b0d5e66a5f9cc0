"""The plan store: its schema made by the migrations on SQLite and on a real PostgreSQL server, the migrations
matching the models, users with hashed tokens, and `wfm users add`.

The PostgreSQL server (`postgres_url` in conftest.py) is started for this module on 127.0.0.1 (a fresh cluster in
a temporary folder, run as an unprivileged user when the tests run as root, as in CI) and stopped by its process
id. Where PostgreSQL's programs are not installed the PostgreSQL cases skip, saying so; `.ci/run` installs them.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, inspect, text
from typer.testing import CliRunner

from models import InputError
from service.store import ROLES, Base, hash_token, open_store
from service.store.store import MIGRATIONS
from tests.postgres_helpers import free_port, new_database
from wfm import cli
from wfm.exit_codes import ExitCode

TABLES = {
    "alembic_version",
    "centers",
    "center_versions",
    "datasets",
    "job_files",
    "jobs",
    "plans",
    "rosters",
    "users",
    "web_sessions",
}


@pytest.fixture(params=["sqlite", "postgresql"])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'wfm.db'}"
        return
    yield new_database(request.getfixturevalue("postgres_url"))  # a database of its own per test


def test_opening_makes_the_schema_and_opening_again_changes_nothing(url: str) -> None:
    store = open_store(url)
    try:
        assert set(inspect(store.engine).get_table_names()) == TABLES
        with store.engine.connect() as connection:
            assert connection.execute(text("SELECT version_num FROM alembic_version")).scalar() == "0003"
    finally:
        store.close()
    again = open_store(url)
    try:
        assert set(inspect(again.engine).get_table_names()) == TABLES
    finally:
        again.close()


def test_the_migrations_make_exactly_the_models_tables(url: str) -> None:
    store = open_store(url)
    try:
        with store.engine.connect() as connection:
            differences = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    finally:
        store.close()
    assert differences == [], "the models changed without a migration: add one (alembic revision --autogenerate)"


def test_a_store_made_by_an_older_release_is_upgraded_keeping_its_rows(url: str) -> None:
    """A store at the first revision, with a user and a centre in it, opened by this release: the new tables come,
    nothing stored before is lost."""
    engine = create_engine(url)
    try:
        with engine.begin() as connection:
            config = Config()
            config.set_main_option("script_location", str(MIGRATIONS))
            config.attributes["connection"] = connection
            command.upgrade(config, "0001")
            connection.execute(
                text("INSERT INTO users (name, role, token_hash, active) VALUES ('ana', 'planner', 'h', true)")
            )
            connection.execute(text("INSERT INTO centers (name) VALUES ('north')"))
    finally:
        engine.dispose()
    store = open_store(url)
    try:
        assert set(inspect(store.engine).get_table_names()) == TABLES
        with store.engine.connect() as connection:
            assert connection.execute(text("SELECT name, role FROM users")).all() == [("ana", "planner")]
            assert connection.execute(text("SELECT name FROM centers")).scalars().all() == ["north"]
    finally:
        store.close()


def test_a_user_token_is_given_once_and_only_its_hash_is_kept(url: str) -> None:
    store = open_store(url)
    try:
        token = store.add_user(" ann ", "planner")
        user = store.user_for_token(token)
        assert user is not None and (user.name, user.role) == ("ann", "planner")
        assert store.user_for_token(token + "x") is None
        with store.engine.connect() as connection:
            stored = connection.execute(text("SELECT token_hash FROM users")).scalars().all()
        assert stored == [hash_token(token)] and token not in stored
    finally:
        store.close()


def test_bad_users_are_input_errors(url: str) -> None:
    store = open_store(url)
    try:
        store.add_user("ann", "viewer")
        with pytest.raises(InputError, match="exists already"):
            store.add_user("ann", "analyst")
        with pytest.raises(InputError, match="is not a role"):
            store.add_user("bob", "boss")
        with pytest.raises(InputError, match="empty"):
            store.add_user("  ", "viewer")
    finally:
        store.close()


def test_sqlite_runs_in_wal_mode(tmp_path: Path) -> None:
    path = tmp_path / "wfm.db"
    open_store(f"sqlite:///{path}").close()
    with sqlite3.connect(path) as connection:
        assert connection.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_a_url_that_cannot_be_used_names_the_option() -> None:
    with pytest.raises(InputError, match="--db") as caught:
        open_store("nosuchdb://x")
    assert "postgresql+psycopg://" in str(caught.value)
    with pytest.raises(InputError) as refused:
        open_store(f"postgresql+psycopg://u:secret@127.0.0.1:{free_port()}/db")
    assert "secret" not in str(refused.value) and "u:***@" in str(refused.value)


def test_users_add_prints_the_token_alone_on_the_last_line(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'wfm.db'}"
    result = CliRunner().invoke(cli.app, ["users", "add", "ann", "--role", "supervisor", "--db", url])
    assert result.exit_code == ExitCode.OK, result.output
    token = result.stdout.strip().splitlines()[-1]
    store = open_store(url)
    try:
        user = store.user_for_token(token)
        assert user is not None and user.role == "supervisor"
    finally:
        store.close()


@pytest.mark.parametrize("role", ["boss", ""])
def test_users_add_with_a_bad_role_exits_2_and_makes_no_store(tmp_path: Path, role: str) -> None:
    path = tmp_path / "wfm.db"
    result = CliRunner().invoke(cli.app, ["users", "add", "ann", "--role", role, "--db", f"sqlite:///{path}"])
    assert result.exit_code == ExitCode.BAD_INPUT
    assert "is not a role" in result.stderr and ", ".join(ROLES) in result.stderr
    assert not path.exists()


def test_the_migrations_go_down_to_nothing_and_up_again(url: str) -> None:
    """Every revision's downgrade undoes its upgrade: down to the empty database, then up to the newest again."""
    open_store(url).close()
    engine = create_engine(url)
    try:
        for target, left in (
            ("0002", TABLES - {"web_sessions"}),
            ("0001", {"alembic_version", "centers", "center_versions", "jobs", "rosters", "users"}),
            ("base", {"alembic_version"}),
            ("head", TABLES),
        ):
            with engine.begin() as connection:
                config = Config()
                config.set_main_option("script_location", str(MIGRATIONS))
                config.attributes["connection"] = connection
                if target == "head":
                    command.upgrade(config, target)
                else:
                    command.downgrade(config, target)
            assert set(inspect(engine).get_table_names()) == left, target
    finally:
        engine.dispose()

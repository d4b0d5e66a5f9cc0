"""The plan store: its schema made by the migrations on SQLite and on a real PostgreSQL server, the migrations
matching the models, users with hashed tokens, and `wfm users add`.

The PostgreSQL server is started by this module on 127.0.0.1 (a fresh cluster in a temporary folder, run as an
unprivileged user when the tests run as root, as in CI) and stopped by its process id. Where PostgreSQL's
programs are not installed the PostgreSQL cases skip, saying so; `.ci/run` installs them.
"""

from __future__ import annotations

import os
import shutil
import socket
import sqlite3
import subprocess
import tempfile
import time
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
from wfm import cli
from wfm.exit_codes import ExitCode

TABLES = {"alembic_version", "centers", "center_versions", "datasets", "job_files", "jobs", "plans", "rosters", "users"}


def _postgres_bin() -> Path | None:
    """The folder of PostgreSQL's server programs (initdb, pg_ctl), on PATH or where Debian installs them."""
    on_path = shutil.which("initdb")
    if on_path:
        return Path(on_path).resolve().parent
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"))
    return found[-1].parent if found else None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@pytest.fixture(scope="module")
def postgres_url() -> Iterator[str]:
    """A PostgreSQL server of its own for this module, on 127.0.0.1, stopped by its process id at the end."""
    binaries = _postgres_bin()
    if binaries is None:
        pytest.skip("PostgreSQL's server programs (initdb, pg_ctl) are not installed; .ci/run installs them")
    # Not under pytest's own temporary folder, which only root may enter.
    folder = Path(tempfile.mkdtemp(prefix="wfm-postgres-"))
    data = folder / "data"
    run_as: list[str] = []
    if os.geteuid() == 0:  # PostgreSQL refuses to run as root: as an unprivileged user, owning the folder
        user = "postgres" if shutil.which("runuser") and _user_exists("postgres") else "nobody"
        shutil.chown(folder, user)
        folder.chmod(0o700)
        run_as = ["runuser", "-u", user, "--"]
    port = _free_port()
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


def _user_exists(name: str) -> bool:
    import pwd

    try:
        pwd.getpwnam(name)
    except KeyError:
        return False
    return True


@pytest.fixture(params=["sqlite", "postgresql"])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'wfm.db'}"
        return
    base: str = request.getfixturevalue("postgres_url")
    # A database of its own per test, dropped after it.
    name = f"t{os.getpid()}_{time.monotonic_ns()}"
    admin = open_store(base)
    try:
        with admin.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    finally:
        admin.close()
    yield base.rsplit("/", 1)[0] + f"/{name}"


def test_opening_makes_the_schema_and_opening_again_changes_nothing(url: str) -> None:
    store = open_store(url)
    try:
        assert set(inspect(store.engine).get_table_names()) == TABLES
        with store.engine.connect() as connection:
            assert connection.execute(text("SELECT version_num FROM alembic_version")).scalar() == "0002"
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
        open_store(f"postgresql+psycopg://u:secret@127.0.0.1:{_free_port()}/db")
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

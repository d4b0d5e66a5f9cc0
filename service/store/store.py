"""Open the plan store: the engine for a database URL (SQLite in WAL mode by default, PostgreSQL by URL), its
schema brought to the newest migration, and the few operations the service's users need first.

URLs: ``sqlite:///wfm.db`` (a file; the default), ``postgresql+psycopg://USER:PASSWORD@HOST:PORT/DB``.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, event, select
from sqlalchemy.exc import ArgumentError, IntegrityError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from models.errors import InputError, Problem
from service.store.schema import ROLES, JobFile, User

__all__ = [
    "DEFAULT_URL",
    "MIGRATIONS",
    "Store",
    "check_user",
    "find_job_file",
    "hash_token",
    "open_store",
    "safe_url",
]

DEFAULT_URL = "sqlite:///wfm.db"
MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def hash_token(token: str) -> str:
    """The stored form of an API token: its SHA-256 (a token is 256 random bits, so no salt or slow hash is needed
    against guessing; a leaked table does not give the tokens)."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


@dataclass
class Store:
    url: str
    engine: Engine
    sessions: sessionmaker[Session]

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A session whose work is committed at the end of the block, or rolled back on an error."""
        with self.sessions.begin() as session:
            yield session

    def add_user(self, name: str, role: str, agent_id: str | None = None) -> str:
        """A new user with `role` (`agent_id`: the centre's agent they are, for their own week on the web pages);
        returns the API token, which is not kept (only its hash is)."""
        name = check_user(name, role)
        if agent_id is not None and not 0 < len(agent_id.strip()) <= 100:
            raise InputError("--agent", Problem("", "the agent id is empty or longer than 100", "give the agent's id"))
        token = secrets.token_urlsafe(32)
        try:
            with self.session() as session:
                session.add(
                    User(
                        name=name,
                        role=role,
                        token_hash=hash_token(token),
                        agent_id=None if agent_id is None else agent_id.strip(),
                    )
                )
        except IntegrityError:
            raise InputError("NAME", Problem("", f"a user '{name}' exists already", "choose another name")) from None
        return token

    def user_for_token(self, token: str) -> User | None:
        """The active user holding `token`, or None."""
        with self.sessions() as session:
            user = session.scalars(select(User).where(User.token_hash == hash_token(token), User.active)).first()
            if user is not None:
                session.expunge(user)
            return user

    def close(self) -> None:
        self.engine.dispose()


def find_job_file(session: Session, job_id: str, name: str) -> JobFile | None:
    """The file `name` the job `job_id` wrote, or None."""
    found: JobFile | None = session.scalars(
        select(JobFile).where(JobFile.job_id == job_id, JobFile.name == name)
    ).first()
    return found


def check_user(name: str, role: str) -> str:
    """The user's name, stripped, where it and `role` can be stored: else an `InputError`."""
    name = name.strip()
    if not name:
        raise InputError("NAME", Problem("", "the user's name is empty", "give a name, e.g. ann"))
    if len(name) > 100:
        raise InputError("NAME", Problem("", f"the name has {len(name)} characters", "use at most 100"))
    if role not in ROLES:
        raise InputError("--role", Problem("", f"'{role}' is not a role", f"use one of {', '.join(ROLES)}"))
    return name


def open_store(url: str = DEFAULT_URL) -> Store:
    """The store at `url`, its schema upgraded to the newest migration (creating it in an empty database). A URL
    that cannot be used is an `InputError` naming it."""
    try:
        engine = create_engine(url, **_engine_options(url))
    except (ArgumentError, ImportError, ValueError) as exc:
        raise InputError(
            "--db", Problem("", f"'{safe_url(url)}' is not a database URL this service can use: {exc}", _URL_FIX)
        ) from None
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
    try:
        with engine.begin() as connection:
            config = Config()
            config.set_main_option("script_location", str(MIGRATIONS))
            config.attributes["connection"] = connection
            command.upgrade(config, "head")
    except OperationalError as exc:
        engine.dispose()
        raise InputError("--db", Problem("", f"cannot open '{safe_url(url)}': {exc.orig}", _URL_FIX)) from None
    return Store(url, engine, sessionmaker(engine, expire_on_commit=False))


_URL_FIX = "give sqlite:///FILE.db or postgresql+psycopg://USER:PASSWORD@HOST:PORT/DATABASE"


def _engine_options(url: str) -> dict[str, Any]:
    if url.startswith("sqlite"):
        # The service's threads share the file; SQLite serialises the writes (WAL lets readers go on meanwhile).
        return {"connect_args": {"check_same_thread": False, "timeout": 30}}
    return {"pool_pre_ping": True}


def _sqlite_pragmas(connection: Any, _record: Any) -> None:
    cursor = connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def safe_url(url: str) -> str:
    """`url` without its password."""
    head, at, tail = url.rpartition("@")
    if not at:
        return url
    scheme, _, credentials = head.partition("://")
    user = credentials.split(":", 1)[0]
    return f"{scheme}://{user}:***@{tail}"

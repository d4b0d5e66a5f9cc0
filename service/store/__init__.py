"""The plan store: SQLAlchemy 2 over SQLite (the embedded default, WAL mode) or PostgreSQL, its schema made and
upgraded by Alembic migrations applied when the store opens."""

from service.store.schema import ROLES, Base, CenterVersion, Job, Roster, User
from service.store.store import DEFAULT_URL, Store, check_user, hash_token, open_store

__all__ = [
    "DEFAULT_URL",
    "ROLES",
    "Base",
    "CenterVersion",
    "Job",
    "Roster",
    "Store",
    "User",
    "check_user",
    "hash_token",
    "open_store",
]

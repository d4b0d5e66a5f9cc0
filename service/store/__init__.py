"""The plan store: SQLAlchemy 2 over SQLite (the embedded default, WAL mode) or PostgreSQL, its schema made and
upgraded by Alembic migrations applied when the store opens."""

from service.store.schema import (
    DATASET_KINDS,
    ROLES,
    Base,
    CenterVersion,
    Dataset,
    Job,
    JobFile,
    Plan,
    Roster,
    User,
    WebSession,
)
from service.store.store import DEFAULT_URL, Store, check_user, find_job_file, hash_token, open_store

__all__ = [
    "DATASET_KINDS",
    "DEFAULT_URL",
    "ROLES",
    "Base",
    "CenterVersion",
    "Dataset",
    "Job",
    "JobFile",
    "Plan",
    "Roster",
    "Store",
    "User",
    "WebSession",
    "check_user",
    "find_job_file",
    "hash_token",
    "open_store",
]

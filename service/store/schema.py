"""The store's tables (SQLAlchemy 2 declarative models). The migrations in `migrations/versions` create them; a
change here needs a new migration (`alembic revision --autogenerate` against a store at the previous head).

Large tables (a forecast, a requirement, a roster) are kept as Parquet blobs in the row that owns them, not as
rows of their own: they are always read and written whole, the service never queries inside them, and a week's
roster of 1,000 agents stays one compact, typed value (with its time zones) instead of thousands of rows whose
schema would have to follow every table contract's changes.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Date,
    DateTime,
    ForeignKey,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    func,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

__all__ = [
    "DATASET_KINDS",
    "JOB_STATES",
    "ROLES",
    "ROSTER_STATES",
    "Base",
    "Center",
    "CenterVersion",
    "Dataset",
    "Job",
    "JobFile",
    "Plan",
    "Roster",
    "User",
    "WebSession",
]

#: Who may do what: a planner publishes rosters, a supervisor applies intraday changes, an analyst runs scenarios,
#: a viewer reads.
ROLES = ("planner", "supervisor", "analyst", "viewer")
JOB_STATES = ("queued", "running", "done", "failed", "cancelled")
ROSTER_STATES = ("draft", "published")
#: The tables of a centre kept whole: an uploaded history, a forecast, a requirement (uploaded or made by a job).
DATASET_KINDS = ("history", "forecast", "requirement")


class Base(DeclarativeBase):
    type_annotation_map = {dict[str, Any]: JSON}


class User(Base):
    """A person or a system calling the service, with one role; only the hash of the API token is kept."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    role: Mapped[str] = mapped_column(String(20))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    active: Mapped[bool] = mapped_column(default=True)
    #: The agent this user is (the centre's agent id), for the agent's own week on the web pages.
    agent_id: Mapped[str | None] = mapped_column(String(100), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class Center(Base):
    """A centre by name; its configuration lives in its versions."""

    __tablename__ = "centers"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class CenterVersion(Base):
    """One version of a centre's configuration (its YAML text, as uploaded): a plan keeps the version it was made
    from."""

    __tablename__ = "center_versions"
    __table_args__ = (UniqueConstraint("center_id", "version"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    center_id: Mapped[int] = mapped_column(ForeignKey("centers.id"))
    version: Mapped[int] = mapped_column(Integer)
    yaml: Mapped[str] = mapped_column(Text)
    sha256: Mapped[str] = mapped_column(String(64))
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class Job(Base):
    """A solve run for a user: its kind, parameters, state and live progress, and where its result is."""

    __tablename__ = "jobs"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    kind: Mapped[str] = mapped_column(String(30))
    status: Mapped[str] = mapped_column(String(20), default="queued")
    center_version_id: Mapped[int | None] = mapped_column(ForeignKey("center_versions.id"))
    params: Mapped[dict[str, Any]] = mapped_column(default=dict)
    progress: Mapped[dict[str, Any]] = mapped_column(default=dict)
    result: Mapped[dict[str, Any] | None] = mapped_column(nullable=True)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    started_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class Roster(Base):
    """A roster (a Parquet blob of the roster contract) of a centre version, draft or published (by whom, when)."""

    __tablename__ = "rosters"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    center_version_id: Mapped[int] = mapped_column(ForeignKey("center_versions.id"))
    job_id: Mapped[str | None] = mapped_column(ForeignKey("jobs.id"), nullable=True)
    status: Mapped[str] = mapped_column(String(20), default="draft")
    table: Mapped[bytes] = mapped_column(LargeBinary)
    summary: Mapped[dict[str, Any]] = mapped_column(default=dict)
    published_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    published_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class Dataset(Base):
    """A table of a centre kept whole as a Parquet blob, checked when it came in: an uploaded history (checked as
    `wfm validate` checks it), a forecast or a requirement (uploaded, or made by the job `job_id`). `meta` holds
    what reading it found: a history's kind (tickets or intervals), time zone, first and last moment, work types,
    and the notes and warnings of the check."""

    __tablename__ = "datasets"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    center_id: Mapped[int] = mapped_column(ForeignKey("centers.id"))
    kind: Mapped[str] = mapped_column(String(20))
    name: Mapped[str] = mapped_column(String(200))
    rows: Mapped[int] = mapped_column(Integer)
    table: Mapped[bytes] = mapped_column(LargeBinary)
    meta: Mapped[dict[str, Any]] = mapped_column(default=dict)
    job_id: Mapped[str | None] = mapped_column(ForeignKey("jobs.id"), nullable=True)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class JobFile(Base):
    """One file a job wrote (a plan's `roster.csv`, `report.html`, `calendars/a0001.ics`, ...), stored with the
    job's end in the same transaction: a job's files are all there or none is."""

    __tablename__ = "job_files"
    __table_args__ = (UniqueConstraint("job_id", "name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    job_id: Mapped[str] = mapped_column(ForeignKey("jobs.id"))
    name: Mapped[str] = mapped_column(String(300))
    media_type: Mapped[str] = mapped_column(String(100))
    content: Mapped[bytes] = mapped_column(LargeBinary)


class Plan(Base):
    """A plan (history -> forecast -> requirement -> roster -> simulation -> diagnosis) of a centre version, made
    by the job `job_id`: its files are that job's, its roster a draft until a planner publishes it."""

    __tablename__ = "plans"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    job_id: Mapped[str] = mapped_column(ForeignKey("jobs.id"))
    center_version_id: Mapped[int] = mapped_column(ForeignKey("center_versions.id"))
    history_id: Mapped[int] = mapped_column(ForeignKey("datasets.id"))
    start: Mapped[date] = mapped_column(Date)
    days: Mapped[int] = mapped_column(Integer)
    roster_id: Mapped[int | None] = mapped_column(ForeignKey("rosters.id"), nullable=True)
    status: Mapped[str] = mapped_column(String(20))
    summary: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())

    roster: Mapped[Roster | None] = relationship()


class WebSession(Base):
    """A signed-in browser (the web pages): the SHA-256 of its session cookie, whose user it is, the token its
    forms must carry (CSRF) and when it expires. Signing out deletes it."""

    __tablename__ = "web_sessions"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    csrf: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))

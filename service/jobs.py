"""The service's asynchronous jobs: each runs in a worker process of a pool, reports its progress in its row of
the `jobs` table and stores its result there, whole, when it ends.

A job's life: `submit` inserts the row `queued` and returns its id at once; a worker process opens its own store
from the URL, marks it `running`, runs the job function of its kind and finally writes, in one transaction,
`done` with the result, `failed` with the error (an `InputError`'s text for bad input), or `cancelled` (with the
best result so far where the job had one: a roster keeps its best roster). While it runs, a thread of the worker
writes the latest progress at most every `PROGRESS_EVERY_S` and watches the row for a cancel request.

The cancel request is kept in the row's `error` (who asked), which nothing else writes while a job runs, so the
request crosses processes (and servers sharing the store) and is never lost to a progress write. A job still
`queued` becomes `cancelled` at once.

A server that is killed leaves jobs `running` or `queued`: its worker processes see it gone, stop their running
jobs as if cancelled (keeping their best result) and take no more; the next `JobRunner` on the store marks what
is still `running` or `queued` `failed` with `RECOVERED_ERROR` (nothing such a job would have written was
written: a job writes its result only at its end). One server runs the jobs of a store.
"""

from __future__ import annotations

import contextlib
import json
import math
import multiprocessing
import os
import signal
import threading
import time
from collections.abc import Mapping
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures import wait as wait_futures
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from uuid import uuid4

import numpy as np
from sqlalchemy import select, update

from models import InputError, PlannerError, Problem
from planner.runtime import Cancellation, Interrupted
from service.kinds import FILES, JOB_KINDS, ROWS, JobContext
from service.kinds.base import media_type
from service.store import Job, JobFile, Store, User, open_store

__all__ = [
    "CANCEL_POLL_S",
    "JOB_KINDS",
    "JOB_NICE",
    "PROGRESS_EVERY_S",
    "RECOVERED_ERROR",
    "TABLE_KEYS",
    "JobContext",
    "JobRunner",
    "run_job",
]

#: The error of a job that was running or queued when its server stopped.
RECOVERED_ERROR = "the server stopped while it ran; submit it again"
#: The least time between two progress writes of one job.
PROGRESS_EVERY_S = 0.5
#: How often a running job's row is read for a cancel request (and its pending progress written).
CANCEL_POLL_S = 0.25
#: Seconds a stopping server gives its running jobs to stop by themselves before their processes are ended.
SHUTDOWN_GRACE_S = 15.0
#: Seconds the worker processes get to exit once their jobs have ended, before they are ended.
EXIT_S = 5.0
#: How much less CPU priority a job's worker process (and every thread it starts: the solvers') has than the
#: server (`os.nice`), so that on a machine whose cores the jobs fill the API's requests are scheduled first.
JOB_NICE = 10
#: Result keys that hold whole tables: served by `GET /api/jobs/{id}/result`, left out of the job's status.
TABLE_KEYS = ("roster_csv",)
FINISHED = ("done", "failed", "cancelled")


# -- the runner (in the server's process) --------------------------------------------------------------------------


class JobRunner:
    """Runs jobs in `workers` processes (spawned: no state of the server is shared), on `store` (a database the
    workers can open from its URL: a file or a server, not an in-memory SQLite database). Starting marks the jobs
    a stopped server left unfinished as failed (`recover`)."""

    def __init__(self, store: Store, *, workers: int = 2) -> None:
        if workers < 1:
            raise ValueError(f"workers must be at least 1, got {workers}")
        self.store = store
        self.workers = workers
        self._pool: ProcessPoolExecutor | None = None
        self._futures: dict[str, Future[None]] = {}
        self._lock = threading.Lock()
        self.recovered = self.recover()

    def recover(self) -> list[str]:
        """Mark the jobs left `running` or `queued` by a stopped server `failed` (`RECOVERED_ERROR`); their ids."""
        with self.store.session() as session:
            ids = list(session.scalars(select(Job.id).where(Job.status.in_(("running", "queued")))))
            if ids:
                session.execute(
                    update(Job)
                    .where(Job.id.in_(ids), Job.status.in_(("running", "queued")))
                    .values(status="failed", error=RECOVERED_ERROR, finished_at=_now())
                )
        return ids

    def submit(self, kind: str, params: Mapping[str, Any], user: User | None) -> str:
        """Check the parameters (an `InputError` for bad ones), store the job `queued` and schedule it; its id."""
        if kind not in JOB_KINDS:
            raise InputError("kind", Problem("", f"no job kind '{kind}'", f"use one of {', '.join(JOB_KINDS)}"))
        checked = JOB_KINDS[kind][0](params, self.store)
        job_id = str(uuid4())
        with self.store.session() as session:
            session.add(
                Job(
                    id=job_id,
                    kind=kind,
                    status="queued",
                    center_version_id=checked.get("center_version_id"),
                    params=checked,
                    progress={},
                    created_by=None if user is None else user.id,
                    created_at=_now(),
                )
            )
        with self._lock:
            future = self._executor().submit(run_job, self.store.url, job_id)
            self._futures[job_id] = future
        future.add_done_callback(lambda done: self._finished(job_id, done))
        return job_id

    def cancel(self, job_id: str, by: str) -> str | None:
        """Cancel a job: a queued one is `cancelled` at once; a running one is asked to stop (it ends `cancelled`,
        keeping its best result where it has one). Its status after the call, or None for no such job."""
        now = _now()
        with self.store.session() as session:
            queued = session.execute(
                update(Job)
                .where(Job.id == job_id, Job.status == "queued")
                .values(status="cancelled", error=f"cancelled by {by} before it started", finished_at=now)
            )
            if not _rowcount(queued):
                session.execute(
                    update(Job)
                    .where(Job.id == job_id, Job.status == "running", Job.error.is_(None))
                    .values(error=f"cancelled by {by}")
                )
            state = session.scalar(select(Job.status).where(Job.id == job_id))
        with self._lock:
            future = self._futures.get(job_id)
        if state == "cancelled" and future is not None:
            future.cancel()  # frees its place in the pool; a worker that took it already finds it cancelled
        return state

    def _finished(self, job_id: str, future: Future[None]) -> None:
        """A job's process call ended: where it ended abnormally (its process died), the job is `failed`."""
        with self._lock:
            self._futures.pop(job_id, None)
        if future.cancelled():
            return
        error = future.exception()
        if error is None:
            return
        with self.store.session() as session:
            session.execute(
                update(Job)
                .where(Job.id == job_id, Job.status.in_(("queued", "running")))
                .values(status="failed", error=f"the job's worker process stopped: {error}", finished_at=_now())
            )

    def _executor(self) -> ProcessPoolExecutor:
        pool = self._pool
        if pool is None or getattr(pool, "_broken", False):
            pool = ProcessPoolExecutor(
                max_workers=self.workers, mp_context=multiprocessing.get_context("spawn"), initializer=_start_worker
            )
            self._pool = pool
        return pool

    def shutdown(self, grace_s: float = SHUTDOWN_GRACE_S) -> None:
        """Stop: queued jobs are failed (`RECOVERED_ERROR`), running ones asked to stop (keeping their best result)
        and given `grace_s` to do so; worker processes still alive then are ended."""
        with self._lock:
            pool, self._pool = self._pool, None
            futures = list(self._futures.values())
        if pool is None:
            return
        now = _now()
        with self.store.session() as session:
            session.execute(
                update(Job)
                .where(Job.status == "queued")
                .values(status="failed", error=RECOVERED_ERROR, finished_at=now)
            )
            session.execute(
                update(Job)
                .where(Job.status == "running", Job.error.is_(None))
                .values(error="cancelled: the server stopped")
            )
        processes = list(getattr(pool, "_processes", {}).values())
        pool.shutdown(wait=False, cancel_futures=True)
        wait_futures(futures, timeout=grace_s)
        end = time.monotonic() + EXIT_S
        for process in processes:
            process.join(timeout=max(0.0, end - time.monotonic()))
            if process.is_alive() and process.pid is not None:
                with contextlib.suppress(ProcessLookupError):  # it ended between the check and the kill
                    os.kill(process.pid, signal.SIGKILL)
                process.join(timeout=5)


# -- the worker (in a pool process) ---------------------------------------------------------------------------------

_stores: dict[str, Store] = {}


def _orphaned() -> bool:
    """True in a worker process whose server process has gone (killed): its jobs stop, keeping what they have,
    and it takes no more (the next server fails what was left, `JobRunner.recover`)."""
    parent = multiprocessing.parent_process()
    return parent is not None and not parent.is_alive()


def _worker_store(url: str) -> Store:
    if url not in _stores:
        _stores[url] = open_store(url)
    return _stores[url]


class _Reporter:
    """The job's progress callback and its watcher thread: keeps the latest progress, writes it at most every
    `PROGRESS_EVERY_S`, and cancels the job's token when its row carries a cancel request."""

    def __init__(self, store: Store, job_id: str, cancel: Cancellation) -> None:
        self.store, self.job_id, self.cancel = store, job_id, cancel
        self.latest: dict[str, Any] = {}
        self.pending = False
        self.written_at = -math.inf
        self.request: str | None = None
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, name=f"job {job_id}", daemon=True)

    def __call__(self, progress: dict[str, Any]) -> None:
        with self._lock:
            self.latest, self.pending = jsonable(progress), True

    def __enter__(self) -> _Reporter:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()

    def _watch(self) -> None:
        while not self._stop.wait(CANCEL_POLL_S):
            with self._lock:
                due = self.pending and time.monotonic() - self.written_at >= PROGRESS_EVERY_S
                progress, self.pending = (self.latest, False) if due else (self.latest, self.pending)
            with self.store.session() as session:
                if due:
                    session.execute(
                        update(Job).where(Job.id == self.job_id, Job.status == "running").values(progress=progress)
                    )
                    self.written_at = time.monotonic()
                request = session.scalar(select(Job.error).where(Job.id == self.job_id))
            if request is None and _orphaned():
                request = "cancelled: the server stopped"
            if request is not None and not self.cancel.cancelled:
                self.request = request
                self.cancel.cancel()


#: Held while a worker process runs a job: a worker whose server has gone exits when it holds no job.
_running = threading.Lock()


def _lower_priority() -> None:
    """Lower this process's CPU priority by `JOB_NICE`: its threads started from now on (the solvers') inherit the
    main thread's level; on Linux, where a nice level is a thread's, those started already while the job's modules
    were imported (numpy's) are lowered one by one."""
    level = os.nice(JOB_NICE)
    tasks = Path(f"/proc/{os.getpid()}/task")
    if tasks.is_dir():
        for task in tasks.iterdir():
            with contextlib.suppress(OSError, ValueError):  # a thread that ended meanwhile
                os.setpriority(os.PRIO_PROCESS, int(task.name), level)


def _start_worker() -> None:
    """A pool process's start: its priority lowered (`_lower_priority`), and a thread that ends the process once
    its server has gone and it runs no job."""
    _lower_priority()

    def watch() -> None:
        while True:
            time.sleep(CANCEL_POLL_S)
            if _orphaned() and _running.acquire(blocking=False):
                os._exit(0)

    threading.Thread(target=watch, name="server watch", daemon=True).start()


def run_job(url: str, job_id: str) -> None:
    """Run one stored job in this process (a pool worker): `running`, then its end state, result and error written
    in one transaction. A job that is no longer `queued` (cancelled meanwhile) is left as it is."""
    with _running:
        _run_job(url, job_id)
        if _orphaned():  # the server has gone: what the job had is written, and nobody will read a reply
            os._exit(0)


def _run_job(url: str, job_id: str) -> None:
    if _orphaned():
        return
    store = _worker_store(url)
    with store.session() as session:
        taken = session.execute(
            update(Job).where(Job.id == job_id, Job.status == "queued").values(status="running", started_at=_now())
        )
        if not _rowcount(taken):
            return
        job = session.get(Job, job_id)
        assert job is not None
        kind, params = job.kind, dict(job.params)
    cancel = Cancellation()
    reporter = _Reporter(store, job_id, cancel)
    result: dict[str, Any] | None = None
    error: str | None = None
    rows: dict[str, Any] = {}
    files: dict[str, bytes] = {}
    with reporter:
        try:
            made = dict(JOB_KINDS[kind][1](params, JobContext(store, reporter, cancel)))
            rows, files = made.pop(ROWS, {}), made.pop(FILES, {})
            result = jsonable(made)
            status = "cancelled" if cancel.cancelled else "done"
        except Interrupted as exc:
            status, error = "cancelled", f"{exc}"
        except PlannerError as exc:  # bad input (InputError), no solution in time (SolverError): said as it is
            status, error = "failed", str(exc)
        except Exception as exc:  # noqa: BLE001 - a job's failure is stored, never lost with the process
            status, error = "failed", f"internal error: {type(exc).__name__}: {exc}"
    if status == "cancelled" and cancel.cancelled:
        request = reporter.request or "cancelled"
        error = request if error is None else f"{request}: {error}"
    with contextlib.suppress(_Ended), store.session() as session:  # the end, its rows and files: one transaction
        if result is not None:
            for key, row in rows.items():
                row.job_id = job_id
                session.add(row)
                session.flush()
                result[key] = row.id
            session.add_all(
                JobFile(job_id=job_id, name=name, media_type=media_type(name), content=content)
                for name, content in files.items()
            )
        ended = session.execute(
            update(Job)
            .where(Job.id == job_id, Job.status == "running")
            .values(status=status, result=result, error=error, progress=reporter.latest, finished_at=_now())
        )
        if not _rowcount(ended):
            raise _Ended  # ended meanwhile (failed by a stopping server): none of its rows or files are kept


class _Ended(Exception):
    """A job whose row was ended by someone else while it finished: its end's transaction is rolled back."""


# -- helpers --------------------------------------------------------------------------------------------------------


def jsonable(value: Any) -> Any:
    """`value` as plain JSON: numpy numbers as Python's, non-finite floats as None, dates and times as ISO text."""
    return json.loads(json.dumps(value, default=_plain, allow_nan=True), parse_constant=lambda _: None)


def _plain(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)


def _now() -> datetime:
    return datetime.now(UTC)


def _rowcount(result: Any) -> int:
    return int(getattr(result, "rowcount", 0) or 0)

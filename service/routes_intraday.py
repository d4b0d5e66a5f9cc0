"""Applying an intraday re-plan: a supervisor (or a planner) publishes the re-planned roster of an intraday job,
all of its proposed changes or some of them, as the centre's roster that dispatch uses.

`POST /api/intraday/{job_id}/apply` `{"changes": [ID, ...]}` (optional; default every proposed change; the ids
are those of the job's result's `changes`, the rows of its `changes.csv`):
- all changes: the job's draft roster is published (by whom, when);
- some (or none): a roster is built from the re-plan's starting point (`roster_as_published.csv`: the roster as
  published with the absences taken out) with the re-planned day of each agent whose changes are accepted (an
  agent's day is one choice of the re-plan: all of its changes, or none), checked by the roster's independent
  validator (422 with its findings where the combination breaks a rule), stored and published.
The absences are facts, not proposals: they stay in either way. The published roster's summary records the job,
the roster it replaces, the changes applied and those declined; the replaced roster's summary names its
successor. Refused with 409 when the job has not ended with a re-plan, when it was applied already, or when
another roster of the centre was published after the job was submitted (re-plan on it instead).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

import pandas as pd
from fastapi import APIRouter, Body, Depends, HTTPException, Request, status
from sqlalchemy import select

from models import ROSTER, InputError, Problem
from service.app import role
from service.kinds.base import stored_center
from service.kinds.intraday import AS_PUBLISHED, replan_summary
from service.store import CenterVersion, Job, Roster, Store, User, find_job_file
from service.store.blobs import from_parquet_blob, to_parquet_blob
from service.tables import read_csv_text

__all__ = ["APPLIERS", "apply_intraday", "router"]

#: Who may apply a re-plan: a supervisor (the day's owner) and a planner.
APPLIERS = ("supervisor", "planner")
Applier = Annotated[User, Depends(role(*APPLIERS))]

router = APIRouter(prefix="/api/intraday", tags=["intraday"])


def _store(request: Request) -> Store:
    store: Store = request.app.state.store
    return store


def _accepted(body: dict[str, Any] | None, proposed: list[dict[str, Any]]) -> set[int]:
    """The ids of the changes accepted: every proposed one by default; each id must be a proposed change's, and
    an agent's changes are accepted together."""
    ids = {int(c["id"]) for c in proposed}
    if body is None or body.get("changes") is None:
        return ids
    given = body["changes"]
    if not isinstance(given, list) or any(isinstance(i, bool) or not isinstance(i, int) for i in given):
        raise InputError("body", Problem("changes", f"{given!r} is not a list of ids", "give the ids of the changes"))
    problems = [
        Problem(f"changes[{k}]", f"{i} is not a proposed change of this re-plan", "give ids of its result's changes")
        for k, i in enumerate(given)
        if i not in ids
    ]
    InputError.collect("body", problems)
    accepted = set(given)
    for agent in sorted({str(c["agent_id"]) for c in proposed}):
        own = sorted(int(c["id"]) for c in proposed if str(c["agent_id"]) == agent)
        if accepted & set(own) and not set(own) <= accepted:
            listed = ", ".join(str(i) for i in own)
            what = f"accepts part of agent {agent}'s day: changes {listed} are one choice of the re-plan"
            problems.append(Problem("changes", what, f"accept all of {listed} or none of them"))
    InputError.collect("body", problems)
    return accepted


@router.post("/{job_id}/apply")
def apply_replan(
    job_id: str, request: Request, user: Applier, body: Annotated[dict[str, Any] | None, Body()] = None
) -> dict[str, Any]:
    """Publish an intraday job's re-planned roster, with all its changes or those `changes` names (module
    docstring): the published roster's id, the replaced one's, and the changes applied and declined."""
    return apply_intraday(_store(request), job_id, user, body)


def apply_intraday(store: Store, job_id: str, user: User, body: dict[str, Any] | None) -> dict[str, Any]:
    """Apply the re-plan of the intraday job `job_id` as `user` (`POST /api/intraday/{job_id}/apply`, and the
    supervisor's page): `body` {"changes": [ID, ...]} or None for all; HTTPException 404/409 and InputError (422)
    as the route answers them."""
    with store.session() as session:
        job = session.get(Job, job_id)
        if job is None or job.kind != "intraday":
            raise HTTPException(status.HTTP_404_NOT_FOUND, f"no intraday job {job_id}")
        if job.status != "done" or not job.result:
            raise HTTPException(status.HTTP_409_CONFLICT, f"job {job_id} is {job.status}: it has no re-plan to apply")
        mine = select(Roster.id).where(Roster.job_id == job_id, Roster.status == "published")
        applied = session.scalars(mine).first()
        if applied is not None:
            raise HTTPException(status.HTTP_409_CONFLICT, f"job {job_id} was applied already: roster {applied}")
        version = session.get(CenterVersion, job.center_version_id)
        draft = session.get(Roster, job.result["roster_id"])
        base = session.get(Roster, job.result["base_roster_id"])
        assert version is not None and draft is not None and base is not None
        later = session.scalars(
            select(Roster.id)
            .join(CenterVersion, Roster.center_version_id == CenterVersion.id)
            .where(
                CenterVersion.center_id == version.center_id,
                Roster.status == "published",
                Roster.published_at > job.created_at,
            )
        ).first()
        if later is not None:
            raise HTTPException(
                status.HTTP_409_CONFLICT,
                f"roster {later} of the centre was published after this re-plan was asked for; re-plan on it",
            )
        changes = [c for c in job.result["changes"] if c["change"] != "absence"]
        accepted = _accepted(body, changes)
        record = {
            "job_id": job_id,
            "base_roster_id": base.id,
            "at": job.result["summary"]["at"],
            "applied": sorted(accepted),
            "declined": sorted(int(c["id"]) for c in changes if int(c["id"]) not in accepted),
            "changes": [c for c in changes if int(c["id"]) in accepted],
        }
        now = datetime.now(UTC)
        if len(accepted) == len(changes):
            chosen = draft
            if chosen.summary.get("violations"):
                raise InputError(
                    f"roster {draft.id}", [Problem("", str(v), "re-plan again") for v in draft.summary["violations"]]
                )
        else:
            center = stored_center(store, version.id)
            table = _partial(session, job_id, from_parquet_blob(draft.table), record, center.timezone)
            summary = replan_summary(table, center, f"intraday job {job_id}")
            if summary["violations"]:
                fix = "accept these changes together with the others the re-plan made for them, or all"
                raise InputError("changes", [Problem("", str(v), fix) for v in summary["violations"]])
            chosen = Roster(center_version_id=version.id, job_id=job_id, table=to_parquet_blob(table), summary=summary)
            session.add(chosen)
        chosen.status, chosen.published_by, chosen.published_at = "published", user.id, now
        session.flush()
        chosen.summary = {**chosen.summary, "intraday": {**chosen.summary.get("intraday", {}), **record}}
        if base.status == "published":
            base.summary = {**base.summary, "superseded_by": chosen.id}
        return {
            "roster_id": chosen.id,
            "replaces": base.id,
            "status": chosen.status,
            "published_by": user.name,
            "published_at": now.isoformat(),
            "applied": record["applied"],
            "declined": record["declined"],
        }


def _partial(session: Any, job_id: str, replanned: pd.DataFrame, record: dict[str, Any], zone: str) -> pd.DataFrame:
    """The roster as published (absences taken out) with the re-planned rows of the agents whose changes are
    accepted."""
    found = find_job_file(session, job_id, AS_PUBLISHED)
    if found is None:
        raise HTTPException(status.HTTP_409_CONFLICT, f"job {job_id} has no {AS_PUBLISHED}: apply all or none")
    published = read_csv_text(found.content.decode("utf-8"), ROSTER, AS_PUBLISHED, zone)
    agents = {str(c["agent_id"]) for c in record["changes"]}
    mine = replanned["agent_id"].astype(str).isin(agents)
    theirs = ~published["agent_id"].astype(str).isin(agents)
    table = pd.concat([published[theirs], replanned[mine]], ignore_index=True)
    return table.sort_values(["agent_id", "start"], kind="stable").reset_index(drop=True)

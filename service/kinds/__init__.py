"""The kinds of job the service runs, each a module: its parameter check (run when it is submitted: 422 for bad
parameters, nothing queued) and its job function (run in a worker process), and who may submit it."""

from __future__ import annotations

from service.kinds.base import FILES, ROWS, CheckFunction, JobContext, JobFunction
from service.kinds.plan import check_plan_params, plan_job
from service.kinds.roster import check_roster_params, roster_job

__all__ = ["FILES", "JOB_KINDS", "JOB_ROLES", "ROWS", "JobContext"]

#: Each kind: its parameter check and its job function.
JOB_KINDS: dict[str, tuple[CheckFunction, JobFunction]] = {
    "roster": (check_roster_params, roster_job),
    "plan": (check_plan_params, plan_job),
}
#: The roles that may submit each kind of job.
JOB_ROLES: dict[str, tuple[str, ...]] = {
    "roster": ("planner",),
    "plan": ("planner",),
}

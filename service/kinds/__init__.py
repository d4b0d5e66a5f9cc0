"""The kinds of job the service runs, each a module: its parameter check (run when it is submitted: 422 for bad
parameters, nothing queued) and its job function (run in a worker process), and who may submit it."""

from __future__ import annotations

from service.kinds.assign import assign_job, check_assign_params
from service.kinds.base import FILES, ROWS, CheckFunction, JobContext, JobFunction
from service.kinds.forecast import check_forecast_params, forecast_job
from service.kinds.intraday import check_intraday_params, intraday_job
from service.kinds.plan import check_plan_params, plan_job
from service.kinds.requirements import check_requirements_params, requirements_job
from service.kinds.roster import check_roster_params, roster_job
from service.kinds.scenarios import check_scenarios_params, scenarios_job
from service.kinds.simulate import check_simulate_params, simulate_job

__all__ = ["FILES", "JOB_KINDS", "JOB_ROLES", "ROWS", "JobContext"]

#: Each kind: its parameter check and its job function.
JOB_KINDS: dict[str, tuple[CheckFunction, JobFunction]] = {
    "forecast": (check_forecast_params, forecast_job),
    "requirements": (check_requirements_params, requirements_job),
    "roster": (check_roster_params, roster_job),
    "plan": (check_plan_params, plan_job),
    "simulate": (check_simulate_params, simulate_job),
    "assign": (check_assign_params, assign_job),
    "intraday": (check_intraday_params, intraday_job),
    "scenarios": (check_scenarios_params, scenarios_job),
}
#: The roles that may submit each kind of job.
JOB_ROLES: dict[str, tuple[str, ...]] = {
    "forecast": ("planner", "analyst"),
    "requirements": ("planner", "analyst"),
    "roster": ("planner",),
    "plan": ("planner",),
    "simulate": ("planner", "supervisor", "analyst"),
    "assign": ("planner", "supervisor"),
    "intraday": ("supervisor",),
    "scenarios": ("analyst",),
}

"""The jobs behind the `wfm` commands and the service, one module per job: each reads and checks its inputs,
runs, and writes every output or none; none prints (warnings and notes come back in the job's result).

- `inputs`: reading a history (`load_history`, the one way any job reads one) and making it ready to forecast
  (`load_forecast_inputs`), a roster given beside other inputs, `--origins` dates;
- `forecast`, `backtest`, `requirements`, `roster` (and `write_roster`), `simulate` (and `simulate_roster`),
  `assign`, `kpis`: the job of the `wfm` command of the same name;
- `plan`: `wfm plan` and `wfm demo` (`run_plan`, `plan_forecast`), which calls the forecast, roster and
  simulation jobs.
"""

from planner.jobs.assign import AssignJob, run_assign
from planner.jobs.backtest import BacktestJob, run_backtest
from planner.jobs.forecast import ForecastJob, run_forecast
from planner.jobs.inputs import ForecastInputs, load_forecast_inputs, load_history, parse_origins
from planner.jobs.kpis import KpiJob, run_kpis
from planner.jobs.plan import PlanJob, PlanStages, plan_forecast, promised_levels, run_plan
from planner.jobs.requirements import RequirementJob, run_requirements
from planner.jobs.roster import RosterJob, run_roster, write_roster
from planner.jobs.simulate import SimulationJob, replay_horizon, run_simulation, simulate_roster

__all__ = [
    "AssignJob",
    "BacktestJob",
    "ForecastInputs",
    "ForecastJob",
    "KpiJob",
    "PlanJob",
    "PlanStages",
    "RequirementJob",
    "RosterJob",
    "SimulationJob",
    "load_forecast_inputs",
    "load_history",
    "parse_origins",
    "plan_forecast",
    "promised_levels",
    "replay_horizon",
    "run_assign",
    "run_backtest",
    "run_forecast",
    "run_kpis",
    "run_plan",
    "run_requirements",
    "run_roster",
    "run_simulation",
    "simulate_roster",
    "write_roster",
]

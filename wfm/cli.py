"""The `wfm` command line: the application, its commands in the order `wfm --help` lists them, and the console
entry point.

The layers, as httpie's (`cli/definition.py`, `core.py`, `status.py`): the commands in `wfm/commands/` (a module per
group: parse the options, call one job, print its result), the options they share in `wfm/options.py`, the
printing in `wfm/render.py`, a command's call run under Ctrl-C handling with the planner's errors mapped to exit
codes in `wfm/core.py`, and the exit codes in `wfm/exit_codes.py` (`ExitCode`: 0 success, 2 bad input, 1 internal
error, 3 a roster that breaks a rule, 130 Ctrl-C).
"""

from __future__ import annotations

import typer

from planner.runtime import keep_freed_memory
from wfm.commands.demo import demo
from wfm.commands.forecast import backtest_command, forecast, requirements, validate
from wfm.commands.intraday import intraday_command
from wfm.commands.operations import assign_command, kpis_command, simulate_command
from wfm.commands.roster import check_roster, plan, roster
from wfm.commands.scenarios import scenarios_capacity, scenarios_report, scenarios_run
from wfm.commands.serve import serve, users_add

__all__ = ["app", "main"]

app = typer.Typer(
    name="wfm",
    help="Workforce planning for customer-service teams: forecast, staffing, rosters and assignment.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
app.command()(demo)
app.command()(validate)
app.command()(forecast)
app.command("backtest")(backtest_command)
app.command()(requirements)
app.command()(roster)
app.command()(plan)
app.command("assign")(assign_command)
app.command("simulate")(simulate_command)
app.command("kpis")(kpis_command)
app.command("intraday")(intraday_command)
app.command("check-roster")(check_roster)

scenarios_app = typer.Typer(
    name="scenarios",
    help="What-if scenarios: sweeps of changed centres planned on a Dask cluster, their report, capacity search.",
    no_args_is_help=True,
)
app.add_typer(scenarios_app)
scenarios_app.command("run")(scenarios_run)
scenarios_app.command("report")(scenarios_report)
scenarios_app.command("capacity")(scenarios_capacity)

app.command("serve")(serve)

users_app = typer.Typer(name="users", help="The planning service's users and their API tokens.", no_args_is_help=True)
app.add_typer(users_app)
users_app.command("add")(users_add)


def main() -> None:
    """Console entry point."""
    keep_freed_memory()
    app()

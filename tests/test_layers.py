"""The layer under both front ends: the jobs (`planner/jobs/`, one module per job) never print and keep the
surface the CLI, the service, the scenarios and the benchmarks import; the command line (`wfm/`) is split into
commands, options, rendering and one enumeration of exit codes; imports point down and form no cycle."""

from __future__ import annotations

import ast
import importlib
import pkgutil
import subprocess
import sys
from pathlib import Path

import pytest

import planner.jobs
import wfm
import wfm.commands
from wfm.exit_codes import ExitCode

ROOT = Path(__file__).resolve().parents[1]
JOB_MODULES = sorted(f"planner.jobs.{m.name}" for m in pkgutil.iter_modules(planner.jobs.__path__))
WFM_MODULES = sorted(
    [f"wfm.{m.name}" for m in pkgutil.iter_modules(wfm.__path__) if m.name not in ("__main__", "commands")]
    + [f"wfm.commands.{m.name}" for m in pkgutil.iter_modules(wfm.commands.__path__)]
)
#: What `from planner.jobs import ...` gives (the names of the module planner/jobs.py was before it was split).
JOBS_SURFACE = {
    "AssignJob", "BacktestJob", "ForecastInputs", "ForecastJob", "KpiJob", "PlanJob", "PlanStages", "RequirementJob",
    "RosterJob", "SimulationJob", "load_forecast_inputs", "load_history", "parse_origins", "plan_forecast",
    "promised_levels", "replay_horizon", "run_assign", "run_backtest", "run_forecast", "run_kpis", "run_plan",
    "run_requirements", "run_roster", "run_simulation", "simulate_roster", "write_roster",
}  # fmt: skip


def _source(module_name: str) -> tuple[Path, ast.Module]:
    path = ROOT / (module_name.replace(".", "/") + ".py")
    if not path.exists():
        path = ROOT / module_name.replace(".", "/") / "__init__.py"
    return path, ast.parse(path.read_text(), str(path))


def _imported(tree: ast.Module) -> set[str]:
    """Every module an import statement names, at any depth (imports inside functions too)."""
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module is not None:
            names.add(node.module)
    return names


def test_the_jobs_are_one_module_per_job() -> None:
    expected = ["assign", "backtest", "forecast", "inputs", "kpis", "plan", "requirements", "roster", "simulate"]
    assert JOB_MODULES == [f"planner.jobs.{name}" for name in expected]


def test_planner_jobs_keeps_the_surface_its_callers_import() -> None:
    assert set(planner.jobs.__all__) == JOBS_SURFACE
    assert len(planner.jobs.__all__) == len(JOBS_SURFACE)
    for name in JOBS_SURFACE:
        owner = getattr(planner.jobs, name).__module__
        assert owner in JOB_MODULES, f"planner.jobs.{name} comes from {owner}, not from a job module"
        assert name in importlib.import_module(owner).__all__, f"{owner} does not declare {name}"


@pytest.mark.parametrize("module_name", [*JOB_MODULES, *WFM_MODULES])
def test_each_module_declares_what_it_offers(module_name: str) -> None:
    module = importlib.import_module(module_name)
    assert all(hasattr(module, name) for name in module.__all__), module_name
    defined = {
        name
        for name, value in vars(module).items()
        if not name.startswith("_") and callable(value) and getattr(value, "__module__", None) == module_name
    }
    assert defined <= set(module.__all__), f"{module_name} leaves {sorted(defined - set(module.__all__))} undeclared"


@pytest.mark.parametrize("module_name", [*JOB_MODULES, "planner.intraday.job"])
def test_a_job_never_prints(module_name: str) -> None:
    """Warnings and notes go back to the caller as data; only `wfm/render.py` prints."""
    path, tree = _source(module_name)
    printing = [
        f"{path.name}:{node.lineno}"
        for node in ast.walk(tree)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in ("print", "input")
    ]
    assert printing == []
    terminal = {name for name in _imported(tree) if name.split(".")[0] in ("rich", "typer", "click", "sys", "wfm")}
    assert terminal == set(), f"{module_name} imports {sorted(terminal)}"


@pytest.mark.parametrize("package", ["models", "forecasting", "planner", "scenarios", "service"])
def test_nothing_below_the_command_line_imports_it(package: str) -> None:
    importers = sorted(
        str(path.relative_to(ROOT))
        for path in (ROOT / package).rglob("*.py")
        if any(name.split(".")[0] == "wfm" for name in _imported(ast.parse(path.read_text(), str(path))))
    )
    assert importers == []


@pytest.mark.parametrize("module_name", [m for m in WFM_MODULES if m not in ("wfm.render", "wfm.core")])
def test_only_render_and_core_print(module_name: str) -> None:
    """The commands parse options, call a job and hand its result to `wfm.render`; they touch no console."""
    path, tree = _source(module_name)
    consoles = [
        f"{path.name}:{node.lineno}"
        for node in ast.walk(tree)
        if (isinstance(node, ast.Name) and node.id in ("console", "err", "print"))
        or (isinstance(node, ast.alias) and node.name in ("console", "err", "Console"))
    ]
    assert consoles == []


def test_the_exit_codes_are_the_command_line_contract() -> None:
    assert {code.name: int(code) for code in ExitCode} == {
        "OK": 0,
        "INTERNAL_ERROR": 1,
        "BAD_INPUT": 2,
        "ROSTER_BREAKS_RULES": 3,
        "INTERRUPTED": 130,
    }


@pytest.mark.parametrize("module_name", WFM_MODULES)
def test_every_exit_takes_its_code_from_the_enum(module_name: str) -> None:
    """`typer.Exit`, `sys.exit` and `os._exit` are given an `ExitCode` member, never a bare number."""
    path, tree = _source(module_name)
    bare = [
        f"{path.name}:{node.lineno}"
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr in ("Exit", "exit", "_exit")
        and not (
            node.args
            and isinstance(node.args[0], ast.Attribute)
            and isinstance(node.args[0].value, ast.Name)
            and node.args[0].value.id == "ExitCode"
        )
    ]
    assert bare == []


def test_each_module_imports_alone_without_a_cycle() -> None:
    """Each job and command-line module imported first, in a fresh state of our packages: a cycle between them
    would fail for whichever module starts it."""
    modules = [*JOB_MODULES, *WFM_MODULES]
    script = f"""
import importlib, sys
OURS = ("models", "forecasting", "planner", "scenarios", "service", "wfm")
for name in {modules!r}:
    for loaded in [m for m in sys.modules if m.split(".")[0] in OURS]:
        del sys.modules[loaded]
    importlib.import_module(name)
"""
    done = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr[-3000:]

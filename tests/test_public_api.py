"""The curated public surface of `models`: complete, importable, and free of private names."""

from __future__ import annotations

import importlib
import inspect
import pkgutil

import pytest

import models

SUBMODULES = sorted(
    f"models.{info.name}" for info in pkgutil.iter_modules(models.__path__) if not info.name.startswith("_")
)
#: Helpers a submodule lists in its own __all__ for sibling modules, deliberately kept off the package surface.
#: Adding a name here is a decision: the package exports everything else a submodule declares public.
SUBMODULE_ONLY = {
    "models.base": {
        "MINUTES_PER_DAY",
        "TimeOfDayEnd",
        "check_timezone",
        "format_minute_of_day",
        "parse_minute_of_day",
        "parse_weekday",
        "weekday_of",
    },
    "models.calendar": {"overlapping_windows"},
    "models.horizon": {"INTERVAL_MINUTES_CHOICES", "local_midnight", "local_time"},
    "models.io": {"detect_history_kind", "format_timestamps", "read_raw"},
    "models.tables": {"SCHEMAS", "Column", "Kind", "RowRef", "SkippedTimes", "UTC_OFFSET_PATTERN", "parse_table"},
    "models.workforce": {
        "DEFAULT_LATE_SHIFT",
        "DEFAULT_WEEKEND_DAYS",
        "WeekendDays",
        "weekend_offsets",
        "weekend_start",
    },
}
#: Functions with public-looking names that a submodule uses internally and does not declare. Each one should
#: eventually be declared in its module's __all__ or renamed with a leading underscore; the list may only shrink.
UNDECLARED_HELPERS: dict[str, set[str]] = {}


def test_the_submodules_are_the_known_ones() -> None:
    expected = ["base", "calendar", "center", "errors", "horizon", "io", "service", "tables", "workforce"]
    assert SUBMODULES == [f"models.{name}" for name in expected]


@pytest.mark.parametrize("module_name", SUBMODULES)
def test_submodule_all_names_exist(module_name: str) -> None:
    module = importlib.import_module(module_name)
    assert hasattr(module, "__all__"), f"{module_name} has no __all__"
    missing = [name for name in module.__all__ if not hasattr(module, name)]
    assert missing == [], f"{module_name}.__all__ lists names it does not define: {missing}"
    assert len(set(module.__all__)) == len(module.__all__)


@pytest.mark.parametrize("module_name", SUBMODULES)
def test_submodule_public_names_are_exported_by_the_package(module_name: str) -> None:
    module = importlib.import_module(module_name)
    expected = set(module.__all__) - SUBMODULE_ONLY.get(module_name, set())
    missing = sorted(expected - set(models.__all__))
    assert missing == [], f"models.__all__ lacks {missing} from {module_name}"
    for name in expected:
        assert getattr(models, name) is getattr(module, name), name


def test_the_exception_lists_are_not_stale() -> None:
    # A stale entry would hide a name that should be checked.
    for module_name, names in SUBMODULE_ONLY.items():
        module = importlib.import_module(module_name)
        assert names <= set(module.__all__), module_name
    for module_name, names in UNDECLARED_HELPERS.items():
        module = importlib.import_module(module_name)
        assert all(inspect.isfunction(getattr(module, n, None)) for n in names), module_name
        assert not names & set(module.__all__), f"{module_name}: declared now, drop them from UNDECLARED_HELPERS"


@pytest.mark.parametrize("module_name", SUBMODULES)
def test_public_classes_and_functions_are_declared(module_name: str) -> None:
    """Every public class or function a submodule defines itself is in its __all__."""
    module = importlib.import_module(module_name)
    defined = {
        name
        for name, value in vars(module).items()
        if not name.startswith("_")
        and (inspect.isclass(value) or inspect.isfunction(value))
        and getattr(value, "__module__", None) == module_name
    }
    undeclared = sorted(defined - set(module.__all__) - UNDECLARED_HELPERS.get(module_name, set()))
    assert undeclared == [], f"{module_name} defines public {undeclared} but leaves them out of __all__"


def test_every_exported_name_is_importable() -> None:
    assert len(set(models.__all__)) == len(models.__all__)
    namespace: dict[str, object] = {}
    exec(f"from models import {', '.join(models.__all__)}", namespace)  # noqa: S102 - the import itself is tested
    for name in models.__all__:
        assert namespace[name] is getattr(models, name)
        assert not name.startswith("_")


def test_exception_tree() -> None:
    assert issubclass(models.InputError, models.PlannerError)
    assert issubclass(models.ConfigError, models.InputError)
    assert issubclass(models.SolverError, models.PlannerError)
    assert not issubclass(models.SolverError, models.InputError)
    assert issubclass(models.InputWarning, UserWarning)

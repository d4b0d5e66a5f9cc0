"""Shared fixtures: a small, valid centre as plain data, so each test can mutate its own copy."""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
import yaml

if TYPE_CHECKING:
    from fastapi.testclient import TestClient

    from service.store import Store

#: A small but complete centre: two work types (phone, email), two skills, two agents, one contract, one
#: template with one unpaid lunch. Every cross-reference is valid and no lint finding is expected.
CENTER_DATA: dict[str, Any] = {
    "name": "Tiny Test Centre",
    "timezone": "Europe/London",
    "country": "GB",
    "interval_minutes": 15,
    "shrinkage": 0.3,
    "opening_hours": [{"weekday": "mon", "start_minute": "08:00", "end_minute": "20:00"}],
    "customer_tiers": [{"id": "gold", "weight": 2.0}, {"id": "standard"}],
    "regions": ["north", "south"],
    "skills": [{"id": "billing"}, {"id": "tech"}],
    "work_types": [
        {
            "id": "billing_phone",
            "channel": "phone",
            "mode": "realtime",
            "skill": "billing",
            "priority": 1,
            "target": {"service_level": 0.8, "within_s": 20, "tier_within_s": {"gold": 10}},
            "aht_s": 300,
        },
        {
            "id": "tech_email",
            "channel": "email",
            "mode": "deferred",
            "skill": "tech",
            "priority": 2,
            "target": {"service_level": 0.9, "within_s": 86400, "measure": "first_response"},
            "aht_s": 600,
        },
    ],
    "contracts": [
        {
            "id": "full_time",
            "min_paid_minutes_week": 2100,
            "max_paid_minutes_week": 2400,
            "shift_templates": ["day"],
        }
    ],
    "shift_templates": [
        {
            "id": "day",
            "earliest_start_minute": "07:00",
            "latest_start_minute": "10:00",
            "start_step_minutes": 30,
            "lengths_minutes": [480, 510],
            "breaks": [
                {
                    "name": "lunch",
                    "duration_minutes": 30,
                    "earliest_start_minutes": 180,
                    "latest_start_minutes": 300,
                }
            ],
        }
    ],
    "agents": [
        {"id": "a1", "skills": ["billing"], "contract": "full_time", "region": "north"},
        {
            "id": "a2",
            "skills": [{"skill": "tech", "proficiency": 0.8}, "billing"],
            "contract": "full_time",
            "region": "south",
        },
    ],
}


# -- the order of the files under pytest-xdist ---------------------------------------------------------------------

#: The test files that take longest, the slowest first (per-file sums of `pytest --junitxml` times of a whole run).
#: Under pytest-xdist (`make test`: two workers, whole files, the Makefile) they are handed out first, then the
#: browser tests' files, then the rest in pytest's order: a long file started last would leave the other worker idle
#: to the end. Only the order changes; a file missing here merely runs later.
SLOWEST_FILES = (
    "test_readme.py",
    "test_service_jobs.py",
    "test_service_plans.py",
    "test_service_kinds.py",
    "test_cli.py",
    "test_service_security.py",
    "test_control.py",
    "test_scenarios.py",
)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """On a pytest-xdist worker, the slowest files first (`SLOWEST_FILES`); a run in one process keeps pytest's
    order. Each worker sorts the same collection the same way, as xdist requires."""
    if not hasattr(config, "workerinput"):
        return

    def rank(item: pytest.Item) -> tuple[int, int]:
        name = item.path.name
        if name in SLOWEST_FILES:
            return (0, SLOWEST_FILES.index(name))
        return (1, 0) if item.get_closest_marker("browser") else (2, 0)

    items.sort(key=rank)  # stable: the order within a file, and among the rest, is pytest's


@pytest.fixture
def center_data() -> dict[str, Any]:
    """A fresh deep copy of `CENTER_DATA` for the test to change."""
    return copy.deepcopy(CENTER_DATA)


@pytest.fixture
def write_yaml(tmp_path: Path) -> Callable[[Any, str], Path]:
    """Write data (or raw text) as a YAML file under tmp_path and return its path."""

    def write(data: Any, name: str = "center.yaml") -> Path:
        path = tmp_path / name
        text = data if isinstance(data, str) else yaml.safe_dump(data, sort_keys=False)
        path.write_text(text, encoding="utf-8")
        return path

    return write


@pytest.fixture
def write_csv(tmp_path: Path) -> Callable[[str, str], Path]:
    """Write CSV text (leading/trailing whitespace of the block stripped, one trailing newline) to tmp_path."""

    def write(text: str, name: str = "history.csv") -> Path:
        path = tmp_path / name
        path.write_text(text.strip() + "\n", encoding="utf-8")
        return path

    return write


def assert_problem(error: BaseException, where: str, *fragments: str, source: str | None = None) -> None:
    """Check that an `InputError` names `where` (a row, a path, a field) with a fix, and says `fragments`.

    One of its problems must have `where` in its place and a non-empty fix; the message must carry the
    source (the file), the place, 'Fix:' and every fragment.
    """
    from models.errors import InputError

    assert isinstance(error, InputError), f"expected an InputError, got {type(error).__name__}: {error}"
    message = str(error)
    matching = [p for p in error.problems if where in p.where]
    assert matching, f"no problem is placed at {where!r}; places: {[p.where for p in error.problems]}"
    assert all(p.fix for p in matching), f"a problem at {where!r} has no fix: {matching}"
    assert where in message and "Fix:" in message, message
    if source is not None:
        assert message.startswith(source), message
    for fragment in fragments:
        assert fragment in message, f"{fragment!r} not in {message!r}"


# -- the planning service ----------------------------------------------------------------------------------------


@pytest.fixture(params=["sqlite", "postgresql"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    """The service's store: every test that uses it (and `client`) runs on a temporary SQLite file and on a fresh
    database of a real PostgreSQL server (`postgres_url`; skipped, saying why, where PostgreSQL is missing)."""
    from service.store import open_store
    from tests.postgres_helpers import new_database

    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'wfm.db'}"
    else:
        url = new_database(request.getfixturevalue("postgres_url"))
    opened = open_store(url)
    yield opened
    opened.close()


@pytest.fixture
def client(store: Store) -> Iterator[TestClient]:
    """The service's test client on `store`. Leaving it shuts the app down, and with it the job runner's workers."""
    from fastapi.testclient import TestClient

    from service.app import create_app

    with TestClient(create_app(store)) as test_client:
        yield test_client


@pytest.fixture(scope="module")
def postgres_url() -> Iterator[str]:
    """A PostgreSQL server of its own for the test module, on 127.0.0.1 (tests/postgres_helpers.py): the URL of
    its `postgres` database; skipped, saying why, where PostgreSQL is not installed."""
    from tests.postgres_helpers import SKIP_REASON, postgres_bin, postgres_server

    binaries = postgres_bin()
    if binaries is None:
        pytest.skip(SKIP_REASON)
    with postgres_server(binaries) as url:
        yield url


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Headless Chromium (Debian's, driven by Playwright: tests/web_helpers.py) for a module of browser tests."""
    from tests.web_helpers import launch_chromium

    with launch_chromium() as launched:
        yield launched


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    """A new page in a browser context of its own (no cookie shared with another test), at 1280x800."""
    from tests.web_helpers import VIEWPORT

    context = browser.new_context(viewport=VIEWPORT)
    try:
        yield context.new_page()
    finally:
        context.close()

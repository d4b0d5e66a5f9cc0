"""The planner's pages in a real browser: the demo centre's YAML and its history uploaded through the page's file
inputs, a bad history's row and field shown in the page, a short plan run followed on its progress line to the
plan's page, and its roster published from the keyboard."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pandas as pd
import pytest

from tests.web_helpers import (
    DemoFiles,
    WebService,
    check_page,
    demo_files,
    sign_in,
    web_service,
)

pytestmark = pytest.mark.browser

#: How long a short plan (2 days, a 4 s roster solve, one simulated pass, a 2 s diagnosis) may take on a busy
#: machine before the test gives up waiting for it.
PLAN_WAIT_S = 240


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[WebService]:
    with web_service(tmp_path_factory.mktemp("web-planner"), workers=1) as running:
        yield running


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> DemoFiles:
    return demo_files(tmp_path_factory.mktemp("demo"))


def wait_for_plan_page(page: Any, timeout_s: float) -> int:
    """Wait (at most `timeout_s`) for the run page to send the browser to its plan's page; the plan's id. A run
    that ends otherwise (failed, cancelled) fails the test with what its page says."""
    from playwright.sync_api import expect

    done = re.compile(r"/planner/plans/(\d+)$")
    try:
        expect(page).to_have_url(done, timeout=timeout_s * 1000)
    except AssertionError:
        raise AssertionError(f"the plan did not open its page: {page.locator('main').inner_text()}") from None
    found = done.search(page.url)
    assert found is not None
    return int(found.group(1))


def _center_id(page: Any) -> int:
    found = re.search(r"center=(\d+)", page.url)
    assert found is not None, page.url
    return int(found.group(1))


#: The S demo centre's agents: the roster's timeline has one lane for each.
CENTRE_AGENTS = 20


def test_the_demo_centre_and_its_history_upload_through_the_page(
    service: WebService, page: Any, demo: DemoFiles, tmp_path: Path
) -> None:
    from playwright.sync_api import expect

    sign_in(page, service, "pat")
    page.get_by_label("Centre file (YAML)").set_input_files(demo.center)
    page.get_by_role("button", name="Upload centre").click()
    expect(page.get_by_role("status")).to_have_text("Stored as version 1.")
    centres = page.get_by_role("table", name=re.compile("The centres"))
    expect(centres.get_by_role("row").nth(1)).to_contain_text("20")  # the S centre's 20 agents

    bad = pd.read_csv(demo.history)
    bad["work_type"] = bad["work_type"].astype(object)
    bad.loc[bad.index[2], "work_type"] = "no_such_type"
    bad_file = tmp_path / "calls.csv"
    bad.to_csv(bad_file, index=False)
    page.get_by_label("History file (CSV or Parquet)").set_input_files(bad_file)
    page.get_by_role("button", name="Upload history").click()
    problems = page.get_by_role("alert")
    expect(problems).to_contain_text("calls.csv")
    where = problems.locator("td.where").first
    expect(where).to_contain_text("row 3")
    expect(where).to_contain_text("'work_type'")
    expect(problems.locator("tbody tr").first).to_contain_text("no_such_type")
    expect(page.get_by_text("No history yet")).to_be_visible()  # nothing stored
    check_page(page, "planner-bad-history")

    page.get_by_label("History file (CSV or Parquet)").set_input_files(demo.history)
    page.get_by_role("button", name="Upload history").click()
    expect(page.get_by_role("status")).to_contain_text(f"History 'history.csv' stored: {len(bad):,} rows")
    histories = page.get_by_role("table", name=re.compile("The histories"))
    expect(histories.get_by_role("row")).to_have_count(2)


def test_a_short_plan_runs_shows_its_progress_opens_its_page_and_is_published(
    service: WebService, page: Any, demo: DemoFiles
) -> None:
    from playwright.sync_api import expect

    center_id, history_id = _uploaded(service, demo)
    sign_in(page, service, "pat")
    page.goto(f"{service.url}/planner?center={center_id}")
    page.get_by_label("History", exact=True).select_option(str(history_id))
    page.get_by_label("First day").fill(demo.plan_start)
    page.get_by_label("Days").fill("2")
    page.get_by_text("Time limits and remedies").click()
    page.get_by_label("Roster time limit (s)").fill("4")
    page.get_by_label("Simulation loop budget (s)").fill("0")
    page.get_by_label("Diagnosis budget (s)").fill("2")
    page.get_by_label("Try remedies").uncheck()
    page.get_by_role("button", name="Run the plan").click()

    expect(page).to_have_url(re.compile(r"/planner/runs/[0-9a-f-]+$"))
    line = page.locator("#progress")
    expect(line).to_contain_text("objective", timeout=PLAN_WAIT_S * 1000)  # the roster solve's figures
    expect(line).to_contain_text("gap")
    expect(page.get_by_role("button", name="Stop")).to_be_visible()
    check_page(page, "planner-run")
    plan_id = wait_for_plan_page(page, PLAN_WAIT_S)

    levels = page.get_by_role("table", name=re.compile("Service level per work type"))
    expect(levels.get_by_role("row")).to_have_count(1 + 7)  # the S centre's 7 work types
    expect(levels).to_contain_text(re.compile(r"\d+\.\d% – \d+\.\d%"))  # intervals
    expect(page.get_by_role("heading", name="Capacity diagnosis")).to_be_visible()
    expect(page.locator("#roster-state")).to_contain_text("draft")
    lanes = page.locator(".lanes .lane-row.timeline")  # the roster's timeline, loaded into the plan's page
    expect(lanes).to_have_count(CENTRE_AGENTS)  # one lane per agent of the S centre
    expect(page.locator(".roster-timeline .count")).to_have_text(f"Agents 1–{CENTRE_AGENTS} of {CENTRE_AGENTS}")
    assert page.locator(".lanes rect.shift").count() > 0
    heat = page.locator("table.heat.cover")
    expect(heat.first).to_be_visible()  # the coverage heatmap: scheduled / required per day and hour
    expect(heat.first.locator("td").first).to_contain_text("/")
    report = page.request.get(f"{service.url}/planner/plans/{plan_id}/files/report.html")
    assert report.ok and "text/html" in report.headers["content-type"]

    publish = page.get_by_role("button", name="Publish the roster")
    publish.focus()
    page.keyboard.press("Enter")  # keyboard only
    expect(page.locator("#roster-state")).to_contain_text("published by pat")
    expect(page.get_by_role("button", name="Publish the roster")).to_have_count(0)
    check_page(page, "planner-plan")
    page.goto(f"{service.url}/planner?center={center_id}")
    plans = page.get_by_role("table", name=re.compile("The plans of"))
    expect(plans.get_by_role("row").nth(1)).to_contain_text("published")
    check_page(page, "planner")


def _uploaded(service: WebService, demo: DemoFiles) -> tuple[int, int]:
    """The demo centre and its history, sent through the API (what the other test does through the page)."""
    headers = {"Authorization": f"Bearer {service.tokens['pat']}"}
    with httpx.Client(base_url=service.url, headers=headers, timeout=60) as client:
        center = client.post("/api/centers", json={"yaml": demo.center.read_text(encoding="utf-8")})
        assert center.status_code == 201, center.text
        center_id = int(center.json()["id"])
        with demo.history.open("rb") as handle:
            files = {"file": ("history.csv", handle, "text/csv")}
            history = client.post(f"/api/centers/{center_id}/histories", files=files)
        assert history.status_code == 201, history.text
        return center_id, int(history.json()["id"])

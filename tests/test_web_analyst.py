"""The analyst's pages in a real browser on a real `wfm serve`: the S demo centre and its history uploaded through
the API, then, as the analyst, a three-variant scenario set (the base, volume +10% and volume -10%) built in the
form (the second variant added by HTMX), run, followed as its variants finish, and compared: the frontier's image
and its table of three points, the work types' bars, the differences from the base.

Kept short: one day, a 2 s roster limit, one loop iteration, two replications, one Dask worker."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from playwright.sync_api import expect

from tests.web_helpers import WebService, check_page, demo_files, sign_in, web_service

pytestmark = pytest.mark.browser

#: How long the sweep may take on a loaded two-core machine (a wait's limit, not a timed assertion).
SWEEP_WAIT_MS = 300_000


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[WebService]:
    with web_service(tmp_path_factory.mktemp("web-analyst"), workers=1) as running:
        yield running


@pytest.fixture(scope="module")
def uploaded(service: WebService, tmp_path_factory: pytest.TempPathFactory) -> str:
    """The S demo centre (by the planner) and its history (by the analyst), as a person's files; the plan's start."""
    files = demo_files(tmp_path_factory.mktemp("demo"))
    with httpx.Client(base_url=service.url, timeout=60) as client:
        centre = client.post(
            "/api/centers",
            content=files.center.read_bytes(),
            headers={"Authorization": f"Bearer {service.tokens['pat']}", "Content-Type": "application/yaml"},
        )
        assert centre.status_code == 201, centre.text
        history = client.post(
            f"/api/centers/{centre.json()['id']}/histories",
            files={"file": ("history.csv", files.history.read_bytes(), "text/csv")},
            headers={"Authorization": f"Bearer {service.tokens['ada']}"},
        )
        assert history.status_code == 201, history.text
    return files.plan_start


def shown(page: Any, image: Any) -> None:
    """Wait until the image `image` is loaded and drawn (a broken one never is: the wait fails)."""
    image.wait_for()
    page.wait_for_function("(img) => img.complete && img.naturalWidth > 0", arg=image.element_handle())


def test_the_analyst_builds_runs_and_compares_a_scenario_set(service: WebService, uploaded: str, page: Any) -> None:
    sign_in(page, service, "ada")
    assert page.url == f"{service.url}/analyst"
    form = page.locator("#scenario-form")
    assert "history" in form.get_by_label("Base history or forecast").input_value()
    form.get_by_label("Start date").fill(uploaded)
    form.get_by_label("Days", exact=True).fill("1")
    form.get_by_label("Roster time limit (s)").fill("2")
    form.get_by_label("Loop iterations").fill("1")
    form.get_by_label("Replications").fill("2")
    form.get_by_role("button", name="Add variant").click()  # HTMX: a second blank variant, no reload
    variants = form.locator("fieldset.variant")
    variants.nth(1).wait_for()
    assert variants.count() == 2
    for i, (name, factor) in enumerate([("volume +10%", "1.1"), ("volume -10%", "0.9")]):
        variants.nth(i).get_by_label("Name").fill(name)
        variants.nth(i).get_by_label("Volume factor (all)").fill(factor)
    check_page(page, "analyst")
    form.get_by_role("button", name="Run the scenario set").click()
    page.wait_for_url("**/analyst/runs/*")
    page.evaluate("window.wfmSamePage = true")  # still there at the end: the page was updated, never reloaded
    status = page.locator("#run-status")
    assert "of 3 variants finished" in status.inner_text()
    page.locator("#frontier-table").wait_for(timeout=SWEEP_WAIT_MS)
    assert page.evaluate("window.wfmSamePage === true")
    assert "done" in status.inner_text() and "3 of 3 variants finished" in status.inner_text()
    assert page.locator("#run").get_attribute("hx-trigger") is None  # the polling stopped

    chart = page.get_by_alt_text("Each variant's paid cost against its simulated service level", exact=False)
    shown(page, chart)
    rows = page.locator("#frontier-table tbody tr")
    assert rows.count() == 3
    names = sorted(rows.nth(i).locator("th").inner_text() for i in range(3))
    assert names == ["base", "volume +10%", "volume -10%"]
    assert page.locator("#frontier-table tbody td:last-child", has_text="yes").count() >= 1
    bars = page.get_by_alt_text("Bars of each work type's simulated service level", exact=False)
    shown(page, bars)
    differences = page.locator("#differences tbody tr", has_text="volume +10%")
    assert "(worse)" in differences.inner_text() or "(better)" in differences.inner_text()
    check_page(page, "analyst-comparison")

    page.get_by_label("Service level (y)").select_option(index=1)  # a work type's, with its intervals
    page.locator("#frontier-table tbody tr td", has_text=" to ").first.wait_for()
    expect(page.locator("#frontier-table tbody tr")).to_have_count(3)  # the swapped table alone
    chosen = page.get_by_label("Service level (y)").input_value()
    shown(page, page.get_by_alt_text(f"simulated service level ({chosen})", exact=False))


def test_a_pasted_scenario_file_with_a_mistake_is_shown_with_its_line_and_field(
    service: WebService, uploaded: str, page: Any
) -> None:
    sign_in(page, service, "ada")
    page.get_by_text("Paste YAML instead").click()
    pasted = f"base: {{start: {uploaded}, days: 1}}\nvariants:\n  - {{name: more, volume: {{al: 1.1}}}}\n"
    page.get_by_label("Scenario file (YAML)").fill(pasted)
    page.get_by_role("button", name="Run the pasted scenario file").click()
    problems = page.get_by_role("alert")
    problems.wait_for()
    assert "line 3, variants[0].volume.al" in page.locator(".problems").inner_text()
    assert page.get_by_label("Scenario file (YAML)").input_value() == pasted  # kept, to fix
    assert "/analyst/runs/" not in page.url

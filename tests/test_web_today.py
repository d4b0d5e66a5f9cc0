"""The supervisor's day and an agent's week in a real browser: the demo centre S planned for a week and published
through the API by the planner, then the supervisor re-plans the first day from noon with one agent off sick,
accepts the proposed changes and applies them, and agent a0001 sees their shifts and calendar link."""

from __future__ import annotations

import io
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pandas as pd
import pytest

from tests.service_helpers import bearer
from tests.web_helpers import WebService, check_page, demo_files, sign_in, web_service

pytestmark = pytest.mark.browser

#: The moment the page takes by default when now is outside the roster's days: its first day at noon.
NOON = "12:00"
WAIT_S = 120.0
#: The plan's days: a whole week. The re-plan's validator judges a roster's weekly limits over whole weeks, so on
#: a shorter roster every change of paid time is refused and a re-plan proposes a moved break at most, or nothing.
DAYS = 7
#: An image's width once it has loaded (-1 if it could not be).
LOADED_WIDTH = """i => i.complete ? (i.naturalWidth || -1) : new Promise(done => {
  i.addEventListener("load", () => done(i.naturalWidth));
  i.addEventListener("error", () => done(-1));
})"""


@dataclass(frozen=True)
class Published:
    service: WebService
    center_id: int
    roster_id: int
    first_day: str
    actuals: Path  # the first day's contacts until noon
    roster: pd.DataFrame


def wait_done(client: httpx.Client, job_id: str) -> dict[str, Any]:
    end = time.monotonic() + WAIT_S
    while time.monotonic() < end:
        job = client.get(f"/api/jobs/{job_id}").json()
        if job["status"] in ("done", "failed", "cancelled"):
            assert job["status"] == "done", job
            return dict(job)
        time.sleep(0.3)
    raise AssertionError(f"job {job_id} did not end in {WAIT_S} s")


def actuals_until_noon(history: Path, day: str, zone: str, out: Path) -> Path:
    """The day's contacts until noon: those of the same weekday a week before, moved a week on."""
    table = pd.read_csv(history)
    local = pd.to_datetime(table["created_at"], utc=True).dt.tz_convert(zone) + pd.Timedelta(days=7)
    keep = (local.dt.date == pd.Timestamp(day).date()) & (local.dt.strftime("%H:%M") < NOON)
    table = table[keep].assign(created_at=local[keep].map(lambda t: t.isoformat()))
    table.to_csv(out, index=False)
    return out


@pytest.fixture(scope="module")
def published(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Published]:
    """The demo centre S, its history, a week's plan (3 s of search) and its roster published, all by the planner's
    token."""
    tmp = tmp_path_factory.mktemp("web-today")
    demo = demo_files(tmp / "demo")
    with (
        web_service(tmp, workers=2) as service,
        httpx.Client(base_url=service.url, headers=bearer(service.tokens["pat"]), timeout=60) as api,
    ):
        center = api.post(
            "/api/centers", content=demo.center.read_bytes(), headers={"Content-Type": "application/yaml"}
        ).json()
        files = {"file": ("history.csv", demo.history.read_bytes(), "text/csv")}
        history = api.post(f"/api/centers/{center['id']}/histories", files=files).json()
        params = {
            "center_id": center["id"],
            "history_id": history["id"],
            "start": demo.plan_start,
            "days": DAYS,
            "time_limit_s": 3,
            "loop_budget_s": 0,
            "diagnosis_budget_s": 1,
            "remedies": False,
        }
        job = wait_done(api, api.post("/api/plans", json=params).json()["job_id"])
        roster_id = job["result"]["roster_id"]
        assert api.post(f"/api/rosters/{roster_id}/publish").status_code == 200
        zone = "Europe/London"
        roster = pd.read_csv(io.StringIO(api.get(f"/api/rosters/{roster_id}.csv").text))
        actuals = actuals_until_noon(demo.history, demo.plan_start, zone, tmp / "today.csv")
        yield Published(service, center["id"], roster_id, demo.plan_start, actuals, roster)


def busy_at_noon(roster: pd.DataFrame, day: str) -> str:
    """An agent whose shift of `day` runs from before noon to at least two hours after."""
    starts = pd.to_datetime(roster["start"], utc=True).dt.tz_convert("Europe/London")
    ends = pd.to_datetime(roster["end"], utc=True).dt.tz_convert("Europe/London")
    on = (starts.dt.date == pd.Timestamp(day).date()) & (starts.dt.hour < 11) & (ends.dt.hour >= 14)
    return str(roster[on].sort_values("agent_id")["agent_id"].iloc[0])


def test_the_supervisor_re_plans_an_absence_accepts_the_changes_and_publishes_them(
    published: Published, page: Any
) -> None:
    service = published.service
    sign_in(page, service, "sam")
    assert page.url == f"{service.url}/today"
    assert page.get_by_label("Day", exact=True).input_value() == published.first_day
    assert page.get_by_label("Now (local time)", exact=True).input_value() == NOON
    page.get_by_label("Today's contacts so far (CSV)", exact=True).set_input_files(str(published.actuals))
    sick = busy_at_noon(published.roster, published.first_day)
    agent = page.get_by_label("Agent (absence 1)", exact=True)
    label = next(o for o in agent.locator("option").all_inner_texts() if o.startswith(f"{sick} ("))
    agent.select_option(label=label)
    page.get_by_label("From (absence 1)", exact=True).fill("11:30")
    page.get_by_label("Reason (absence 1)", exact=True).fill("sick")
    page.get_by_text("Search settings").click()
    page.get_by_label("Search time (s)", exact=True).fill("4")  # the API's default
    page.get_by_label("Simulation runs", exact=True).fill("0")
    check_page(page, "supervisor-today")
    page.get_by_role("button", name="Re-plan the rest of the day").click()
    page.wait_for_url(re.compile(r".*/today/replans/[0-9a-f-]+$"))
    page.get_by_role("heading", name="Proposed changes").wait_for(timeout=WAIT_S * 1000)
    assert f"{sick}: absent (sick), 11:30-" in page.get_by_role("region", name="Proposed changes").inner_text()
    for name in ("Actual against forecast so far", "Reforecast of the rest of the day"):
        image = page.get_by_role("region", name=name).get_by_role("img")
        assert image.get_attribute("alt") and image.evaluate(LOADED_WIDTH) > 0
    boxes = page.get_by_role("checkbox", name=re.compile(r"^Accept "))
    assert boxes.count() > 0, "no change proposed"
    assert all(boxes.nth(i).is_checked() for i in range(boxes.count()))
    check_page(page, "supervisor-replan")
    boxes.first.focus()  # by keyboard: Space declines an agent's changes, and accepts them again
    page.keyboard.press("Space")
    assert not boxes.first.is_checked()
    page.keyboard.press("Space")
    assert boxes.first.is_checked()
    page.get_by_role("button", name="Apply the accepted changes").click()
    outcome = page.locator("#apply-outcome").get_by_role("status")
    outcome.wait_for()
    text = outcome.inner_text()
    assert f"(replaces roster {published.roster_id}) by sam" in text and "0 declined" in text, text
    assert page.locator("#apply-actions").inner_text() == "Applied."  # the Apply button is gone
    new_id = int(re.search(r"Published roster (\d+)", text).group(1))  # type: ignore[union-attr]
    assert outcome.get_by_role("link", name=str(new_id)).get_attribute("href") == f"/rosters/{new_id}"
    api = httpx.get(f"{service.url}/api/centers/{published.center_id}/rosters", headers=bearer(service.tokens["pat"]))
    states = {r["id"]: r["status"] for r in api.json()}
    assert states[new_id] == "published" and new_id != published.roster_id


def latest_roster(published: Published) -> pd.DataFrame:
    """The centre's roster published last (a re-plan may have published one)."""
    headers = bearer(published.service.tokens["pat"])
    with httpx.Client(base_url=published.service.url, headers=headers) as api:
        rosters = api.get(f"/api/centers/{published.center_id}/rosters").json()
        latest = max((r for r in rosters if r["status"] == "published"), key=lambda r: r["published_at"])
        return pd.read_csv(io.StringIO(api.get(f"/api/rosters/{latest['id']}.csv").text))


def test_an_agent_sees_their_shifts_and_their_calendar_link(published: Published, page: Any) -> None:
    roster = latest_roster(published)
    mine = roster[roster["agent_id"] == "a0001"]
    assert not mine.empty  # the demo's first agent works in the week
    sign_in(page, published.service, "a0001")
    assert page.url.endswith("/me")
    table = page.get_by_role("table", name="My shifts")
    rows = table.locator("tbody tr")
    assert rows.count() == DAYS
    starts = pd.to_datetime(mine["start"], utc=True).dt.tz_convert("Europe/London").dt.strftime("%H:%M")
    text = table.inner_text()
    assert all(start in text for start in starts) and text.count("Day off") == DAYS - len(mine)
    check_page(page, "agent-week")
    link = page.get_by_role("link", name="Download my shifts (iCalendar)")
    assert link.get_attribute("href") == "/me/calendar.ics"
    with page.expect_download() as download:
        link.click()
    assert Path(download.value.path()).read_text().startswith("BEGIN:VCALENDAR")

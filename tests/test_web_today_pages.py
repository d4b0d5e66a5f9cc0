"""The supervisor's day (`/today`) and an agent's week (`/me`) through the test client, on the tiny centre of the
job kinds' tests (three agents, one phone queue, Monday 2026-06-01, a and b 06:00-14:00, c 14:00-22:00): who may
open them, re-planning with an absence from the page's form and applying the accepted changes by the API's own
function (refused without the form's CSRF token, and with 409 over a roster published since), the open tickets'
assignment (a bad file's rows shown), an agent's week and calendar."""

from __future__ import annotations

import io
import re
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from fastapi.testclient import TestClient

from service.jobs import FINISHED
from service.store import Store
from tests.test_service_jobs import wait_for
from tests.test_service_kinds import Centre, actuals_until_ten, tickets_csv

DAY = {"center": "", "day": "2026-06-01", "at": "10:00"}


def sign_in(client: TestClient, token: str) -> None:
    response = client.post("/signin", data={"token": token}, follow_redirects=False)
    assert response.status_code == 303, response.text


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', html)
    assert found, html
    return found.group(1)


def published(centre: Centre) -> list[int]:
    rosters = centre.client.get(f"/api/centers/{centre.id}/rosters", headers=centre.viewer).json()
    return [r["id"] for r in rosters if r["status"] == "published"]


class Day:
    """The tiny centre with its roster published and its forecast stored, the supervisor signed in."""

    def __init__(self, client: TestClient, store: Store, tmp: Path) -> None:
        self.centre = Centre(client, store, tmp)
        self.roster = self.centre.roster(publish=True)
        self.forecast = self.centre.forecast()
        self.tokens = {"sam": store.add_user("sam2", "supervisor"), "vic": store.add_user("vic2", "viewer")}
        self.client = client
        sign_in(client, self.tokens["sam"])
        self.fields = {"center": str(self.centre.id), "day": "2026-06-01", "at": "10:00"}

    def page(self) -> str:
        response = self.client.get("/today", params=self.fields)
        assert response.status_code == 200, response.text
        return response.text

    def replan(self, tickets: str | None = None, **extra: Any) -> str:
        """Submit the page's re-plan form (b absent from 09:00; the open `tickets`): the re-plan's job id, once it
        has ended."""
        form = {
            **self.fields,
            "csrf": csrf_of(self.page()),
            "forecast": str(self.forecast),
            "agent": ["b"],
            "start": ["09:00"],
            "end": [""],
            "reason": ["sick"],
            "time_limit_s": "3",
            "replications": "0",
            **extra,
        }
        files = {"actuals": ("today.csv", actuals_until_ten().encode(), "text/csv")}
        if tickets is not None:
            files["open_tickets"] = ("open.csv", tickets.encode(), "text/csv")
        response = self.client.post("/today/replan", data=form, files=files, follow_redirects=False)
        assert response.status_code == 303, response.text
        job_id = response.headers["location"].rsplit("/", 1)[-1]
        job = wait_for(self.client, job_id, self.centre.supervisor, FINISHED)
        assert job["status"] == "done", job
        return job_id


@pytest.fixture
def day(client: TestClient, store: Store, tmp_path: Path) -> Day:
    return Day(client, store, tmp_path)


def test_today_is_refused_to_a_viewer_and_the_re_plan_to_an_analyst(day: Day, store: Store) -> None:
    sign_in(day.client, day.tokens["vic"])
    refused = day.client.get("/today")
    assert refused.status_code == 403 and "it is for: supervisor, planner" in refused.text
    sign_in(day.client, store.add_user("ann2", "analyst"))
    assert day.client.post("/today/replan", data={**day.fields, "csrf": "x"}).status_code == 403


def test_today_offers_the_day_s_agents_and_the_forecast_and_adds_absence_rows(day: Day) -> None:
    default = day.client.get("/today").text  # the roster's Monday is not today: its first day at noon
    assert 'name="day" type="date" value="2026-06-01"' in default and 'name="at" type="time" value="12:00"' in default
    html = day.page()
    assert f'<a href="/rosters/{day.roster}">{day.roster}</a>' in html
    for agent, shift in (("a", "06:00-14:00"), ("b", "06:00-14:00"), ("c", "14:00-22:00")):
        assert f'<option value="{agent}">{agent} ({shift})</option>' in html
    assert f'<option value="{day.forecast}">forecast {day.forecast}:' in html
    assert html.count('name="agent"') == 1
    form = {**day.fields, "csrf": csrf_of(html), "agent": ["b"], "start": ["09:00"], "end": [""], "reason": ["sick"]}
    added = day.client.post("/today/absences", data={**form, "edit": "add"}, headers={"HX-Request": "true"})
    assert added.status_code == 200 and added.text.count('name="agent"') == 2
    assert '<option value="b" selected>' in added.text and 'value="09:00"' in added.text
    removed = day.client.post("/today/absences", data={**form, "edit": "remove:0"}, headers={"HX-Request": "true"})
    assert removed.text.count('name="agent"') == 0
    no_js = day.client.post("/today/replan", data={**form, "edit": "add"})  # without HTMX: the whole page again
    assert no_js.status_code == 200 and no_js.text.count('name="agent"') == 2 and "<h1>Today" in no_js.text


def test_a_re_plan_lists_its_changes_and_applying_them_publishes_the_roster(day: Day) -> None:
    job_id = day.replan(tickets=tickets_csv("09:50", "t1", "t2"))
    page = day.client.get(f"/today/replans/{job_id}")
    assert page.status_code == 200
    result = day.client.get(f"/api/jobs/{job_id}/result", headers=day.centre.supervisor).json()["result"]
    proposed = [c for c in result["changes"] if c["change"] != "absence"]
    agents = sorted({c["agent_id"] for c in proposed})
    assert agents, result["changes"]  # b off from 09:00 leaves a alone until 14:00: something is proposed
    for agent in agents:
        assert f'name="accept" value="{agent}" checked' in page.text
    assert "b: absent (sick), 09:00-14:00" in page.text
    for change in proposed:
        assert change["after"] in page.text
    so_far = result["summary"]["reforecast"]["calls"]
    assert f'<td class="num">{so_far["actual_so_far"]:.0f}</td>' in page.text
    rest = pd.read_csv(io.BytesIO(day.centre.file(job_id, "reforecast.csv")))["volume"].sum()
    low, high = (rest * so_far[f"multiplier_{p}"] / so_far["multiplier"] for p in ("p10", "p90"))
    assert f'<td class="num">{rest:.0f}</td><td class="num">{low:.0f}-{high:.0f}</td>' in page.text  # the band
    assigned = pd.read_csv(io.BytesIO(day.centre.file(job_id, "assignment.csv")), dtype=str)
    assert len(assigned) == 2  # the open tickets, re-assigned on the re-planned day, listed with their agents
    for ticket in assigned.itertuples():
        assert f'<th scope="row">{ticket.ticket_id}</th>' in page.text and f"<td>{ticket.agent_id}</td>" in page.text
    ended = day.client.get(f"/today/replans/{job_id}/progress").text  # the polled part, once done: no more polling
    assert ended.lstrip().startswith('<div id="replan">') and "hx-trigger" not in ended and "Proposed changes" in ended
    for chart in ("so-far.svg", "reforecast.svg"):
        svg = day.client.get(f"/today/replans/{job_id}/{chart}")
        assert svg.status_code == 200 and svg.headers["content-type"] == "image/svg+xml"
        assert svg.text.lstrip().startswith("<?xml") and "<svg" in svg.text

    before = published(day.centre)
    forged = day.client.post(f"/today/replans/{job_id}/apply", data={"accept": agents})
    assert forged.status_code == 403 and published(day.centre) == before  # no CSRF token: nothing published
    csrf = csrf_of(page.text)
    applied = day.client.post(f"/today/replans/{job_id}/apply", data={"accept": agents, "csrf": csrf})
    assert applied.status_code == 200, applied.text
    assert published(day.centre) == [*before, result["roster_id"]]
    assert f'Published roster <a href="/rosters/{result["roster_id"]}">{result["roster_id"]}</a>' in applied.text
    assert f"{len(proposed)} change{'s' if len(proposed) != 1 else ''} applied, 0 declined" in applied.text
    again = day.client.post(
        f"/today/replans/{job_id}/apply", data={"accept": agents, "csrf": csrf}, headers={"HX-Request": "true"}
    )
    assert again.status_code == 409 and "applied already" in again.text


def test_declining_every_change_publishes_the_day_with_its_absence_only(day: Day) -> None:
    job_id = day.replan()
    csrf = csrf_of(day.client.get(f"/today/replans/{job_id}").text)
    applied = day.client.post(f"/today/replans/{job_id}/apply", data={"csrf": csrf}, headers={"HX-Request": "true"})
    assert applied.status_code == 200 and "0 changes applied" in applied.text
    assert '<p id="apply-actions" hx-swap-oob="true">Applied.</p>' in applied.text  # the Apply button goes
    roster = applied.text.split('href="/rosters/')[1].split('"')[0]
    described = day.client.get(f"/api/centers/{day.centre.id}/rosters", headers=day.centre.viewer).json()
    mine = next(r for r in described if str(r["id"]) == roster)
    assert mine["status"] == "published" and mine["summary"]["intraday"]["applied"] == []


def test_a_re_plan_over_a_roster_published_since_is_refused_with_the_reason(day: Day) -> None:
    job_id = day.replan()
    newer = day.centre.roster(publish=True)
    csrf = csrf_of(day.client.get(f"/today/replans/{job_id}").text)
    refused = day.client.post(f"/today/replans/{job_id}/apply", data={"accept": ["a"], "csrf": csrf})
    assert refused.status_code == 409
    assert f"roster {newer} of the centre was published after this re-plan" in refused.text
    assert published(day.centre)[-1] == newer


def test_a_re_plan_without_the_actuals_or_with_a_bad_absence_shows_the_problem_and_queues_nothing(day: Day) -> None:
    form = {**day.fields, "csrf": csrf_of(day.page()), "forecast": str(day.forecast)}
    response = day.client.post("/today/replan", data=form, files={"actuals": ("", b"", "text/csv")})
    assert response.status_code == 422 and "choose the file of today" in response.text
    files = {"actuals": ("today.csv", actuals_until_ten().encode(), "text/csv")}
    bad = {**form, "agent": ["b", "c"], "start": ["09:00", "half nine"], "end": ["", ""], "reason": ["sick", ""]}
    response = day.client.post("/today/replan", data=bad, files=files)
    assert response.status_code == 422 and "absence 2, from" in response.text and "half nine" in response.text
    assert '<option value="c" selected>' in response.text  # the rows as they were entered, to correct
    jobs = day.client.get("/api/jobs", headers=day.centre.supervisor).json()
    assert not [j for j in jobs if j["kind"] == "intraday"]


def test_open_tickets_are_assigned_latest_first_and_a_bad_file_shows_its_row(day: Day) -> None:
    csrf = csrf_of(day.page())
    text = tickets_csv("09:50", "t1") + tickets_csv("09:20", "t2").split("\n", 1)[1]
    hx = {"HX-Request": "true"}
    done = day.client.post("/today/tickets", data={**day.fields, "csrf": csrf, "pasted": text}, headers=hx)
    assert done.status_code == 200, done.text
    cells = re.findall(r'<th scope="row">(t\d)</th>', done.text)
    assert cells == ["t2", "t1"]  # t2 waited longer: later, so first
    assert "2 open tickets on roster" in done.text and "2 assigned" in done.text
    bad = "ticket_id,work_type,created_at\nt1,calls,half past nine\n"
    files = {"tickets": ("open.csv", bad.encode(), "text/csv")}
    refused = day.client.post("/today/tickets", data={**day.fields, "csrf": csrf}, files=files, headers=hx)
    assert refused.status_code == 422
    assert "open.csv" in refused.text and "row 1" in refused.text and "half past nine" in refused.text


def test_my_week_tells_a_user_without_an_agent_and_an_agent_without_a_roster_what_to_ask_for(
    client: TestClient, store: Store
) -> None:
    sign_in(client, store.add_user("nobody", "viewer"))
    page = client.get("/me")
    assert page.status_code == 200 and "not linked to an agent" in page.text and "--agent AGENT_ID" in page.text
    assert client.get("/me/calendar.ics").status_code == 404
    sign_in(client, store.add_user("zed", "viewer", "zed"))
    page = client.get("/me")
    assert "No published roster holds agent zed yet" in page.text


def test_my_week_lists_the_agent_s_shifts_and_its_calendar_is_the_api_s(day: Day, store: Store) -> None:
    sign_in(day.client, store.add_user("agent-c", "viewer", "c"))
    page = day.client.get("/me")
    assert page.status_code == 200
    assert "Mon 01 Jun</th>" in page.text and "14:00-22:00" in page.text
    assert 'href="/me/calendar.ics"' in page.text and '<rect class="shift s0"' in page.text
    mine = day.client.get("/me/calendar.ics")
    assert mine.status_code == 200 and mine.headers["content-type"].startswith("text/calendar")
    api = day.client.get(f"/api/rosters/{day.roster}/calendars/c.ics", headers=day.centre.viewer)

    def stamped(text: str) -> list[str]:  # DTSTAMP is when the file was made: the one line that differs
        return [line for line in text.splitlines() if not line.startswith("DTSTAMP")]

    assert stamped(mine.text) == stamped(api.text) and "BEGIN:VEVENT" in mine.text

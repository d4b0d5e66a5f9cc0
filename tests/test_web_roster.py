"""The roster's page: a lane per agent (paged, filtered by skill, team, contract and name), the coverage heatmap
(required vs scheduled from the roster job's coverage.csv, or the agents on duty alone), the downloads (the same
bytes as the API's), who may open it; and, in a real browser, the page of a roster the roster job made."""

from __future__ import annotations

import io
import re
import tempfile
import time
import zipfile
from collections.abc import Iterator
from pathlib import Path

import httpx
import pandas as pd
import pytest
from fastapi.testclient import TestClient

from models import ROSTER, Center, dump_center, load_center, write_table
from service.app import create_app
from service.store import Job, JobFile, Store, open_store
from service.store.schema import Roster as RosterRow
from service.web.roster_view import PAGE_SIZE
from tests.roster_helpers import MONDAY, at, build_center, contract, day, template, work_type
from tests.service_helpers import bearer
from tests.web_helpers import VIEWPORT, WebService, check_page, demo_files, launch_chromium, sign_in, web_service

#: The test centre: 61 agents; even ones work phone only (main skill phone), odd ones email then phone (main
#: skill email); every third is part-time; the first 40 sit in the North office, the rest in the South office.
#: The roster gives the first 60 shifts; the last agent has none.
AGENTS = 61
ROSTERED = 60
LUNCH = {"name": "lunch", "duration_minutes": 30, "earliest_start_minutes": 180, "latest_start_minutes": 300}
DAY = template("day", "06:00", lengths=(480,), breaks=[LUNCH])
LATE = template("late", "14:00")


def skills_of(i: int) -> list[str]:
    return ["phone"] if i % 2 == 0 else ["email", "phone"]


CENTER = build_center(
    [
        {
            "id": f"a{i:02d}",
            "name": f"Agent {i}",
            "skills": skills_of(i),
            "contract": "part" if i % 3 == 0 else "flex",
            "site": "North office" if i < 40 else "South office",
        }
        for i in range(AGENTS)
    ],
    contracts=[contract(shift_templates=["day", "late"]), contract("part", shift_templates=["day", "late"])],
    templates=[DAY, LATE],
    work_types=[work_type("calls", "phone"), work_type("mail", "email", deferred=True)],
    interval=15,
)


def roster_frame() -> pd.DataFrame:
    """Monday to Friday: even agents 06:00-14:00 with lunch 09:30-10:00, odd agents 14:00-22:00 without."""
    rows = []
    for i in range(ROSTERED):
        for n in range(5):
            on = day(n)
            early = i % 2 == 0
            start, end = (at(on, "06:00"), at(on, "14:00")) if early else (at(on, "14:00"), at(on, "22:00"))
            breaks = [[at(on, "09:30").isoformat(), at(on, "10:00").isoformat()]] if early else []
            rows.append(
                {
                    "agent_id": f"a{i:02d}",
                    "date": on,
                    "start": start,
                    "end": end,
                    "shift_template": "day" if early else "late",
                    "breaks": breaks,
                    "paid_minutes": 450 if early else 480,
                    "pinned": False,
                }
            )
    return pd.DataFrame(rows)


def roster_csv() -> str:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "roster.csv"
        write_table(roster_frame(), ROSTER, path)
        return path.read_text()


def coverage_csv() -> str:
    """Monday 09:00-10:00 phone: 4 required, 2 scheduled (half short: u3); 10:00-11:00: 2 required, 2, 2, 3, 3
    scheduled (2.5 on average, a quarter over: o1)."""
    lines = ["interval_start,skill,required,scheduled,shortfall,surplus"]
    for minute, required, scheduled in (
        ("09:00", 4, 2),
        ("09:15", 4, 2),
        ("09:30", 4, 2),
        ("09:45", 4, 2),
        ("10:00", 2, 2),
        ("10:15", 2, 2),
        ("10:30", 2, 3),
        ("10:45", 2, 3),
    ):
        short, over = max(required - scheduled, 0), max(scheduled - required, 0)
        lines.append(f"{at(MONDAY, minute).isoformat()},phone,{required},{scheduled},{short},{over}")
    return "\n".join(lines) + "\n"


class Site:
    """A service on a store with a planner's centre and two rosters of it: one uploaded (no requirement known),
    one with the coverage.csv of the job that made it; a test client per role, signed in."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.app = create_app(store, workers=1)
        self.tokens = {role: store.add_user(f"u-{role}", role) for role in ("planner", "supervisor", "viewer")}
        self.tokens["analyst"] = store.add_user("u-analyst", "analyst")
        self.clients: dict[str, TestClient] = {}

    def start(self) -> None:
        api = self.client("planner")
        made = api.post("/api/centers", json={"yaml": dump_center(CENTER)}, headers=bearer(self.tokens["planner"]))
        assert made.status_code == 201, made.json()
        self.center_id = made.json()["id"]
        self.uploaded = self.upload()
        self.planned = self.upload()
        with self.store.session() as session:
            row = session.get(RosterRow, self.planned)
            assert row is not None
            job = Job(id="job-1", kind="roster", status="done", center_version_id=row.center_version_id, params={})
            session.add(job)
            session.flush()
            session.add(
                JobFile(job_id="job-1", name="coverage.csv", media_type="text/csv", content=coverage_csv().encode())
            )
            row.job_id = "job-1"

    def upload(self) -> int:
        headers = bearer(self.tokens["planner"])
        uploaded = self.client("planner").post(
            f"/api/centers/{self.center_id}/rosters", json={"csv": roster_csv()}, headers=headers
        )
        assert uploaded.status_code == 201, uploaded.json()
        return int(uploaded.json()["id"])

    def client(self, role: str) -> TestClient:
        if role not in self.clients:
            client = TestClient(self.app)
            client.__enter__()
            signed = client.post("/signin", data={"token": self.tokens[role]}, follow_redirects=False)
            assert signed.status_code == 303
            self.clients[role] = client
        return self.clients[role]

    def close(self) -> None:
        for client in self.clients.values():
            client.__exit__(None, None, None)


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    """The pages on a plain SQLite store (the page's rendering; the downloads run on every store below)."""
    store = open_store(f"sqlite:///{tmp_path_factory.mktemp('web-roster') / 'wfm.db'}")
    made = Site(store)
    try:
        made.start()
        yield made
    finally:
        made.close()
        store.close()


def lanes(html: str) -> list[str]:
    """The agent ids of the timeline's lanes, in order."""
    return re.findall(
        r'class="lane-row timeline" role="row">\s*<span role="rowheader" class="who"><(?:a [^>]*|b)>([^<]+)</', html
    )


def test_the_page_shows_a_page_of_lanes_the_count_the_status_and_the_findings(site: Site) -> None:
    page = site.client("planner").get(f"/rosters/{site.uploaded}")
    assert page.status_code == 200
    html = page.text
    assert lanes(html) == [f"a{i:02d}" for i in range(PAGE_SIZE)]
    assert f"Agents 1–{PAGE_SIZE} of {AGENTS}" in html
    assert "Tiny roster test" in html and ">draft<" in html and "uploaded by u-planner" in html
    assert "No rule broken" in html and f"300 shifts for {ROSTERED} of the centre's {AGENTS} agents" in html
    # each shift a rect coloured by the main skill (phone is the centre's second skill: s1), a break lighter
    first = html[html.index('role="rowheader" class="who"><a href="/rosters') :]
    lane = first[: first.index("</svg>")]
    assert lane.count('class="shift s1"') == 5 and lane.count('class="break"') == 5
    assert "<title>Mon 1 Jun 06:00–14:00; day; 7.50 h paid; breaks 09:30–10:00</title>" in lane
    # the pages' content security policy: no inline style, script or handler anywhere
    assert 'style="' not in html and "<script>" not in html and not re.search(r"\son[a-z]+=", html)
    odd = html[html.index(">a01</a>") :]
    assert 'class="shift s0"' in odd[: odd.index("</svg>")]  # email, a01's main skill, is the first skill


def test_the_next_page_and_the_fragment_hold_the_other_agents(site: Site) -> None:
    client = site.client("supervisor")
    second = client.get(f"/rosters/{site.uploaded}", params={"page": 2})
    assert lanes(second.text) == [f"a{i:02d}" for i in range(PAGE_SIZE, AGENTS)]
    assert f"Agents {PAGE_SIZE + 1}–{AGENTS} of {AGENTS}" in second.text and 'rel="prev"' in second.text
    # the agent without a shift has a lane, empty, and no calendar to download
    idle = second.text[second.text.index("<b>a60</b>") :]
    assert "a60.ics" not in second.text and "<rect" not in idle[: idle.index("</svg>")]
    fragment = client.get(f"/rosters/{site.uploaded}/timeline", params={"page": 2})
    assert lanes(fragment.text) == lanes(second.text)
    assert "<html" not in fragment.text and '<table class="heat' not in fragment.text
    view = client.get(f"/rosters/{site.uploaded}/view")
    assert "<html" not in view.text and len(lanes(view.text)) == PAGE_SIZE and '<table class="heat' in view.text


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"skill": "email"}, [i for i in range(AGENTS) if i % 2]),
        ({"team": "South office"}, list(range(40, AGENTS))),
        ({"contract": "part", "team": "South office"}, [i for i in range(40, AGENTS) if i % 3 == 0]),
        ({"q": "agent 5"}, [5, *range(50, 60)]),
        ({"q": "A07"}, [7]),
        ({"skill": "nonsense"}, list(range(PAGE_SIZE))),  # an unknown choice is no filter
    ],
)
def test_filters_cut_the_lanes(site: Site, query: dict[str, str], expected: list[int]) -> None:
    html = site.client("analyst").get(f"/rosters/{site.uploaded}/timeline", params=query).text
    assert lanes(html) == [f"a{i:02d}" for i in expected]
    total = AGENTS if query == {"skill": "nonsense"} else len(expected)
    assert f"of {total}" in html


def test_a_filter_that_keeps_nobody_says_so_and_paging_keeps_the_filters(site: Site) -> None:
    client = site.client("planner")
    none = client.get(f"/rosters/{site.uploaded}/timeline", params={"q": "nobody"}).text
    assert lanes(none) == [] and "No agent matches these filters" in none
    page = client.get(f"/rosters/{site.uploaded}", params={"skill": "phone"}).text  # all 60 hold phone
    assert f'href="/rosters/{site.uploaded}?skill=phone&amp;page=2"' in page
    assert '<option value="phone" selected>' in page


def test_the_filtered_timeline_is_pushed_to_the_roster_page_address_only(site: Site) -> None:
    client = site.client("planner")
    path = f"/rosters/{site.uploaded}"
    headers = {"HX-Request": "true", "HX-Current-URL": f"http://testserver{path}"}
    pushed = client.get(f"{path}/timeline", params={"team": "North office"}, headers=headers)
    assert pushed.headers["HX-Push-Url"] == f"{path}?team=North+office"
    embedded = {"HX-Request": "true", "HX-Current-URL": "http://testserver/planner/plans/1"}
    assert "HX-Push-Url" not in client.get(f"{path}/timeline", headers=embedded).headers


def cells(html: str, caption: str) -> dict[tuple[str, str], tuple[str, str]]:
    """A heat table's cells: (day label, hour) -> (class, text)."""
    table = html[html.index(f"<caption>{caption}") :]
    table = table[: table.index("</table>")]
    hours = re.findall(r'<th scope="col">(\d\d)</th>', table)
    found = {}
    for label, row in re.findall(r'<tr><th scope="row">([^<]+)</th>(.*?)</tr>', table):
        for hour, (css, text) in zip(
            hours, re.findall(r'<td class="(\w+)" title="[^"]*">([^<]*)</td>', row), strict=True
        ):
            found[(label, hour)] = (css, text)
    return found


def test_the_heatmap_shows_required_and_scheduled_from_the_roster_job_s_coverage(site: Site) -> None:
    html = site.client("planner").get(f"/rosters/{site.planned}").text
    assert "Scheduled / required agents per hour" in html and "No requirement is known" not in html
    phone = cells(html, "phone: work types calls")
    assert phone[("Mon 1 Jun", "09")] == ("u3", "2/4")
    assert phone[("Mon 1 Jun", "10")] == ("o1", "2.5/2")
    assert phone[("Tue 2 Jun", "09")][0] == "h0"  # outside the coverage's intervals


def test_without_a_requirement_the_heatmap_counts_the_agents_on_duty_by_main_skill(site: Site) -> None:
    html = site.client("planner").get(f"/rosters/{site.uploaded}").text
    assert "No requirement is known" in html
    phone, email = cells(html, "phone: work types calls<"), cells(html, "email: work types mail (deferred work")
    on_phone = sum(1 for i in range(ROSTERED) if i % 2 == 0)  # the early agents, all of main skill phone
    assert phone[("Mon 1 Jun", "06")][1] == str(on_phone)
    assert phone[("Mon 1 Jun", "09")][1] == f"{on_phone / 2:g}"  # half the hour at lunch
    assert phone[("Mon 1 Jun", "15")][1] == "0" and email[("Mon 1 Jun", "06")][1] == "0"
    assert email[("Fri 5 Jun", "21")][1] == str(ROSTERED - on_phone)


def test_a_viewer_may_not_open_the_page_but_may_download(site: Site) -> None:
    viewer = site.client("viewer")
    refused = viewer.get(f"/rosters/{site.uploaded}")
    assert refused.status_code == 403 and "it is for: planner, supervisor, analyst" in refused.text
    assert viewer.get(f"/rosters/{site.uploaded}/timeline").status_code == 403
    assert viewer.get(f"/rosters/{site.uploaded}.csv").status_code == 200
    anonymous = TestClient(site.app)
    assert anonymous.get(f"/rosters/{site.uploaded}", follow_redirects=False).status_code == 303
    assert anonymous.get(f"/rosters/{site.uploaded}.csv", follow_redirects=False).status_code == 303


def test_a_roster_that_is_not_there_is_a_404_page(site: Site) -> None:
    client = site.client("planner")
    assert client.get("/rosters/999").status_code == 404
    assert client.get("/rosters/999.csv").status_code == 404
    assert client.get(f"/rosters/{site.uploaded}/calendars/nobody.ics").status_code == 404


def without_stamp(content: bytes) -> bytes:
    """An iCalendar file less its DTSTAMP lines (when the file was made: now, to the second)."""
    return b"\r\n".join(line for line in content.split(b"\r\n") if not line.startswith(b"DTSTAMP"))


def test_downloads_are_the_api_s_bytes(store: Store) -> None:
    made = Site(store)
    try:
        made.start()
        page, api, key = made.client("planner"), made.client("viewer"), bearer(made.tokens["viewer"])
        roster = made.uploaded
        for suffix in (".csv", ".parquet"):
            mine, theirs = (
                page.get(f"/rosters/{roster}{suffix}"),
                api.get(f"/api/rosters/{roster}{suffix}", headers=key),
            )
            assert mine.status_code == theirs.status_code == 200
            assert mine.content == theirs.content and mine.headers["content-type"] == theirs.headers["content-type"]
        assert "attachment" in page.get(f"/rosters/{roster}.csv").headers["content-disposition"]
        ics = page.get(f"/rosters/{roster}/calendars/a03.ics")
        assert ics.headers["content-type"].startswith("text/calendar")
        api_ics = api.get(f"/api/rosters/{roster}/calendars/a03.ics", headers=key).content
        assert without_stamp(ics.content) == without_stamp(api_ics) and ics.content.count(b"BEGIN:VEVENT") == 5
        archive = zipfile.ZipFile(io.BytesIO(page.get(f"/rosters/{roster}/calendars.zip").content))
        assert sorted(archive.namelist()) == [f"a{i:02d}.ics" for i in range(ROSTERED)]
        assert without_stamp(archive.read("a03.ics")) == without_stamp(api_ics)
    finally:
        made.close()


# -- in a real browser --------------------------------------------------------------------------------------------

#: How long the browser fixture waits for its plan job (a 2-day plan of the S demo with a 3 s roster solve).
PLAN_WAIT_S = 240


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[WebService, int, Center]]:
    """`wfm serve` with the S demo centre and the roster of a short plan job of it (2 days, a 3 s solve)."""
    tmp = tmp_path_factory.mktemp("web-roster-browser")
    files = demo_files(tmp / "demo", "S")
    with web_service(tmp, workers=1) as service, httpx.Client(base_url=service.url, timeout=60) as api:
        key = bearer(service.tokens["pat"])
        yaml_type = {**key, "Content-Type": "application/yaml"}
        center = api.post("/api/centers", content=files.center.read_bytes(), headers=yaml_type)
        assert center.status_code == 201, center.text
        center_id = center.json()["id"]
        history = api.post(
            f"/api/centers/{center_id}/histories",
            files={"file": ("history.csv", files.history.read_bytes(), "text/csv")},
            headers=key,
        )
        assert history.status_code == 201, history.text
        params = {
            "center_id": center_id,
            "history_id": history.json()["id"],
            "start": files.plan_start,
            "days": 2,
            "time_limit_s": 3,
            "loop_budget_s": 0,
            "diagnosis_budget_s": 2,
            "remedies": False,
        }
        job_id = api.post("/api/plans", json=params, headers=key).json()["job_id"]
        end = time.monotonic() + PLAN_WAIT_S
        while (job := api.get(f"/api/jobs/{job_id}", headers=key).json())["status"] in ("queued", "running"):
            assert time.monotonic() < end, f"the plan job did not end in {PLAN_WAIT_S} s"
            time.sleep(0.5)
        assert job["status"] == "done", job["error"]
        yield service, int(job["result"]["roster_id"]), load_center(files.center)


@pytest.mark.browser
def test_in_a_browser_the_lanes_and_heatmap_show_and_a_skill_filter_cuts_the_lanes(
    served: tuple[WebService, int, Center],
) -> None:
    service, roster_id, center = served
    with launch_chromium() as browser:
        context = browser.new_context(viewport=VIEWPORT)  # type: ignore[attr-defined]
        page = context.new_page()
        sign_in(page, service, "pat")
        response = page.goto(f"{service.url}/rosters/{roster_id}")
        assert response.status == 200
        rows = page.locator(".lane-row.timeline")
        rows.first.wait_for(state="visible")
        everyone = min(len(center.agents), PAGE_SIZE)
        assert rows.count() == everyone
        assert page.locator(f"#timeline-{roster_id} svg.lane rect.shift").first.is_visible()
        assert page.locator("table.heat").first.is_visible()
        assert "Scheduled / required" in page.locator("main").inner_text()
        check_page(page, "roster")
        # the keyboard reaches the skill filter, and choosing a skill refreshes the lanes alone
        skill_filter = page.locator(f"#f-skill-{roster_id}")
        for _ in range(60):
            page.keyboard.press("Tab")
            if page.evaluate("document.activeElement.id") == f"f-skill-{roster_id}":
                break
        else:
            raise AssertionError("Tab never reached the skill filter")
        counts = {s.id: sum(any(k.skill == s.id for k in a.skills) for a in center.agents) for s in center.skills}
        skill = min(counts, key=lambda s: (counts[s], s))
        assert 0 < counts[skill] < everyone
        page.evaluate("window.stayed = true")  # gone if the whole page were loaded again
        from playwright.sync_api import expect

        skill_filter.select_option(skill)
        page.locator(f"#timeline-{roster_id} .count").filter(has_text=f"of {counts[skill]} ").wait_for()
        expect(rows).to_have_count(counts[skill])  # (the swap's old lanes may leave a moment after the count)
        assert page.evaluate("window.stayed === true")  # the page stayed: only the timeline was swapped
        assert f"skill={skill}" in page.url
        context.close()


@pytest.mark.browser
def test_in_a_browser_the_pager_swaps_the_lanes_and_the_keyboard_stays_in_the_timeline(
    served: tuple[WebService, int, Center],
) -> None:
    service = served[0]
    key = bearer(service.tokens["pat"])
    with httpx.Client(base_url=service.url, timeout=60, headers=key) as api:
        center_id = api.post("/api/centers", json={"yaml": dump_center(CENTER)}).raise_for_status().json()["id"]
        made = api.post(f"/api/centers/{center_id}/rosters", json={"csv": roster_csv()}).raise_for_status()
    roster_id = made.json()["id"]
    with launch_chromium() as browser:
        context = browser.new_context(viewport=VIEWPORT)  # type: ignore[attr-defined]
        page = context.new_page()
        sign_in(page, service, "pat")
        page.goto(f"{service.url}/rosters/{roster_id}")
        rows = page.locator(".lane-row.timeline")
        assert rows.count() == PAGE_SIZE
        page.evaluate("window.stayed = true")
        page.get_by_role("link", name=f"Next {PAGE_SIZE}").focus()
        page.keyboard.press("Enter")
        count = page.locator(f"#timeline-{roster_id} .count")
        count.filter(has_text=f"Agents {PAGE_SIZE + 1}–{AGENTS} of {AGENTS}").wait_for()
        from playwright.sync_api import expect

        expect(rows).to_have_count(AGENTS - PAGE_SIZE)  # (the swap's old lanes may leave a moment after the count)
        assert page.evaluate("window.stayed === true")
        assert page.url.endswith(f"/rosters/{roster_id}?page=2")
        assert page.evaluate("document.activeElement.classList.contains('count')")  # not lost to the body
        page.keyboard.press("Tab")
        assert page.evaluate("document.activeElement.textContent") == f"a{PAGE_SIZE:02d}"
        context.close()

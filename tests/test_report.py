"""The planner's report: what a planner decides on first (service level against target, shortfall by day and hour,
paid hours and cost, the agent x day grid against the contracts), the solver's own figures last; percentages as
percentages, the centre's names, the plan's dates in the title, hour ticks on every time axis, every agent on the
timeline."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from typing import Any

import numpy as np
import pandas as pd
import pytest

from models import Center
from planner.reports import ReportSections, _requirement_figure, _service_figure, pyplot
from planner.roster.export import _coverage_figure, _gantt_figures, _read_shifts, roster_report_html

TZ = "Europe/London"
plt = pyplot()
#: A raw decimal as the report printed them before: a fraction with four or more places.
RAW_DECIMAL = re.compile(r"\b\d+\.\d{4,}\b")


class _Page(HTMLParser):
    """The page as a reader sees it: the title, the headings in order, each h2 section's text, the tables (rows of
    cell texts) and the alt texts of the images, each under the h2 section it sits in."""

    def __init__(self) -> None:
        super().__init__()
        self.title = ""
        self.h1 = ""
        self.h2: list[str] = []
        self.text: dict[str, str] = {"": ""}
        self.tables: dict[str, list[list[list[str]]]] = {}
        self.images: dict[str, list[str]] = {}
        self._in: list[str] = []
        self._cell: list[str] | None = None

    @property
    def section(self) -> str:
        return self.h2[-1] if self.h2 else ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._in.append(tag)
        if tag == "h2":
            self.h2.append("")
        elif tag == "table":
            self.tables.setdefault(self.section, []).append([])
        elif tag == "tr":
            self.tables[self.section][-1].append([])
        elif tag in ("td", "th"):
            self._cell = []
        elif tag == "img":
            self.images.setdefault(self.section, []).append(dict(attrs).get("alt") or "")
        elif tag == "br" and self._cell is not None:
            self._cell.append(" ")
        if tag in ("img", "br", "meta"):
            self._in.pop()

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self._cell is not None and self.tables.get(self.section):
            self.tables[self.section][-1][-1].append(" ".join("".join(self._cell).split()))
            self._cell = None
        if self._in and self._in[-1] == tag:
            self._in.pop()
        if tag in ("td", "th", "li", "p") and self.h2:
            self.text[self.section] += " "  # a reader sees the cells apart

    def handle_data(self, data: str) -> None:
        if "title" in self._in:
            self.title += data
        elif "h1" in self._in:
            self.h1 += data
        elif "h2" in self._in:
            self.h2[-1] += data
            self.text.setdefault(self.h2[-1], "")
        else:
            self.text[self.section] = self.text.get(self.section, "") + data
        if self._cell is not None:
            self._cell.append(data)


def _parse(page: str) -> _Page:
    parsed = _Page()
    parsed.feed(page)
    parsed.close()
    return parsed


@pytest.fixture
def center(center_data: dict[str, Any]) -> Center:
    """The conftest centre with names for its work types and agents, sites and costs, and 45 agents on one
    contract (more than a timeline page holds) of whom one is never rostered."""
    center_data["work_types"][0]["name"] = "Billing calls"
    center_data["work_types"][1]["name"] = "Tech e-mail"
    center_data["contracts"][0]["name"] = "Full time"
    center_data["agents"] = [
        {
            "id": f"a{i:02d}",
            "name": f"Person {i:02d}",
            "skills": ["billing", "tech"],
            "contract": "full_time",
            "site": "Leeds" if i % 2 else "York",
            "hourly_cost": 20.0,
        }
        for i in range(45)
    ]
    return Center.model_validate(center_data)


#: The plan's week: Monday 2 March to Sunday 8 March 2026.
DAYS = pd.date_range("2026-03-02", periods=7, freq="D")


def _roster(center: Center) -> pd.DataFrame:
    """Every agent but the last works 09:00-17:00 (day template, lunch 12:00-12:30, 450 paid minutes) on
    Monday to Friday, except a00, who works Monday only (7.5 h, under the contract's 35 h minimum)."""
    rows = []
    for agent in center.agents[:-1]:
        for day in DAYS[: 1 if agent.id == "a00" else 5]:
            start = pd.Timestamp(f"{day:%Y-%m-%d}T09:00", tz=TZ)
            rows.append(
                {
                    "agent_id": agent.id,
                    "date": day.date(),
                    "start": start,
                    "end": start + pd.Timedelta(hours=8),
                    "shift_template": "day",
                    "breaks": [[start + pd.Timedelta(hours=3), start + pd.Timedelta(hours=3.5)]],
                    "paid_minutes": 450,
                }
            )
    return pd.DataFrame(rows)


def _coverage() -> pd.DataFrame:
    """Both skills on the 15-minute grid of the week: 10 agents required 08:00-18:00, 10 scheduled, except
    billing on Wednesday 14:00-15:00, where 4 are scheduled (6 agents short for an hour: 6 agent-hours)."""
    starts = pd.date_range(pd.Timestamp("2026-03-02", tz=TZ), pd.Timestamp("2026-03-09", tz=TZ), freq="15min")[:-1]
    open_ = (starts.hour >= 8) & (starts.hour < 18)
    frames = []
    for skill in ("billing", "tech"):
        required = np.where(open_, 10.0, 0.0)
        scheduled = required.copy()
        if skill == "billing":
            scheduled[(starts.day == 4) & (starts.hour == 14)] = 4.0
        frames.append(
            pd.DataFrame(
                {
                    "interval_start": starts,
                    "skill": skill,
                    "required": required,
                    "scheduled": scheduled,
                    "shortfall": np.maximum(required - scheduled, 0),
                    "surplus": np.maximum(scheduled - required, 0),
                }
            )
        )
    return pd.concat(frames, ignore_index=True)


SUMMARY: dict[str, Any] = {
    "status": "FEASIBLE",
    "objective": 102649.65,
    "best_bound": 16770.548333333332,
    "gap": 0.8366234241097428,
    "solve_time_s": 4.9482659499990405,
    "first_solution_s": 2.520842375999564,
    "breakdown": {"understaffing": 67120.0, "paid_cost": 17356.75},
    "kpis": {
        "understaffed_agent_hours": {"priority 1": 6.0, "priority 2": 0.0},
        "expected_service_level": {"billing_phone": 0.850941},
        "deferred_work_in_time": {"tech_email": 0.9371234},
        "paid_hours": 1327.5,
        "paid_cost": 26550.0,
        "first_phase_s": 3.5694090880006115,
    },
}


def _page(center: Center, **kwargs: Any) -> _Page:
    return _parse(roster_report_html(_roster(center), _coverage(), center, SUMMARY, **kwargs))


def test_the_title_names_the_plans_full_date_range_and_time_zone(center: Center) -> None:
    page = _page(center)
    assert page.h1.startswith("Roster Mon 2 Mar – Sun 8 Mar 2026, Europe/London")
    assert "Mon 2 Mar – Sun 8 Mar 2026" in page.title
    # The range is the plan's (the coverage's days), not the days that happen to have shifts (Mon to Fri).
    assert "Fri 6 Mar" not in page.h1


def test_planner_figures_come_first_and_solver_details_last(center: Center) -> None:
    page = _page(center)
    order = page.h2
    first = ["Service level per work type", "Shortfall by day and hour", "Paid hours and cost", "Agents by day"]
    assert [h for h in order if h in first] == first
    assert order[-1] == "Solver details"
    assert order.index("Timeline") < order.index("Solver details")
    details = page.text["Solver details"]
    for text in ("objective", "best bound", "gap", "understaffing", "first phase"):
        assert text in details, text
    for heading in order[:-1]:
        assert "objective" not in page.text.get(heading, "").lower(), heading


def test_no_raw_decimals_before_the_solver_details(center: Center) -> None:
    page = _page(center)
    for heading in ["", *page.h2[:-1]]:
        text = page.text.get(heading, "")
        assert not RAW_DECIMAL.search(text), (heading, RAW_DECIMAL.findall(text))
    assert not RAW_DECIMAL.search(page.text["Solver details"])  # rounded there too (3.6 s, 83.66%)


def test_service_level_as_percentages_against_target_with_the_centres_names(center: Center) -> None:
    page = _page(center)
    rows = page.tables["Service level per work type"][0]
    by_name = {row[0]: row for row in rows[1:]}
    billing = by_name["Billing calls (billing_phone)"]
    assert "80.0% answered within 20 s" in billing and "85.1%" in billing
    email = by_name["Tech e-mail (tech_email)"]
    assert "90.0% first response within 24 h" in email and "93.7%" in email
    assert any("meets target" in cell for cell in billing)


def test_shortfall_by_day_and_hour_names_the_worst_hour(center: Center) -> None:
    page = _page(center)
    table = page.tables["Shortfall by day and hour"][0]
    header = table[0]
    assert "14:00" in header and "08:00" in header and "03:00" not in header  # the hours with any requirement
    wednesday = next(row for row in table[1:] if row[0].startswith("Wed 4 Mar"))
    assert wednesday[header.index("14:00")] == "6.0"
    text = page.text["Shortfall by day and hour"]
    assert "Wed 4 Mar 14:00–15:00" in text and "6.0 agent-hours" in text


def test_deferred_work_is_not_counted_as_hourly_shortfall(center: Center) -> None:
    """Tech e-mail is the tech skill's only work type, and deferred: the roster plans it against its deadlines, so
    3 agents short of its rounded-up level on Thursday 10:00-11:00 are no hour a planner should staff."""
    coverage = _coverage()
    thursday = (coverage["skill"] == "tech") & (coverage["interval_start"].dt.day == 5)
    thursday &= coverage["interval_start"].dt.hour == 10
    coverage.loc[thursday, ["scheduled", "shortfall"]] = [7.0, 3.0]
    html = roster_report_html(_roster(center), coverage, center, SUMMARY)
    page = _parse(html)
    table = page.tables["Shortfall by day and hour"][0]
    thursday_row = next(row for row in table[1:] if row[0].startswith("Thu 5 Mar"))
    assert thursday_row[table[0].index("10:00")] == ""
    assert table[-1][-1] == "6.0"  # the billing hour only
    text = page.text["Shortfall by day and hour"]
    assert "Thu 5 Mar 10:00" not in text and "left out" in text
    assert "deferred: see the share done in time" in text
    assert "<td>6.0 agent-hours (" in html and "(live work; deferred work: its share done in time)" in html


def test_paid_hours_and_cost_in_total_by_contract_and_by_site(center: Center) -> None:
    page = _page(center)
    text = page.text["Paid hours and cost"]
    # 43 agents x 5 shifts x 7.5 h + a00's 7.5 h = 1,620 h, at 20 an hour = 32,400.
    assert "1,620.0" in text and "32,400" in text
    tables = page.tables["Paid hours and cost"]
    by_contract = next(t for t in tables if t[0][0] == "contract")
    assert by_contract[1][0] == "Full time (full_time)"
    by_site = next(t for t in tables if t[0][0] == "site")
    assert sorted(row[0] for row in by_site[1:]) == ["Leeds", "York"]


def test_every_agent_is_in_the_grid_with_each_shift_and_the_weeks_hours_flagged(center: Center) -> None:
    page = _page(center)
    grid = page.tables["Agents by day"][0]
    header = grid[0]
    assert header[header.index("Mon 2 Mar") : header.index("Sun 8 Mar") + 1] == [f"{d:%a} {d.day} {d:%b}" for d in DAYS]
    rows = {row[0]: row for row in grid[1:]}
    assert set(rows) == {f"Person {i:02d} (a{i:02d})" for i in range(45)}
    tuesday = header.index("Tue 3 Mar")
    assert rows["Person 01 (a01)"][tuesday] == "09:00–17:00 day"
    assert rows["Person 01 (a01)"][header.index("Sat 7 Mar")] == "off"
    paid = next(i for i, h in enumerate(header) if h.startswith("paid h"))
    assert rows["Person 01 (a01)"][paid] == "37.5 (35–40)"
    assert rows["Person 00 (a00)"][paid] == "7.5 (35–40) ▼ under min"
    assert rows["Person 44 (a44)"][paid] == "0.0 (35–40) ▼ under min"  # never rostered


def test_every_rostered_agent_is_on_a_timeline_page(center: Center) -> None:
    page = _page(center)
    alts = page.images["Timeline"]
    assert len(alts) == 2  # 45 agents, 40 to a page
    for agent in center.agents[:-1]:
        assert sum(f"{agent.name} ({agent.id})" in alt for alt in alts) == 1, agent.id


def test_a_run_stopped_by_ctrl_c_leaves_the_timeline_out_and_says_so(center: Center) -> None:
    page = _page(center, timeline=False)
    assert not page.images.get("Timeline")
    assert "Left out: the run was stopped by Ctrl-C" in page.text["Timeline"]
    assert page.h2.index("Agents by day") < page.h2.index("Timeline") < page.h2.index("Solver details")


def test_a_plans_sections_go_where_a_planner_reads_them(center: Center) -> None:
    sections = ReportSections(
        service=("<h2>Service level: promised and simulated</h2><p>93.0%</p>",),
        findings=("<h2>Capacity diagnosis</h2><p>fine</p>",),
        details=("<h2>Simulation in the loop</h2><p>1 iteration</p>",),
    )
    order = _page(center, sections=sections).h2
    assert order[0] == "Service level: promised and simulated"
    assert "Service level per work type" not in order  # the plan's table replaces the roster's own
    assert order.index("Capacity diagnosis") < order.index("Agents by day")
    assert order.index("Timeline") < order.index("Simulation in the loop") < order.index("Solver details")


# -- hour ticks on every time axis ------------------------------------------------------------------------------


def _hour_labels(ax: Any) -> list[str]:
    ticks = [t.get_text() for t in ax.get_xticklabels(minor=True)] + [t.get_text() for t in ax.get_xticklabels()]
    return [t for t in ticks if re.search(r"\d\d:\d\d", t)]


def _assert_hour_ticks(ax: Any) -> None:
    labels = _hour_labels(ax)
    for hour in ("06:00", "12:00", "18:00"):
        assert hour in labels, (hour, labels)
    assert any(label.startswith("00:00\nMon 2 Mar") for label in labels), labels
    assert "hour" in ax.get_xlabel()


def test_the_timeline_pages_have_hour_ticks_and_every_agent(center: Center) -> None:
    shifts = _read_shifts(_roster(center), center)
    shown = []
    pages = 0
    for figure in _gantt_figures(shifts, center, per_page=40, dates=[d.date() for d in DAYS]):
        pages += 1
        shown += [t.get_text() for t in figure.axes[0].get_yticklabels()]
        _assert_hour_ticks(figure.axes[0])
        assert figure.axes[0].get_xlim() == (0, 7 * 24)  # the plan's whole week, though nobody works the weekend
        plt.close(figure)
    assert pages == 2
    assert sorted(shown) == sorted(f"{a.name} ({a.id})" for a in center.agents[:-1])


def test_the_coverage_heatmap_has_hour_ticks() -> None:
    figure = _coverage_figure(_coverage(), TZ)
    _assert_hour_ticks(figure.axes[2])  # the totals panel under the heatmap carries the time axis
    plt.close(figure)


def test_the_requirement_heatmap_has_hour_ticks_and_work_type_names(center: Center) -> None:
    starts = pd.date_range(pd.Timestamp("2026-03-02", tz=TZ), periods=7 * 96, freq="15min")
    requirement = pd.concat(
        [pd.DataFrame({"interval_start": starts, "work_type": w.id, "required_agents": 1.0}) for w in center.work_types]
    )
    figure = _requirement_figure(requirement, center)
    _assert_hour_ticks(figure.axes[0])
    assert [t.get_text() for t in figure.axes[0].get_yticklabels()] == [
        "Billing calls (billing_phone)",
        "Tech e-mail (tech_email)",
    ]
    plt.close(figure)


def test_the_service_heatmap_has_hour_ticks(center: Center) -> None:
    hours = pd.date_range("2026-03-02", periods=7 * 24, freq="h")
    gap = pd.DataFrame(np.zeros((2, len(hours))), index=["billing_phone", "tech_email"], columns=hours)
    figure = _service_figure(gap.drop(columns=hours[(hours.day == 4) & (hours.hour < 8)]), center)
    _assert_hour_ticks(figure.axes[0])
    # Hours with no contacts at all keep their place on the axis (blank), so every day is as wide as the others.
    assert figure.axes[0].images[0].get_array().shape == (2, 7 * 24)
    plt.close(figure)


def test_the_weeks_of_a_longer_plan_each_get_their_hours_with_time_off_and_excess_said(
    center_data: dict[str, Any],
) -> None:
    """Ten days (Mon 2 to Wed 11 March): a full week and a 3-day block whose maximum is prorated (ceil(2400 x 3 /
    7) = 1,029 min, 17.15 h) and has no minimum. b1 works 7.5 h on each of the 10 days: 52.5 h in week 1 (over 40)
    and 22.5 h in the short block (over 17.15). b2 is on leave Monday to Wednesday of week 1 and works 2 days (15
    h, under the minimum of 35, but the week has time off, so it is not flagged)."""
    center_data["agents"] = [
        {"id": "b1", "skills": ["billing", "tech"], "contract": "full_time"},
        {"id": "b2", "skills": ["billing", "tech"], "contract": "full_time", "time_off": [
            {"start_date": "2026-03-02", "end_date": "2026-03-04"}]},
    ]  # fmt: skip
    center = Center.model_validate(center_data)
    days = pd.date_range("2026-03-02", periods=10, freq="D")
    rows = []
    for agent, worked in (("b1", days), ("b2", days[3:5])):
        for day in worked:
            start = pd.Timestamp(f"{day:%Y-%m-%d}T09:00", tz=TZ)
            breaks = [[start + pd.Timedelta(hours=3), start + pd.Timedelta(hours=3.5)]]
            rows.append([agent, day.date(), start, start + pd.Timedelta(hours=8), "day", breaks, 450])
    roster = pd.DataFrame(
        rows, columns=["agent_id", "date", "start", "end", "shift_template", "breaks", "paid_minutes"]
    )
    coverage = _coverage().assign(interval_start=lambda f: f["interval_start"] + pd.Timedelta(days=3))
    page = _parse(roster_report_html(roster, coverage, center, {}))
    assert page.h1.startswith("Roster Mon 2 Mar – Wed 11 Mar 2026")
    grid = page.tables["Agents by day"][0]
    header = grid[0]
    weeks = [h for h in header if h.startswith("paid h")]
    assert weeks == ["paid h Mon 2 Mar–Sun 8 Mar (contract)", "paid h Mon 9 Mar–Wed 11 Mar (contract)"]
    rows_by = {row[0]: row for row in grid[1:]}
    first, second = header.index(weeks[0]), header.index(weeks[1])
    assert rows_by["b1"][first] == "52.5 (35–40) ▲ over max"
    assert rows_by["b1"][second] == "22.5 (≤ 17.15) ▲ over max"
    assert rows_by["b2"][first] == "15.0 (35–40, less time off)"
    assert rows_by["b2"][header.index("Mon 2 Mar")] == "time off"
    assert rows_by["b2"][second] == "0.0 (≤ 17.15)"


def test_a_closed_day_shows_in_the_grid_and_keeps_its_week_unflagged(center_data: dict[str, Any]) -> None:
    """Wednesday 4 March is listed closed for every work type: b1, who works the four other weekdays (30 h, under
    the minimum of 35), sees it as `closed`, and the week, whose limits the closure lowers, is not flagged."""
    center_data["agents"] = [{"id": "b1", "skills": ["billing", "tech"], "contract": "full_time"}]
    center_data["special_days"] = [{"date": "2026-03-04", "name": "Strike", "closed": True}]
    center = Center.model_validate(center_data)
    rows = []
    for day in pd.to_datetime(["2026-03-02", "2026-03-03", "2026-03-05", "2026-03-06"]):
        start = pd.Timestamp(f"{day:%Y-%m-%d}T09:00", tz=TZ)
        breaks = [[start + pd.Timedelta(hours=3), start + pd.Timedelta(hours=3.5)]]
        rows.append(["b1", day.date(), start, start + pd.Timedelta(hours=8), "day", breaks, 450])
    roster = pd.DataFrame(
        rows, columns=["agent_id", "date", "start", "end", "shift_template", "breaks", "paid_minutes"]
    )
    grid = _parse(roster_report_html(roster, _coverage(), center, {})).tables["Agents by day"][0]
    header, row = grid[0], grid[1]
    assert row[header.index("Wed 4 Mar")] == "closed"
    assert row[header.index("Sat 7 Mar")] == "off"
    assert row[header.index("paid h (contract min–max)")] == "30.0 (35–40, less closed days)"


def test_a_range_across_new_year_names_both_years() -> None:
    from planner.roster.export import _date_range_text

    dates = list(pd.date_range("2026-12-28", "2027-01-03").date)
    assert _date_range_text(dates) == "Mon 28 Dec 2026 – Sun 3 Jan 2027"
    assert _date_range_text(dates[:1]) == "Mon 28 Dec 2026"


def test_the_key_figures_name_the_special_days_of_the_plan(center: Center) -> None:
    """A planner sees why a day has no work (closed) or more or less of it (a multiplier), by the centre's names;
    special days outside the plan are not listed."""
    days = [
        {"date": "2026-03-04", "name": "Strike", "closed": True},
        {"date": "2026-03-06", "name": "Eve", "volume_multiplier": 0.6, "work_types": ["billing_phone"]},
        {"date": "2026-04-01", "name": "Later", "volume_multiplier": 2.0},
    ]
    special = Center.model_validate(center.model_dump() | {"special_days": days})
    (facts, *_) = _page(special).tables[""]
    rows = {row[0]: row[1] for row in facts if len(row) == 2}
    assert (
        rows["special days"]
        == "Wed 4 Mar: Strike (closed); Fri 6 Mar: Eve (volume × 0.6, Billing calls (billing_phone))"
    )
    (plain, *_) = _page(center).tables[""]
    assert "special days" not in {row[0] for row in plain}

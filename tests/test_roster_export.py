"""The roster's exports: calendars that place every shift at its exact instant (across DST too), valid PNGs,
and one self-contained, escaped HTML report."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from icalendar import Calendar

from models import Center, InputError
from planner.roster.export import (
    _gantt_title,
    agent_calendars,
    plot_coverage,
    plot_gantt,
    roster_report_html,
)

TZ = "Europe/London"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def _at(text: str) -> pd.Timestamp:
    return pd.Timestamp(text).tz_convert(TZ)


@pytest.fixture
def center(center_data: dict[str, Any]) -> Center:
    """The conftest centre with a night template, an agent whose name is markup, and an agent with no shift."""
    center_data["shift_templates"].append(
        {
            "id": "night",
            "name": "late",
            "earliest_start_minute": "20:00",
            "latest_start_minute": "22:00",
            "lengths_minutes": [480],
            "breaks": [
                {"name": "meal", "duration_minutes": 30, "earliest_start_minutes": 180, "latest_start_minutes": 300}
            ],
        }
    )
    center_data["contracts"][0]["shift_templates"].append("night")
    center_data["agents"][0]["name"] = "<b>Bold</b> & co"
    center_data["agents"].append({"id": "a3", "skills": ["billing"], "contract": "full_time"})
    return Center.model_validate(center_data)


def _roster() -> pd.DataFrame:
    """Three shifts; a1's night shift runs across the spring-forward night (01:00 GMT on 2026-03-29 becomes
    02:00 BST): 22:00 GMT to 07:00 BST is 8 elapsed hours. The breaks come in the three accepted forms."""
    rows = [
        ("a1", "2026-03-27", "2026-03-27T09:00:00+00:00", "2026-03-27T17:00:00+00:00", "day",
         json.dumps([["2026-03-27T12:00:00+00:00", "2026-03-27T12:30:00+00:00"]]), 450),
        ("a1", "2026-03-28", "2026-03-28T22:00:00+00:00", "2026-03-29T07:00:00+01:00", "night",
         [["2026-03-29T03:00:00+01:00", "2026-03-29T03:30:00+01:00"]], 450),
        ("a2", "2026-03-30", "2026-03-30T08:00:00+01:00", "2026-03-30T16:30:00+01:00", "day",
         [[_at("2026-03-30T12:00:00+01:00"), _at("2026-03-30T12:30:00+01:00")]], 480),
    ]  # fmt: skip
    frame = pd.DataFrame(rows, columns=["agent_id", "date", "start", "end", "shift_template", "breaks", "paid_minutes"])
    frame["date"] = [pd.Timestamp(d).date() for d in frame["date"]]
    frame["start"] = pd.to_datetime(frame["start"], utc=True).dt.tz_convert(TZ)
    frame["end"] = pd.to_datetime(frame["end"], utc=True).dt.tz_convert(TZ)
    return frame


def _coverage() -> pd.DataFrame:
    """Two skills on the 15-minute grid from 27 to 31 March 2026 (the spring-forward day has 92 intervals)."""
    starts = pd.date_range(_at("2026-03-27T00:00:00+00:00"), _at("2026-03-31T00:00:00+01:00"), freq="15min")
    rng = np.random.default_rng(0)
    frames = []
    for skill in ("billing", "tech"):
        required = rng.integers(0, 4, len(starts)).astype(float)
        scheduled = rng.integers(0, 4, len(starts)).astype(float)
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


def _events(ics: bytes) -> list[Any]:
    return list(Calendar.from_ical(ics).walk("VEVENT"))


def test_one_calendar_per_agent_with_a_shift(center: Center) -> None:
    files = agent_calendars(_roster(), center)
    assert sorted(files) == ["a1.ics", "a2.ics"]  # a3 has no shift, so no file
    assert [len(_events(files[name])) for name in ("a1.ics", "a2.ics")] == [2, 1]
    calendar = Calendar.from_ical(files["a1.ics"])
    assert str(calendar["version"]) == "2.0"
    assert str(calendar["prodid"]).startswith("-//")


def test_events_start_and_end_at_the_rosters_instants_across_spring_forward(center: Center) -> None:
    roster = _roster()
    events = _events(agent_calendars(roster, center)["a1.ics"])
    by_start = {e.decoded("dtstart"): e for e in events}
    for _, row in roster[roster["agent_id"] == "a1"].iterrows():
        event = by_start[row["start"].to_pydatetime()]
        assert event.decoded("dtend") == row["end"].to_pydatetime()
    night = by_start[datetime(2026, 3, 28, 22, 0, tzinfo=UTC)]
    # 22:00 GMT to 07:00 BST: 8 elapsed hours, although the wall clock moves 9.
    assert night.decoded("dtend") - night.decoded("dtstart") == pd.Timedelta(hours=8)
    assert str(night["summary"]) == "Shift (late)"
    description = str(night["description"])
    assert "22:00 GMT–07:00 BST (+1)" in description
    assert "03:00–03:30 meal (unpaid)" in description  # the break in local (BST) time
    assert "450 min" in description


def test_break_events_when_asked(center: Center) -> None:
    events = _events(agent_calendars(_roster(), center, include_breaks=True)["a1.ics"])
    breaks = [e for e in events if str(e["summary"]).startswith("Break")]
    assert [str(e["summary"]) for e in breaks] == ["Break (lunch)", "Break (meal)"]
    assert breaks[1].decoded("dtstart") == datetime(2026, 3, 29, 2, 0, tzinfo=UTC)
    assert breaks[1].decoded("dtend") == datetime(2026, 3, 29, 2, 30, tzinfo=UTC)


def test_uids_are_stable_across_exports_and_distinct_per_shift(center: Center) -> None:
    first = agent_calendars(_roster(), center, stamp=datetime(2026, 3, 1, tzinfo=UTC))
    later = _roster()
    later.loc[0, "start"] += pd.Timedelta(hours=1)  # a re-published roster moves a shift
    second = agent_calendars(later, center, stamp=datetime(2026, 3, 2, tzinfo=UTC))
    uids = [str(e["uid"]) for name in sorted(first) for e in _events(first[name])]
    assert uids == [str(e["uid"]) for name in sorted(second) for e in _events(second[name])]
    assert len(set(uids)) == len(uids) == 3
    # The same input and stamp give the same bytes.
    assert first == agent_calendars(_roster(), center, stamp=datetime(2026, 3, 1, tzinfo=UTC))


def test_breaks_as_bad_json_or_naive_times_are_input_errors(center: Center) -> None:
    roster = _roster()
    roster.loc[0, "breaks"] = "[[not json"
    with pytest.raises(InputError, match=r"row 1 \(agent 'a1', date 2026-03-27\).*not valid JSON"):
        agent_calendars(roster, center)
    roster.loc[0, "breaks"] = json.dumps([["2026-03-27T12:00:00", "2026-03-27T12:30:00"]])
    with pytest.raises(InputError, match="has no UTC offset"):
        agent_calendars(roster, center)
    roster = _roster()
    roster.loc[2, "agent_id"] = "ghost"
    with pytest.raises(InputError, match="agent 'ghost' is not in centre"):
        agent_calendars(roster, center)


def test_pictures_are_pngs(center: Center, tmp_path: Path) -> None:
    coverage = plot_coverage(_coverage(), tmp_path / "coverage.png", timezone=TZ)
    gantt = plot_gantt(_roster(), center, tmp_path / "gantt.png", max_agents=1)
    for path in (coverage, gantt):
        assert path.read_bytes().startswith(PNG_SIGNATURE)
    empty = plot_gantt(_roster().iloc[:0], center, tmp_path / "empty.png")
    assert empty.read_bytes().startswith(PNG_SIGNATURE)


def test_the_gantt_title_says_when_agents_are_left_out() -> None:
    assert _gantt_title(60, 75, TZ) == f"Roster: first 60 of 75 agents shown ({TZ})"
    assert _gantt_title(2, 2, TZ) == f"Roster: 2 agents ({TZ})"


def test_html_report_is_self_contained_and_escaped(center: Center) -> None:
    summary = {
        "status": "FEASIBLE",
        "objective": 1234.5,
        "best_bound": 1200.0,
        "gap": 0.0279,
        "solve_time_s": 12.34,
        "breakdown": {"soft": {"understaffing": 900, "paid_cost": 334.5}, "hard": {}},
        "kpis": {"service_level": 0.8765, "coverage": {"billing": 0.93, "tech": 0.71}},
    }
    page = roster_report_html(_roster(), _coverage(), center, summary)
    for text in ("FEASIBLE", "1,234.5", "2.8%", "12.3 s", "understaffing", "paid_cost", "334.5"):
        assert text in page, text
    for text in ("service level", "0.88", "billing", "0.93", "0.71"):  # KPIs the report does not know, rounded
        assert text in page, text
    assert page.count("data:image/png;base64,") == 2
    assert "<script" not in page
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", page)
    assert "&lt;b&gt;Bold&lt;/b&gt; &amp; co" in page
    assert "<b>Bold" not in page
    assert "22:00 GMT–07:00 BST (+1)" in page  # the night shift, in local time


def test_html_report_without_a_summary(center: Center) -> None:
    page = roster_report_html(_roster(), _coverage().iloc[:0], center, {})
    assert "No solver figures were given." in page and "expected service level was not given" in page
    assert page.count("data:image/png;base64,") == 2


def _changed_roster() -> pd.DataFrame:
    """`_roster` after an intraday re-plan: a1 left Friday at 16:30 (30 min of voluntary time off) and was away
    14:00-15:00; a2's Monday was extended by an hour to 17:30 BST (paid 480 + 60)."""
    roster = _roster()
    roster["overtime_minutes"] = pd.array([pd.NA, pd.NA, 60], dtype="Int64")
    roster["vto_minutes"] = [30, 0, 0]
    roster["absences"] = [[["2026-03-27T14:00:00+00:00", "2026-03-27T15:00:00+00:00"]], None, "[]"]
    roster.loc[0, ["end", "paid_minutes"]] = [_at("2026-03-27T16:30:00+00:00"), 420]
    roster.loc[2, ["end", "paid_minutes"]] = [_at("2026-03-30T17:30:00+01:00"), 540]
    return roster


def test_calendars_show_the_days_changes(center: Center) -> None:
    files = agent_calendars(_changed_roster(), center)
    friday = next(e for e in _events(files["a1.ics"]) if e.decoded("dtstart").day == 27)
    assert friday.decoded("dtend") == datetime(2026, 3, 27, 16, 30, tzinfo=UTC)
    description = str(friday["description"])
    assert "voluntary time off 30 min (from 16:30)" in description and "absent 14:00–15:00" in description
    assert "12:00–12:30 lunch (unpaid)" in description and "420 min" in description
    (monday,) = _events(files["a2.ics"])
    assert monday.decoded("dtend") == datetime(2026, 3, 30, 16, 30, tzinfo=UTC)  # 17:30 BST
    assert "overtime 60 min (until 17:30)" in str(monday["description"])
    assert "Changes" not in str(_events(agent_calendars(_roster(), center)["a2.ics"])[0]["description"])


def test_the_report_costs_overtime_at_the_contracts_rate(
    center: Center, center_data: dict[str, Any], tmp_path: Path
) -> None:
    center_data["agents"][0]["hourly_cost"] = 10  # the data of the `center` fixture
    center_data["agents"][1]["hourly_cost"] = 20
    center = Center.model_validate(center_data)
    # a1: 10 x (420 + 450) / 60 = 145; a2: 20 x (540 + 0.5 x 60) / 60 = 190 (180 at the plain rate).
    page = roster_report_html(_changed_roster(), _coverage(), center, {})
    assert re.search(r"cost</th>\s*<td[^>]*>335<", page), "total cost 335"
    assert "overtime at the contract's overtime rate" in page
    assert "overtime 60 min (until 17:30)" in page and "absent 14:00–15:00" in page
    plain = roster_report_html(_roster(), _coverage(), center, {})
    assert "overtime at the contract's overtime rate" not in plain and "changes (local)" not in plain
    gantt = plot_gantt(_changed_roster(), center, tmp_path / "gantt.png")
    assert gantt.read_bytes().startswith(PNG_SIGNATURE)

"""The roster for people: a calendar per agent, the coverage heatmap, a Gantt chart and one HTML report.

Each function takes the roster and coverage tables (docs/roster.md) and returns bytes or text, or writes one PNG
through `planner.reports`' atomic helper; the CLI hands the bytes and text to `models.io.write_files` so that
all outputs appear or none does. Times are shown in the centre's local time; calendar events carry UTC instants
(RFC 5545 form 2), so every client places them right across DST changes whatever its own zone.
"""

from __future__ import annotations

import base64
import contextlib
import html
import json
import math
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from enum import Enum
from pathlib import Path
from tempfile import TemporaryDirectory
from typing import Any

import numpy as np
import pandas as pd
from icalendar import Calendar, Event

from models.center import Center
from models.errors import InputError, Problem
from models.horizon import Horizon, local_time
from models.service import Mode
from models.tables import COVERAGE, ROSTER, TableSchema
from models.workforce import Agent, BreakRule, Contract, ShiftTemplate
from planner.reports import HOUR_TICKS, ReportSections, _save_png, hour_ticks, pyplot, target_text, work_type_label
from planner.shifts import paid_cost

__all__ = ["agent_calendars", "own_calendars", "plot_coverage", "plot_gantt", "roster_report_html"]

#: Who made the calendars (RFC 5545 PRODID).
PRODID = "-//wfm-planner//roster//EN"
#: How many agents the Gantt chart file shows unless told otherwise.
DEFAULT_GANTT_AGENTS = 60
#: How many agents each picture of the report's timeline shows (every agent is shown, page by page).
GANTT_AGENTS_PER_PAGE = 40
#: Colours of the shift templates in the Gantt chart, in the order of the templates' ids.
TEMPLATE_COLOURS = ("tab:blue", "tab:orange", "tab:green", "tab:purple", "tab:brown", "tab:cyan", "tab:olive")
BREAK_COLOUR = "0.82"
#: The Gantt chart's colours of the day's changes: overtime worked, and absences inside a shift.
OVERTIME_COLOUR = "tab:red"
ABSENCE_COLOUR = "#f2b8b8"

Span = tuple[pd.Timestamp, pd.Timestamp]


# -- reading the tables -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Shift:
    """One roster row, checked: instants in UTC, the template and the break rules its breaks follow, and the
    day's changes (docs/roster.md): `end` includes the overtime and is already cut by the voluntary time off."""

    agent_id: str
    day: date
    start: pd.Timestamp
    end: pd.Timestamp
    template: ShiftTemplate
    breaks: tuple[Span, ...]
    paid_minutes: int
    pinned: bool
    overtime_minutes: int = 0
    vto_minutes: int = 0
    absences: tuple[Span, ...] = ()

    @property
    def length_minutes(self) -> int:
        return int((self.end - self.start) / pd.Timedelta(minutes=1))

    @property
    def base_minutes(self) -> int:
        """The length before the day's changes, which picks the break rules."""
        return self.length_minutes - self.overtime_minutes + self.vto_minutes

    def cost(self, center: Center) -> float:
        return paid_cost(center, self.agent_id, self.paid_minutes, self.overtime_minutes)

    @property
    def uid_stem(self) -> str:
        return f"{self.agent_id}-{self.day:%Y%m%d}"

    def break_rules(self) -> list[BreakRule | None]:
        """The rule each break follows (the template's applicable rules, in order), or None where the breaks
        do not match them one to one (a roster the validator would reject)."""
        rules = self.template.breaks_for(self.base_minutes)
        return list(rules) if len(rules) == len(self.breaks) else [None] * len(self.breaks)

    def work_spans(self) -> list[Span]:
        """The shift less its breaks and absences: the stretches the agent is on duty."""
        spans, cursor = [], self.start
        for begin, finish in sorted(self.breaks + self.absences):
            if begin > cursor:
                spans.append((cursor, min(begin, self.end)))
            cursor = max(cursor, finish)
        if cursor < self.end:
            spans.append((cursor, self.end))
        return spans

    def overtime_spans(self) -> list[Span]:
        """The stretches on duty in the overtime at the end of the shift."""
        if not self.overtime_minutes:
            return []
        begin = self.end - pd.Timedelta(minutes=self.overtime_minutes)
        return [(max(a, begin), b) for a, b in self.work_spans() if b > begin]

    def changes_text(self, timezone: str) -> list[str]:
        """The day's changes in words, local time: ``overtime 60 min (until 18:30)``."""
        end = self.end.tz_convert(timezone)
        texts = [f"overtime {self.overtime_minutes} min (until {end:%H:%M})"] if self.overtime_minutes else []
        texts += [f"voluntary time off {self.vto_minutes} min (from {end:%H:%M})"] if self.vto_minutes else []
        texts += [f"absent {_span_text(begin, finish, timezone)}" for begin, finish in self.absences]
        return texts


def _require_columns(frame: pd.DataFrame, schema: TableSchema) -> None:
    missing = [c for c in schema.required if c not in frame.columns]
    if missing:
        found = ", ".join(f"'{c}'" for c in frame.columns) or "none"
        raise InputError(
            schema.name,
            [
                Problem("header", f"missing column '{c}' (columns found: {found})", f"give a {schema.name} table")
                for c in missing
            ],
        )


def _instant(value: Any, where: str, what: str) -> pd.Timestamp:
    """A tz-aware timestamp (or ISO text with an offset) as a UTC instant."""
    try:
        stamp = pd.Timestamp(value)
    except (TypeError, ValueError):
        raise InputError(
            "roster", Problem(where, f"{what} '{value}' is not a timestamp", "write ISO 8601 with an offset")
        ) from None
    if pd.isna(stamp):
        raise InputError("roster", Problem(where, f"{what} is empty", f"every shift needs its {what}"))
    if stamp.tzinfo is None:
        raise InputError(
            "roster",
            Problem(where, f"{what} '{value}' has no UTC offset", "give tz-aware instants (2026-03-29T09:00:00+01:00)"),
        )
    return stamp.tz_convert("UTC")


def _parse_breaks(value: Any, where: str, what: str = "break") -> tuple[Span, ...]:
    """The breaks cell (or with `what` "absence", the absences cell): a JSON string or a list of ``[start, end]``
    pairs (ISO text or timestamps)."""
    fix = 'write a JSON list of [start, end] pairs, e.g. [["2026-03-30T12:00:00+01:00", "2026-03-30T12:30:00+01:00"]]'
    column = f"{what}s"
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            raise InputError("roster", Problem(where, f"{column} '{value}' is not valid JSON", fix)) from None
    if isinstance(value, np.ndarray):
        value = value.tolist()
    if not isinstance(value, list | tuple):
        raise InputError("roster", Problem(where, f"{column} {value!r} is not a list", f"{fix}; [] for no {column}"))
    spans = []
    for i, pair in enumerate(value):
        pair = pair.tolist() if isinstance(pair, np.ndarray) else pair
        if not isinstance(pair, list | tuple) or len(pair) != 2:
            raise InputError("roster", Problem(where, f"{what} {i + 1} ({pair!r}) is not a [start, end] pair", fix))
        begin, finish = (
            _instant(v, where, f"{what} {i + 1} {side}") for v, side in zip(pair, ("start", "end"), strict=True)
        )
        if finish <= begin:
            raise InputError(
                "roster", Problem(where, f"{what} {i + 1} ends ({pair[1]}) before it starts ({pair[0]})", fix)
            )
        spans.append((begin, finish))
    return tuple(spans)


def _optional(roster: pd.DataFrame, column: str) -> list[Any]:
    """An optional column of the day's changes as a list (None where the roster lacks it or the cell is blank)."""
    if column not in roster.columns:
        return [None] * len(roster)
    return [None if _blank(v) else v for v in roster[column].tolist()]


def _blank(value: Any) -> bool:
    return value is None or (not isinstance(value, list | tuple | np.ndarray | str) and bool(pd.isna(value)))


def _read_shifts(roster: pd.DataFrame, center: Center) -> list[_Shift]:
    """The roster's rows as checked shifts, sorted by agent and start."""
    _require_columns(roster, ROSTER)
    pinned = roster["pinned"] if "pinned" in roster.columns else pd.Series(False, index=roster.index)
    shifts = []
    columns = [roster[c].tolist() for c in ("agent_id", "date", "start", "end", "shift_template", "breaks")]
    changes = [_optional(roster, c) for c in ("overtime_minutes", "vto_minutes", "absences")]
    for i, (agent_id, day, start, end, template_id, breaks, paid, pin, overtime, vto, away) in enumerate(
        zip(*columns, roster["paid_minutes"].tolist(), pinned.tolist(), *changes, strict=True)
    ):
        where = f"row {i + 1} (agent '{agent_id}', date {day})"
        if agent_id not in center.agents_by_id:
            raise InputError(
                "roster",
                Problem(
                    where,
                    f"agent '{agent_id}' is not in centre '{center.name}'",
                    "export the roster with the centre it was planned for",
                ),
            )
        if template_id not in center.templates_by_id:
            raise InputError(
                "roster",
                Problem(
                    where,
                    f"shift template '{template_id}' is not in centre '{center.name}'",
                    f"use one of: {', '.join(sorted(center.templates_by_id))}",
                ),
            )
        begin, finish = _instant(start, where, "start"), _instant(end, where, "end")
        if finish <= begin:
            raise InputError(
                "roster", Problem(where, f"the shift ends ({end}) before it starts ({start})", "check start and end")
            )
        shifts.append(
            _Shift(
                agent_id=str(agent_id),
                day=pd.Timestamp(day).date(),
                start=begin,
                end=finish,
                template=center.templates_by_id[template_id],
                breaks=_parse_breaks(breaks, where),
                paid_minutes=int(paid),
                pinned=bool(pin) if not pd.isna(pin) else False,
                overtime_minutes=int(overtime or 0),
                vto_minutes=int(vto or 0),
                absences=() if away is None else _parse_breaks(away, where, "absence"),
            )
        )
    return sorted(shifts, key=lambda s: (s.agent_id, s.start))


def _by_agent(shifts: Iterable[_Shift]) -> dict[str, list[_Shift]]:
    grouped: dict[str, list[_Shift]] = {}
    for shift in shifts:
        grouped.setdefault(shift.agent_id, []).append(shift)
    return grouped


# -- local-time text --------------------------------------------------------------------------------------------


def _span_text(begin: pd.Timestamp, finish: pd.Timestamp, timezone: str) -> str:
    """``09:00–17:00`` in local time; ``22:00 GMT–07:00 BST (+1)`` across a DST change and midnight."""
    a, b = begin.tz_convert(timezone), finish.tz_convert(timezone)
    fmt = "%H:%M %Z" if a.utcoffset() != b.utcoffset() else "%H:%M"
    days = (b.date() - a.date()).days
    return f"{a.strftime(fmt)}–{b.strftime(fmt)}" + (f" (+{days})" if days else "")


def _break_text(shift: _Shift, timezone: str) -> list[str]:
    texts = []
    for (begin, finish), rule in zip(shift.breaks, shift.break_rules(), strict=True):
        label = f"{rule.name} ({'paid' if rule.paid else 'unpaid'})" if rule is not None else "break"
        texts.append(f"{_span_text(begin, finish, timezone)} {label}")
    return texts


def _template_label(template: ShiftTemplate) -> str:
    return template.name or template.id


def _agent_label(center: Center, agent_id: str) -> str:
    name = center.agent(agent_id).name
    return f"{agent_id} ({name})" if name else agent_id


def _person_label(center: Center, agent_id: str) -> str:
    """An agent as people name them: ``Ann Smith (a0001)``, or the id alone."""
    name = center.agent(agent_id).name
    return f"{name} ({agent_id})" if name else agent_id


def _hours(minutes: float) -> str:
    return f"{minutes / 60:,.2f}"


# -- calendars --------------------------------------------------------------------------------------------------


def agent_calendars(
    roster: pd.DataFrame, center: Center, *, include_breaks: bool = False, stamp: datetime | None = None
) -> dict[str, bytes]:
    """One iCalendar file (RFC 5545) per agent with at least one shift, keyed by file name (``a0001.ics``).

    Each shift is a VEVENT in UTC with a UID made of the centre, the agent and the date, so a re-published
    roster updates the same events in a subscribed calendar; its description lists the breaks in local time
    and the paid minutes. With `include_breaks` each break is an event of its own too. `stamp` (DTSTAMP, when
    the calendar was made) defaults to now; pass it for byte-identical output.
    """
    if stamp is not None and stamp.tzinfo is None:
        raise ValueError(f"stamp {stamp} has no time zone; give an aware datetime (UTC)")
    shifts = _read_shifts(roster, center)
    made = (stamp or datetime.now(UTC)).astimezone(UTC).replace(microsecond=0)
    domain = _uid_domain(center)
    files: dict[str, bytes] = {}
    for agent_id, agent_shifts in _by_agent(shifts).items():
        calendar = Calendar()
        calendar.add("prodid", PRODID)
        calendar.add("version", "2.0")
        calendar.add("calscale", "GREGORIAN")
        calendar.add("method", "PUBLISH")
        calendar.add("x-wr-calname", f"{center.name}: {_agent_label(center, agent_id)}")
        calendar.add("x-wr-timezone", center.timezone)
        for shift in agent_shifts:
            calendar.add_component(_shift_event(shift, center.timezone, domain, made))
            if include_breaks:
                for event in _break_events(shift, center.timezone, domain, made):
                    calendar.add_component(event)
        name = _calendar_file_name(agent_id)
        if name in files:
            raise InputError(
                "center",
                Problem(
                    f"agent '{agent_id}'",
                    f"its calendar file {name} clashes with another agent's (':' is written as '_')",
                    "give the agents ids that differ by more than ':' and '_'",
                ),
            )
        files[name] = calendar.to_ical()
    return files


def own_calendars(folder: str | Path) -> list[Path]:
    """The iCalendar files in `folder` that `agent_calendars` wrote (recognised by their PRODID): a re-published
    roster replaces them, and removes those of agents no longer rostered."""
    marker = f"PRODID:{PRODID}".encode()
    found = []
    for path in sorted(Path(folder).glob("*.ics")):
        with contextlib.suppress(OSError), path.open("rb") as file:
            if marker in file.read(2048):
                found.append(path)
    return found


def _calendar_file_name(agent_id: str) -> str:
    # ':' is allowed in ids but not in file names everywhere.
    return f"{agent_id.replace(':', '_')}.ics"


def _uid_domain(center: Center) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", center.name.lower()).strip("-") or "centre"
    return f"{slug}.wfm-planner"


def _utc(stamp: pd.Timestamp) -> datetime:
    return stamp.tz_convert("UTC").to_pydatetime().replace(tzinfo=UTC)


def _shift_event(shift: _Shift, timezone: str, domain: str, made: datetime) -> Event:
    lines = [
        f"{shift.start.tz_convert(timezone):%a %d %b %Y} {_span_text(shift.start, shift.end, timezone)} ({timezone})",
        f"Template: {_template_label(shift.template)}",
    ]
    breaks = _break_text(shift, timezone)
    lines += ["Breaks:", *(f"  {b}" for b in breaks)] if breaks else ["Breaks: none"]
    changes = shift.changes_text(timezone)
    lines += ["Changes:", *(f"  {c}" for c in changes)] if changes else []
    lines.append(f"Paid: {shift.paid_minutes} min ({_hours(shift.paid_minutes)} h)")
    if shift.pinned:
        lines.append("Pinned: yes")
    event = Event()
    event.add("uid", f"{shift.uid_stem}-shift@{domain}")
    event.add("dtstamp", made)
    event.add("dtstart", _utc(shift.start))
    event.add("dtend", _utc(shift.end))
    event.add("summary", f"Shift ({_template_label(shift.template)})")
    event.add("description", "\n".join(lines))
    event.add("transp", "OPAQUE")
    return event


def _break_events(shift: _Shift, timezone: str, domain: str, made: datetime) -> list[Event]:
    events = []
    for i, ((begin, finish), rule) in enumerate(zip(shift.breaks, shift.break_rules(), strict=True)):
        event = Event()
        event.add("uid", f"{shift.uid_stem}-break{i + 1}@{domain}")
        event.add("dtstamp", made)
        event.add("dtstart", _utc(begin))
        event.add("dtend", _utc(finish))
        event.add("summary", f"Break ({rule.name})" if rule is not None else "Break")
        paid = "" if rule is None else (" (paid)" if rule.paid else " (unpaid)")
        event.add("description", f"{_span_text(begin, finish, timezone)}{paid} in {timezone}")
        event.add("transp", "TRANSPARENT")
        events.append(event)
    return events


# -- pictures ---------------------------------------------------------------------------------------------------


def plot_coverage(coverage: pd.DataFrame, path: str | Path, *, timezone: str | None = None) -> Path:
    """A PNG of coverage per skill and interval: a diverging map of scheduled less required (red short,
    blue over) with each skill's shortfall in agent-hours, and below it the totals over skills (required,
    scheduled and the summed shortfall). Times are shown in `timezone` (default: the column's own zone)."""
    return _save_png(_coverage_figure(coverage, timezone), path)


def plot_gantt(roster: pd.DataFrame, center: Center, path: str | Path, max_agents: int = DEFAULT_GANTT_AGENTS) -> Path:
    """A PNG timeline with a row per agent (sorted by contract, then first start): a bar per shift coloured by
    template, breaks as grey gaps, pinned shifts outlined, in the centre's local time with the hours of day on
    the time axis. Shows the first `max_agents` agents and says so in the title when there are more (the HTML
    report shows every agent, page by page)."""
    if max_agents < 1:
        raise ValueError(f"max_agents {max_agents} must be at least 1")
    shifts = _read_shifts(roster, center)
    if not shifts:
        return _save_png(_empty_figure("No shifts in the roster"), path)
    order = _gantt_order(shifts, center)
    shown = order[:max_agents]
    return _save_png(_gantt_figure(shifts, center, shown, _gantt_title(len(shown), len(order), center.timezone)), path)


def _interval_step(instants: np.ndarray) -> int:
    """The grid step of sorted unique int64 nanosecond instants (their common difference)."""
    return int(np.gcd.reduce(np.diff(instants))) if instants.size > 1 else 0


def _empty_figure(message: str) -> Any:
    figure, ax = pyplot().subplots(figsize=(8, 1.5))
    ax.text(0.5, 0.5, message, ha="center", va="center", fontsize=10)
    ax.set_axis_off()
    return figure


def _coverage_figure(coverage: pd.DataFrame, timezone: str | None) -> Any:
    _require_columns(coverage, COVERAGE)
    if len(coverage) == 0:
        return _empty_figure("No coverage rows")
    starts = pd.DatetimeIndex(coverage["interval_start"])
    if starts.tz is None:
        raise InputError("coverage", Problem("column 'interval_start'", "has no time zone", "give tz-aware instants"))
    frame = coverage.assign(interval_start=starts.tz_convert("UTC").as_unit("ns"))
    instants = np.unique(pd.DatetimeIndex(frame["interval_start"]).asi8)
    step = _interval_step(instants)
    grid = pd.DatetimeIndex(np.arange(instants[0], instants[-1] + 1, step or 1).astype("datetime64[ns]"), tz="UTC")
    cells = {
        name: frame.pivot_table(index="skill", columns="interval_start", values=name, aggfunc="sum", sort=True)
        .reindex(columns=grid)
        .to_numpy(dtype=float)
        for name in ("required", "scheduled", "shortfall")
    }
    skills = sorted(frame["skill"].astype(str).unique())
    shortfall_hours = np.nansum(cells["shortfall"], axis=1) * step / 3.6e12
    balance = cells["scheduled"] - cells["required"]
    absent = np.isnan(cells["required"]).all(axis=0)
    totals = {name: np.where(absent, np.nan, np.nansum(values, axis=0)) for name, values in cells.items()}

    plt = pyplot()
    figure, axes = plt.subplots(
        2,
        2,
        figsize=(14, 0.3 * len(skills) + 3.6),
        sharex="col",
        gridspec_kw={"height_ratios": [0.3 * len(skills) + 0.6, 2.0], "width_ratios": [80, 1]},
    )
    (top, colour_bar), (bottom, spare) = axes
    spare.set_axis_off()
    limit = max(float(np.nanmax(np.abs(balance))) if np.isfinite(balance).any() else 0.0, 1.0)
    cmap = plt.get_cmap("RdBu").with_extremes(bad="0.92")
    image = top.imshow(
        np.ma.masked_invalid(balance), aspect="auto", cmap=cmap, vmin=-limit, vmax=limit, interpolation="nearest"
    )
    labels = [f"{s}  (short {h:,.1f} agent-h)" for s, h in zip(skills, shortfall_hours, strict=True)]
    top.set_yticks(range(len(skills)), labels, fontsize=8)
    figure.colorbar(image, cax=colour_bar, label="scheduled − required (agents)")
    zone = timezone or str(starts.tz)
    top.set_title(f"Coverage per skill and interval ({zone}): red short, blue over", fontsize=10, loc="left")

    edges = np.arange(len(grid) + 1) - 0.5
    bottom.stairs(totals["scheduled"], edges, fill=True, color="tab:blue", alpha=0.35, label="scheduled")
    bottom.stairs(totals["required"], edges, color="black", lw=0.8, label="required")
    bottom.stairs(totals["shortfall"], edges, color="tab:red", lw=0.8, label="shortfall (sum over skills)")
    bottom.set_ylabel("agents, all skills", fontsize=8)
    bottom.set_ylim(bottom=0)
    bottom.legend(fontsize=7, loc="upper left", ncols=3)
    bottom.tick_params(labelsize=7)
    local = grid.tz_convert(zone)
    positions = np.arange(len(grid))
    hour_ticks(bottom, local, positions, zone)
    bottom.set_xlim(-0.5, len(grid) - 0.5)
    for x in positions[np.asarray((local.hour == 0) & (local.minute == 0))]:
        top.axvline(x - 0.5, color="0.3", lw=0.5)
        bottom.axvline(x - 0.5, color="0.6", lw=0.5)
    figure.tight_layout()
    return figure


def _gantt_order(shifts: Sequence[_Shift], center: Center) -> list[str]:
    """Agents sorted by contract, then their first start, then id."""
    first: dict[str, pd.Timestamp] = {}
    for shift in shifts:
        first[shift.agent_id] = min(first.get(shift.agent_id, shift.start), shift.start)
    return sorted(first, key=lambda a: (center.agent(a).contract, first[a], a))


def _gantt_title(shown: int, total: int, timezone: str) -> str:
    if shown < total:
        return f"Roster: first {shown} of {total} agents shown ({timezone})"
    return f"Roster: {total} agents ({timezone})"


def _page_title(first: int, last: int, total: int, timezone: str) -> str:
    """The title of one page of the timeline: agents `first`..`last` (1-based) of `total`."""
    if first == 1 and last == total:
        return f"Timeline: {total} agents ({timezone})"
    return f"Timeline: agents {first}–{last} of {total} ({timezone})"


def _gantt_pages(shifts: Sequence[_Shift], center: Center, per_page: int) -> list[list[str]]:
    """Every agent with a shift, in timeline order, cut into pages of `per_page`."""
    order = _gantt_order(shifts, center)
    return [order[i : i + per_page] for i in range(0, len(order), per_page)]


def _gantt_figures(
    shifts: Sequence[_Shift], center: Center, per_page: int = GANTT_AGENTS_PER_PAGE, dates: Sequence[date] = ()
) -> Iterator[Any]:
    """The timeline of every agent with a shift, `per_page` agents to a figure, all on the same time axis (the
    whole of `dates`, the plan's days, and of the shifts); one figure at a time (the caller saves and closes each
    before the next is drawn)."""
    if not shifts:
        yield _empty_figure("No shifts in the roster")
        return
    pages = _gantt_pages(shifts, center, per_page)
    total = sum(len(page) for page in pages)
    by_agent = _by_agent(shifts)
    first = 1
    for page in pages:
        title = _page_title(first, first + len(page) - 1, total, center.timezone)
        yield _gantt_figure(shifts, center, page, title, rows=[s for a in page for s in by_agent[a]], dates=dates)
        first += len(page)


def _gantt_figure(
    shifts: Sequence[_Shift],
    center: Center,
    shown: Sequence[str],
    title: str,
    rows: Sequence[_Shift] | None = None,
    dates: Sequence[date] = (),
) -> Any:
    """The timeline of the agents `shown` (one row each, in that order) over the days of all `shifts` and the
    `dates` given; `rows`: the shifts of the agents shown, where the caller has them."""
    row_of = {agent: i for i, agent in enumerate(shown)}
    ends = [local_time(d, 0, center.timezone).tz_convert("UTC") for d in dates[:1]]
    ends += [local_time(d, 24 * 60 - 1, center.timezone).tz_convert("UTC") for d in dates[-1:]]
    horizon = Horizon.covering(
        pd.DatetimeIndex([s.start for s in shifts] + [s.end for s in shifts] + ends),
        center.timezone,
        center.interval_minutes,
    )
    origin = horizon.day_starts[0]

    def hours(stamp: pd.Timestamp) -> float:
        return float((stamp - origin) / pd.Timedelta(hours=1))

    templates = sorted({s.template.id for s in shifts})
    colour = {t: TEMPLATE_COLOURS[i % len(TEMPLATE_COLOURS)] for i, t in enumerate(templates)}
    plt = pyplot()
    figure, ax = plt.subplots(figsize=(14, 0.25 * len(shown) + 2.2))
    # Every bar of the page as one collection of rectangles (one artist draws hundreds of agents quickly).
    boxes: list[tuple[float, float, float]] = []  # left, right, row
    faces: list[str] = []
    pinned: list[bool] = []
    for shift in shifts if rows is None else rows:
        if shift.agent_id not in row_of:
            continue
        row = row_of[shift.agent_id]
        for spans, face in (
            (shift.work_spans(), colour[shift.template.id]),
            (shift.breaks, BREAK_COLOUR),
            (shift.overtime_spans(), OVERTIME_COLOUR),
            (shift.absences, ABSENCE_COLOUR),
        ):
            for a, b in spans:
                boxes.append((hours(a), hours(b), row))
                faces.append(face)
                pinned.append(shift.pinned)
    if boxes:
        from matplotlib.collections import PolyCollection  # matplotlib loads only when a picture is drawn

        left, right, row_at = (np.array(column, dtype=float) for column in zip(*boxes, strict=True))
        low, high = row_at - 0.38, row_at + 0.38
        corners = np.stack([np.stack([left, low], 1), np.stack([right, low], 1), np.stack([right, high], 1)], 1)
        corners = np.concatenate([corners, np.stack([left, high], 1)[:, None, :]], axis=1)
        ax.add_collection(
            PolyCollection(
                list(corners),
                facecolors=faces,
                edgecolors=["black" if p else "none" for p in pinned],
                linewidths=[0.9 if p else 0.0 for p in pinned],
            )
        )
    labels = [_person_label(center, a) for a in shown]
    ax.set_yticks(range(len(shown)), labels, fontsize=7 if len(shown) > 30 else 8)
    ax.set_ylim(len(shown) - 0.5, -0.5)
    contracts = [center.agent(a).contract for a in shown]
    for i in range(1, len(shown)):
        if contracts[i] != contracts[i - 1]:
            ax.axhline(i - 0.5, color="0.4", lw=0.8)
    for i, contract in enumerate(contracts):
        if i == 0 or contract != contracts[i - 1]:
            ax.text(1.005, i, contract, transform=ax.get_yaxis_transform(), fontsize=7, va="top")

    last = max([hours(s.end) for s in shifts] + ([hours(horizon.day_starts[-1])] if dates else []))
    # The horizon covers the shifts' ends too, so its days reach the last shift's end.
    ticks = pd.DatetimeIndex(
        [local_time(d, h * 60, center.timezone) for d in horizon.dates for h in (0, *HOUR_TICKS)]
    ).tz_convert(center.timezone)
    at = np.array([hours(t) for t in ticks])
    keep = at <= max(last, 1.0)
    hour_ticks(ax, ticks[keep], at[keep], center.timezone)
    ax.set_xlim(0, max(last, 1.0))
    ax.grid(axis="x", which="major", color="0.5", lw=0.6)
    ax.grid(axis="x", which="minor", color="0.85", lw=0.4)
    ax.set_axisbelow(True)
    handles = [plt.Rectangle((0, 0), 1, 1, color=colour[t]) for t in templates]
    handles.append(plt.Rectangle((0, 0), 1, 1, color=BREAK_COLOUR))
    legend = [_template_label(center.templates_by_id[t]) for t in templates] + ["break"]
    for label, face, found in (
        ("overtime", OVERTIME_COLOUR, any(s.overtime_minutes for s in shifts)),
        ("absent", ABSENCE_COLOUR, any(s.absences for s in shifts)),
    ):
        if found:
            handles.append(plt.Rectangle((0, 0), 1, 1, color=face))
            legend.append(label)
    if any(s.pinned for s in shifts):
        handles.append(plt.Rectangle((0, 0), 1, 1, facecolor="white", edgecolor="black"))
        legend.append("pinned")
    ax.legend(handles, legend, fontsize=7, loc="lower right", bbox_to_anchor=(1, 1), ncols=len(legend), frameon=False)
    ax.set_title(title, fontsize=10, loc="left")
    figure.tight_layout()
    return figure


# -- the HTML report --------------------------------------------------------------------------------------------

_CSS = """
body { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; margin: 1.5rem; color: #222; }
h1 { font-size: 1.4rem; margin-bottom: .2rem; }
h2 { font-size: 1.15rem; margin-top: 2rem; border-bottom: 1px solid #ccc; }
h3 { font-size: 1rem; margin-bottom: .3rem; } .lead { margin-top: 0; color: #555; }
table { border-collapse: collapse; margin: .4rem 0 1rem; font-size: .85rem; }
th, td { border: 1px solid #ddd; padding: .2rem .55rem; text-align: left; vertical-align: top; }
th { background: #f3f3f3; } tr:nth-child(even) td { background: #fafafa; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
table.grid { font-size: .75rem; } table.grid td { white-space: nowrap; }
table.hours { font-size: .72rem; } table.hours td, table.hours th { padding: .15rem .3rem; text-align: right; }
td.flag, tr:nth-child(even) td.flag { background: #f6cccc; font-weight: 600; }
td.off { color: #999; } .small { font-size: .8em; color: #666; }
.status { display: inline-block; padding: .1rem .5rem; border-radius: .3rem; background: #eee; font-weight: 600; }
.status.optimal { background: #cdeccd; } .status.feasible { background: #fdebc8; }
.status.infeasible, .status.unknown, .status.model_invalid { background: #f6cccc; }
img { max-width: 100%; height: auto; } .muted { color: #777; }
@media print {
  body { margin: 0; font-size: 10pt; } h2 { break-after: avoid; } img, tr { break-inside: avoid; }
  table.grid, table.hours { font-size: 7pt; } tr:nth-child(even) td { background: none; }
}
"""

#: How many hours the report names as the worst for shortfall.
WORST_HOURS = 5
#: Summary keys the report shows in its own sections (the rest of a summary goes to the solver details).
_SHOWN_KEYS = frozenset(
    {
        "status",
        "objective",
        "best_bound",
        "gap",
        "solve_time_s",
        "first_solution_s",
        "breakdown",
        "kpis",
        "progress",
        "break_statuses",
        "notes",
        "validator",
        "promised_service_level",
        "simulation_in_the_loop",
        "diagnosis",
        "diagnosis_notes",
    }
)
#: KPIs the report shows in the planner's sections.
_PLANNER_KPIS = frozenset(
    {
        "understaffed_agent_hours",
        "expected_service_level",
        "deferred_work_in_time",
        "paid_hours",
        "paid_cost",
        "shifts",
        "agents_rostered",
        "fairness_by_contract",
        "target_hours_mean_abs_gap",
    }
)


def roster_report_html(
    roster: pd.DataFrame,
    coverage: pd.DataFrame,
    center: Center,
    summary: Mapping[str, Any],
    *,
    sections: ReportSections | None = None,
    coverage_png: bytes | None = None,
    timeline: bool = True,
) -> str:
    """One self-contained, printable HTML page (inline CSS, images as data URIs), in the order a planner reads it:
    the title with the plan's dates and time zone and the key figures; the service level per work type against
    its target (the roster's expected level, or a plan's `sections.service`: promised and simulated); the
    shortfall by day and hour in agent-hours with the worst hours named and the coverage heatmap; a plan's
    `sections.findings` (its capacity diagnosis); paid hours and cost, in total, by contract and by site; the
    agent x day grid with each week's paid hours against the contract; the timeline of every agent, page by page;
    the shifts and breaks per day; a plan's `sections.details` (its simulation loop); and last the solver details
    (status, objective, bound, gap, points per rule, timings). Any summary key may be missing. `coverage_png`:
    the coverage heatmap already drawn (`plot_coverage`), else it is drawn here. `timeline=False` leaves the
    timeline pictures out and says so (a run stopped by Ctrl-C writes its roster without waiting for them)."""
    sections = sections or ReportSections()
    shifts = _read_shifts(roster, center)
    dates = _report_dates(shifts, coverage, center)
    with TemporaryDirectory() as tmp:
        if coverage_png is None:
            coverage_png = plot_coverage(coverage, Path(tmp) / "coverage.png", timezone=center.timezone).read_bytes()
        pages = [
            _save_png(figure, Path(tmp) / f"timeline-{i}.png").read_bytes()
            for i, figure in enumerate(_gantt_figures(shifts, center, dates=dates) if timeline else [])
        ]
    period = _date_range_text(dates)
    title = f"Roster {period}, {center.timezone}" if period else f"Roster, {center.timezone}"
    parts = [
        f"<h1>{_e(title)}</h1>",
        f'<p class="lead">{_e(center.name)}</p>',
        _key_figures(summary, shifts, coverage, center, dates),
        *(sections.service or [_service_section(summary, center)]),
        _shortfall_section(coverage, center, summary, dates, coverage_png),
        *sections.findings,
        _cost_section(shifts, center),
        _grid_section(shifts, center, dates, summary),
        _timeline_section(shifts, center, pages) if timeline else _TIMELINE_LEFT_OUT,
        _roster_section(shifts, center),
        *sections.details,
        _solver_section(summary),
    ]
    return html_document(f"{title}: {center.name}", parts)


def html_document(title: str, parts: Iterable[str]) -> str:
    """A self-contained HTML page (the reports' style) of `parts`, HTML fragments (empty ones left out)."""
    body = "\n".join(s for s in parts if s)
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        f"<title>{_e(title)}</title>\n<style>{_CSS}</style>\n</head>\n<body>\n{body}\n</body>\n</html>\n"
    )


def _e(value: Any) -> str:
    return html.escape(str(value), quote=True)


def _format_value(value: Any) -> str:
    """A value as short text: thousands separators, one decimal from 10 up and two below, booleans as yes/no."""
    if isinstance(value, Enum):
        value = value.value
    if value is None:
        return "–"
    if isinstance(value, bool | np.bool_):
        return "yes" if value else "no"
    if isinstance(value, int | np.integer):
        return f"{int(value):,}"
    if isinstance(value, float | np.floating):
        number = float(value)
        if not math.isfinite(number):
            return str(number)
        return f"{number:,.1f}" if abs(number) >= 10 else f"{number:.2f}"
    if isinstance(value, list | tuple):
        return ", ".join(_format_value(v) for v in value)
    return str(value)


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float | np.integer | np.floating) and not isinstance(value, bool | np.bool_)


def _cell(value: Any) -> str:
    if isinstance(value, Mapping):
        return f"<td>{_table(value)}</td>" if value else "<td>none</td>"
    if isinstance(value, _Html):
        css = f' class="{value.css}"' if value.css else ""
        style = f' style="{value.style}"' if value.style else ""
        return f"<td{css}{style}>{value.markup}</td>"
    css = ' class="num"' if _is_number(value) else ""
    return f"<td{css}>{_e(_format_value(value))}</td>"


@dataclass(frozen=True)
class _Html:
    """A table cell given as markup (already escaped), with an optional class and style."""

    markup: str
    css: str = ""
    style: str = ""


def _table(mapping: Mapping[Any, Any], header: tuple[str, str] | None = None) -> str:
    """A two-column table of `mapping`; a nested mapping becomes a table inside its cell."""
    head = f"<tr><th>{_e(header[0])}</th><th>{_e(header[1])}</th></tr>" if header else ""
    rows = "".join(f"<tr><th>{_e(k)}</th>{_cell(v)}</tr>" for k, v in mapping.items())
    return f"<table>{head}{rows}</table>"


def html_rows_table(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    """An HTML table with `header` and one row per item of `rows` (values formatted as in the report)."""
    return _rows_table(header, rows)


def html_image(png: bytes, alt: str) -> str:
    """A PNG inline in the page (a data URI)."""
    return _image(png, alt)


def _rows_table(header: Sequence[str], rows: Iterable[Sequence[Any]], css: str = "") -> str:
    head = "".join(f"<th>{_e(h)}</th>" for h in header)
    body = "".join("<tr>" + "".join(_cell(v) for v in row) + "</tr>" for row in rows)
    attribute = f' class="{css}"' if css else ""
    return f"<table{attribute}><tr>{head}</tr>{body}</table>"


def _image(png: bytes, alt: str) -> str:
    data = base64.b64encode(png).decode("ascii")
    return f'<p><img alt="{_e(alt)}" src="data:image/png;base64,{data}"></p>'


# -- words and numbers ------------------------------------------------------------------------------------------


def _day_text(day: date) -> str:
    """``Mon 2 Mar``."""
    return f"{day:%a} {day.day} {day:%b}"


def _date_range_text(dates: Sequence[date]) -> str:
    """``Mon 2 Mar – Sun 8 Mar 2026``; the first year too where the range crosses one."""
    if not dates:
        return ""
    first, last = dates[0], dates[-1]
    if first == last:
        return f"{_day_text(first)} {first.year}"
    if first.year != last.year:
        return f"{_day_text(first)} {first.year} – {_day_text(last)} {last.year}"
    return f"{_day_text(first)} – {_day_text(last)} {last.year}"


def _hours_text(hours: float) -> str:
    """Hours to one decimal, with thousands separators: ``1,620.0``."""
    return f"{hours:,.1f}"


def _limit_text(hours: float) -> str:
    """A contract's limit in hours to a hundredth, as short as it is exact: ``35``,
    ``37.5``, ``17.15`` (1,029 minutes)."""
    return f"{round(hours, 2):g}"


def _percent(value: Any) -> str:
    if value is None or not _is_number(value) or not math.isfinite(float(value)):
        return "–"
    return f"{100 * float(value):.1f}%"


def _seconds_text(value: Any) -> str:
    return f"{float(value):,.1f} s" if _is_number(value) and math.isfinite(float(value)) else "–"


def _skill_label(center: Center, skill_id: str) -> str:
    names = {s.id: s.name for s in center.skills}
    name = names.get(skill_id, "")
    return f"{name} ({skill_id})" if name else skill_id


def _contract_label(contract: Contract) -> str:
    return f"{contract.name} ({contract.id})" if contract.name else contract.id


def _report_dates(shifts: Sequence[_Shift], coverage: pd.DataFrame, center: Center) -> list[date]:
    """The plan's days: those of the coverage (the requirement's horizon), widened to any shift dated outside."""
    days = {s.day for s in shifts}
    if len(coverage):
        starts = pd.DatetimeIndex(coverage["interval_start"])
        if starts.tz is not None:
            horizon = Horizon.covering(starts, center.timezone, center.interval_minutes)
            days |= {horizon.start_date, horizon.end_date}
    if not days:
        return []
    first, last = min(days), max(days)
    return [first + timedelta(days=i) for i in range((last - first).days + 1)]


# -- the planner's sections -------------------------------------------------------------------------------------


def _deferred_skills(center: Center) -> set[str]:
    """Skills whose work types are all deferred (e-mail, tickets): the roster plans their work against its response
    deadlines, not per interval, so their per-interval shortfall (a fraction of an agent rounded up to a whole one
    in every open interval) is no shortfall a planner should act on; their share done in time says how they fare."""
    modes: dict[str, set[Mode]] = {}
    for work_type in center.work_types:
        modes.setdefault(work_type.skill, set()).add(work_type.mode)
    return {skill for skill, found in modes.items() if found == {Mode.DEFERRED}}


def _live_hours(hours: pd.DataFrame, center: Center) -> pd.DataFrame:
    """`_coverage_hours` without the skills of deferred work only (`_deferred_skills`)."""
    return hours[~hours["skill"].isin(_deferred_skills(center))]


def _coverage_hours(coverage: pd.DataFrame, center: Center) -> pd.DataFrame:
    """The coverage table in agent-hours, with each interval's local date and hour of day."""
    starts = pd.DatetimeIndex(coverage["interval_start"])
    local = starts.tz_convert(center.timezone) if starts.tz is not None else starts
    instants = np.unique(starts.as_unit("ns").asi8)
    step = _interval_step(instants) / 3.6e12 or center.interval_minutes / 60
    return pd.DataFrame(
        {
            "date": local.date,
            "hour": local.hour,
            "skill": coverage["skill"].astype(str).to_numpy(),
            "required": coverage["required"].to_numpy(dtype=float) * step,
            "scheduled": coverage["scheduled"].to_numpy(dtype=float) * step,
            "shortfall": coverage["shortfall"].to_numpy(dtype=float) * step,
            "surplus": coverage["surplus"].to_numpy(dtype=float) * step,
        }
    )


def _key_figures(
    summary: Mapping[str, Any], shifts: Sequence[_Shift], coverage: pd.DataFrame, center: Center, dates: Sequence[date]
) -> str:
    facts: dict[str, Any] = {}
    if dates:
        facts["period"] = f"{_date_range_text(dates)} ({len(dates)} days)"
        special = _special_days_text(center, dates)
        if special:
            facts["special days"] = special
    facts["time zone"] = center.timezone
    facts["agents rostered"] = f"{len({s.agent_id for s in shifts})} of {len(center.agents)}"
    facts["shifts"] = f"{len(shifts):,}"
    paid = sum(s.paid_minutes for s in shifts) / 60
    facts["paid hours"] = _hours_text(paid)
    cost = sum(s.cost(center) for s in shifts)
    if cost > 0:
        facts["cost"] = f"{cost:,.0f}"
    if len(coverage):
        hours = _live_hours(_coverage_hours(coverage, center), center)
        required, short = float(hours["required"].sum()), float(hours["shortfall"].sum())
        share = f" ({short / required:.1%} of the {_hours_text(required)} required)" if required > 0 else ""
        facts["shortfall"] = f"{_hours_text(short)} agent-hours{share}"
        if _deferred_skills(center):
            facts["shortfall"] += " (live work; deferred work: its share done in time)"
    if "status" in summary:
        status = summary["status"]
        status = status.value if isinstance(status, Enum) else status
        facts["solver"] = f"{status} (see Solver details at the end)"
    if "validator" in summary:
        facts["rule check"] = summary["validator"]
    return _table(facts)


def _special_days_text(center: Center, dates: Sequence[date]) -> str:
    """The centre's special days within the plan, by its names: ``Wed 4 Mar: Strike (closed); Fri 6 Mar: Eve
    (volume × 0.6, Billing calls (billing_phone))``."""
    shown = set(dates)
    texts = []
    for day in sorted(center.special_days, key=lambda d: d.date):
        if day.date not in shown:
            continue
        what = []
        if day.closed:
            what.append("closed")
        elif day.volume_multiplier is not None:
            what.append(f"volume × {day.volume_multiplier:g}")
        what += [work_type_label(center.work_type(w)) for w in day.work_types]
        texts.append(f"{_day_text(day.date)}: {day.name}" + (f" ({', '.join(what)})" if what else ""))
    return "; ".join(texts)


def _service_section(summary: Mapping[str, Any], center: Center) -> str:
    kpis = summary.get("kpis")
    title = "<h2>Service level per work type</h2>"
    if not isinstance(kpis, Mapping) or not ({"expected_service_level", "deferred_work_in_time"} & set(kpis)):
        return f'{title}\n<p class="muted">The roster\'s expected service level was not given.</p>'
    levels = {**(kpis.get("expected_service_level") or {}), **(kpis.get("deferred_work_in_time") or {})}
    rows = []
    for work_type in center.work_types:
        if work_type.id not in levels:
            continue
        level, target = levels[work_type.id], work_type.target.service_level
        if level is None:
            status = "no contacts"
        elif float(level) >= target:
            status = "meets target"
        else:
            status = f"{100 * (target - float(level)):.1f} points below target"
        rows.append(
            [work_type_label(work_type), work_type.channel.value, work_type.priority, target_text(work_type)]
            + [_percent(level), status]
        )
    note = (
        "<p>Expected from the staffing maths at the agents the roster gives each work type (Erlang C, or Erlang A "
        "where the target has a patience; e-mail and tickets: the share of the work done within its response "
        "window). Simulate the roster (<code>wfm simulate</code>, or plan with <code>wfm plan</code>) to see "
        "what it achieves with random arrivals, breaks and routing.</p>"
    )
    header = ["work type", "channel", "priority", "target", "expected", "status"]
    return f"{title}\n{note}\n{_rows_table(header, rows)}"


def _shade(value: float, most: float) -> str:
    """A red background as strong as `value` is against `most` (none for nothing)."""
    if most <= 0 or value < 0.05:
        return ""
    return f"background: rgba(214, 39, 40, {0.12 + 0.68 * min(value / most, 1.0):.2f})"


def _shortfall_section(
    coverage: pd.DataFrame, center: Center, summary: Mapping[str, Any], dates: Sequence[date], png: bytes
) -> str:
    title = "<h2>Shortfall by day and hour</h2>"
    picture = _image(png, "Coverage per skill and interval: scheduled less required, with the totals below")
    if len(coverage) == 0:
        return f'{title}\n<p class="muted">No coverage was given.</p>\n{picture}'
    every_skill = _coverage_hours(coverage, center)
    hours = _live_hours(every_skill, center)
    skill_ids = sorted(set(hours["skill"]))
    day_at = {d: i for i, d in enumerate(dates)}
    day = np.array([day_at[d] for d in hours["date"]], dtype=np.int64)
    hour = hours["hour"].to_numpy(dtype=np.int64)
    skill = np.searchsorted(skill_ids, hours["skill"].to_numpy())
    cube = np.zeros((len(dates), 24, len(skill_ids)))  # agent-hours short per day x hour of day x skill
    np.add.at(cube, (day, hour, skill), hours["shortfall"].to_numpy(dtype=float))
    short = cube.sum(axis=2)
    required = np.bincount(hour, weights=hours["required"].to_numpy(dtype=float), minlength=24)
    needed = np.flatnonzero(required > 0) if (required > 0).any() else np.unique(hour)
    most = float(short.max()) if short.size else 0.0
    rows: list[list[Any]] = []
    for when, values in zip(dates, short[:, needed], strict=True):
        cells = [_Html(f"{v:.1f}" if v >= 0.05 else "", style=_shade(float(v), most)) for v in values]
        rows.append([_day_text(when), *cells, _Html(f"{values.sum():.1f}")])
    rows.append(["all days", *[_Html(f"{v:.1f}") for v in short[:, needed].sum(axis=0)], _Html(f"{short.sum():.1f}")])
    header = ["day", *[f"{h:02d}:00" for h in needed], "day total"]

    items = []
    for flat in np.argsort(-short.ravel(), kind="stable")[:WORST_HOURS]:
        d, h = divmod(int(flat), 24)
        if short[d, h] < 0.05:
            break
        by_skill = sorted(
            ((float(v), skill_ids[k]) for k, v in enumerate(cube[d, h]) if v >= 0.05), key=lambda x: (-x[0], x[1])
        )
        listed = ", ".join(f"{_skill_label(center, k)} {v:.1f}" for v, k in by_skill)
        items.append(
            f"<li>{_e(_day_text(dates[d]))} {h:02d}:00–{(h + 1) % 24:02d}:00: {short[d, h]:.1f} agent-hours short "
            f"({_e(listed)})</li>"
        )
    worst_text = (
        f"<p>The worst hours:</p>\n<ol>{''.join(items)}</ol>" if items else "<p>No hour is short of agents.</p>"
    )
    skills = every_skill.groupby("skill", sort=True)[["required", "scheduled", "shortfall", "surplus"]].sum()
    deferred = _deferred_skills(center)
    skill_rows = [
        [
            _skill_label(center, str(skill)),
            _hours_text(float(r.required)),
            _hours_text(float(r.scheduled)),
            _hours_text(float(r.shortfall)),
            _hours_text(float(r.surplus)),
            "deferred: see the share done in time"
            if skill in deferred
            else (f"{1 - float(r.shortfall) / float(r.required):.1%}" if float(r.required) > 0 else "–"),
        ]
        for skill, r in skills.iterrows()
    ]
    skill_header = ("skill", "required", "scheduled", "short", "over", "covered")
    parts = [
        title,
        "<p>Agents missing against the requirement, in agent-hours (one agent missing for an hour is 1.0), per "
        f"local day and hour of day ({_e(center.timezone)}), summed over skills; only the hours in which some "
        "work is required are shown."
        + (
            f" Skills of deferred work only ({_e(', '.join(_skill_label(center, k) for k in sorted(deferred)))}) are "
            "left out: the roster plans that work against its response deadlines, not per interval, and the "
            "service level section gives its share done in time."
            if deferred & set(every_skill["skill"])
            else ""
        )
        + "</p>",
        worst_text,
        _rows_table(header, rows, css="hours"),
        "<h3>Per skill (agent-hours)</h3>",
        _rows_table(skill_header, skill_rows),
    ]
    kpis = summary.get("kpis")
    by_priority = kpis.get("understaffed_agent_hours") if isinstance(kpis, Mapping) else None
    if isinstance(by_priority, Mapping) and by_priority:
        listed = "; ".join(f"{k}: {_hours_text(float(v))}" for k, v in by_priority.items())
        parts.append(f"<p>Short by work-type priority, in agent-hours: {_e(listed)}.</p>")
    parts += ["<h3>Coverage per skill and interval</h3>", picture]
    return "\n".join(parts)


def _cost_section(shifts: Sequence[_Shift], center: Center) -> str:
    paid: dict[str, float] = {}
    cost: dict[str, float] = {}
    count: dict[str, int] = {}
    for shift in shifts:
        paid[shift.agent_id] = paid.get(shift.agent_id, 0.0) + shift.paid_minutes / 60
        cost[shift.agent_id] = cost.get(shift.agent_id, 0.0) + shift.cost(center)
        count[shift.agent_id] = count.get(shift.agent_id, 0) + 1
    costed = any(a.hourly_cost > 0 for a in center.agents)
    overtime = any(s.overtime_minutes for s in shifts)

    def cost_of(agents: Iterable[Agent]) -> str:
        return f"{sum(cost.get(a.id, 0.0) for a in agents):,.0f}" if costed else "–"

    def row(label: str, agents: list[Agent]) -> list[Any]:
        rostered = [a for a in agents if a.id in paid]
        hours = sum(paid.get(a.id, 0.0) for a in agents)
        return [
            label,
            len(agents),
            len(rostered),
            sum(count.get(a.id, 0) for a in agents),
            _hours_text(hours),
            _hours_text(hours / len(rostered)) if rostered else "–",
            cost_of(agents),
        ]

    total_hours = sum(paid.values())
    facts = {"paid hours": _hours_text(total_hours), "cost": cost_of(center.agents)}
    if costed and total_hours > 0:
        facts["average cost per paid hour"] = f"{sum(cost.values()) / total_hours:,.2f}"
    header = ["agents", "rostered", "shifts", "paid h", "paid h per rostered agent", "cost"]
    contract_rows = [
        row(_contract_label(c), [a for a in center.agents if a.contract == c.id])
        + [f"{_limit_text(c.min_paid_minutes_week / 60)}–{_limit_text(c.max_paid_minutes_week / 60)}"]
        for c in center.contracts
        if any(a.contract == c.id for a in center.agents)
    ]
    parts = [
        "<h2>Paid hours and cost</h2>",
        "<p>Paid hours are the shifts less their unpaid breaks; cost is each agent's hourly cost times their paid "
        "hours"
        + (", overtime at the contract's overtime rate" if overtime else "")
        + ("" if costed else " (the centre gives no hourly costs)")
        + ".</p>",
        _table(facts),
        _rows_table(["contract", *header, "contract h per week"], contract_rows),
    ]
    sites = sorted({a.site for a in center.agents if a.site})
    if sites:
        site_rows = [row(site, [a for a in center.agents if a.site == site]) for site in sites]
        if any(not a.site for a in center.agents):
            site_rows.append(row("no site", [a for a in center.agents if not a.site]))
        parts.append(_rows_table(["site", *header], site_rows))
    return "\n".join(parts)


def _week_blocks(dates: Sequence[date]) -> list[list[date]]:
    """The weeks of the contract limits: 7-day blocks from the first date (docs/roster.md, Time)."""
    return [list(dates[i : i + 7]) for i in range(0, len(dates), 7)]


def _closed_to(center: Center, agent: Agent, day: date) -> bool:
    """Whether `day` is listed ``closed`` for every work type of the agent's skills (a day off for them, charged
    like time off: docs/roster.md, Time)."""
    served = [w.id for w in center.work_types if w.skill in agent.skill_ids]
    return bool(served) and all(day in center.closed_dates(w) for w in served)


def _week_cell(
    center: Center, agent: Agent, week: Sequence[date], paid_minutes: float, vto_minutes: float = 0
) -> _Html:
    """Paid hours in the week against the contract's range (prorated in a short last week, which has no minimum,
    as docs/roster.md says), flagged when outside; time off and closed days lower the limits, so a week with
    either is not flagged under its minimum; voluntary time off taken counts toward the minimum (rule
    weekly_paid_minutes)."""
    contract = center.contract_of(agent)
    k = len(week)
    most = math.ceil(contract.max_paid_minutes_week * k / 7) if k < 7 else contract.max_paid_minutes_week
    least = contract.min_paid_minutes_week if k == 7 else None
    away = [
        what
        for what, found in (
            ("time off", any(agent.is_off(d) for d in week)),
            ("closed days", any(_closed_to(center, agent, d) for d in week)),
        )
        if found
    ]
    limits = (
        f"{_limit_text(least / 60)}–{_limit_text(most / 60)}" if least is not None else f"≤ {_limit_text(most / 60)}"
    )
    text = f"{_hours_text(paid_minutes / 60)} ({limits}{', less ' + ' and '.join(away) if away else ''})"
    if paid_minutes > most + 1e-9:
        return _Html(_e(f"{text} ▲ over max"), css="flag num")
    if least is not None and not away and paid_minutes + vto_minutes < least - 1e-9:
        return _Html(_e(f"{text} ▼ under min"), css="flag num")
    return _Html(_e(text), css="num")


def _grid_section(shifts: Sequence[_Shift], center: Center, dates: Sequence[date], summary: Mapping[str, Any]) -> str:
    title = "<h2>Agents by day</h2>"
    if not dates:
        return f'{title}\n<p class="muted">The roster has no shifts.</p>'
    tz = center.timezone
    by_agent_day = {(s.agent_id, s.day): s for s in shifts}
    weeks = _week_blocks(dates)
    sites = any(a.site for a in center.agents)
    contract_order = {c.id: i for i, c in enumerate(center.contracts)}
    agents = sorted(center.agents, key=lambda a: (contract_order[a.contract], _person_label(center, a.id)))
    rows = []
    for agent in agents:
        contract = center.contract_of(agent)
        cells: list[Any] = [_person_label(center, agent.id), contract.name or contract.id]
        if sites:
            cells.append(agent.site or "–")
        for day in dates:
            shift = by_agent_day.get((agent.id, day))
            if shift is None:
                away = "time off" if agent.is_off(day) else "closed" if _closed_to(center, agent, day) else "off"
                cells.append(_Html(away, css="off"))
                continue
            pinned = " (pinned)" if shift.pinned else ""
            changes = "".join(f'<br><span class="small">{_e(c)}</span>' for c in shift.changes_text(tz))
            cells.append(
                _Html(
                    f"{_e(_span_text(shift.start, shift.end, tz))}{pinned}<br>"
                    f'<span class="small">{_e(_template_label(shift.template))}</span>{changes}'
                )
            )
        for week in weeks:
            worked = [by_agent_day[(agent.id, d)] for d in week if (agent.id, d) in by_agent_day]
            minutes = sum(s.paid_minutes for s in worked)
            cells.append(_week_cell(center, agent, week, minutes, sum(s.vto_minutes for s in worked)))
        rows.append(cells)
    week_headers = (
        ["paid h (contract min–max)"]
        if len(weeks) == 1
        else [f"paid h {_day_text(w[0])}–{_day_text(w[-1])} (contract)" for w in weeks]
    )
    header = ["agent", "contract", *(["site"] if sites else []), *(_day_text(d) for d in dates), *week_headers]
    parts = [
        title,
        f"<p>Each agent's shift per day ({_e(tz)}, start–end and template) and the week's paid hours against the "
        "contract's weekly minimum and maximum (weeks are 7-day blocks from the plan's first day; a shorter last "
        "block has its maximum prorated and no minimum). ▲/▼: outside the contract. Time off and days closed to "
        "all the agent's work are paid and lower the limits of their week, so such a week is not flagged under "
        "its minimum.</p>",
        _rows_table(header, rows, css="grid"),
    ]
    kpis = summary.get("kpis")
    fairness = kpis.get("fairness_by_contract") if isinstance(kpis, Mapping) else None
    if isinstance(fairness, Mapping) and fairness:
        fair_rows = [
            [
                _contract_label(center.contracts_by_id[c]) if c in center.contracts_by_id else c,
                v.get("weekends_spread", "–"),
                v.get("late_shifts_spread", "–"),
            ]
            for c, v in fairness.items()
            if isinstance(v, Mapping)
        ]
        parts += [
            "<h3>Fairness per contract</h3>",
            "<p>The spread (most less fewest) across the contract's agents of working weekends and of late shifts, "
            "as the roster's fairness rules count them (docs/roster.md).</p>",
            _rows_table(["contract", "working weekends spread", "late shifts spread"], fair_rows),
        ]
    gap = kpis.get("target_hours_mean_abs_gap") if isinstance(kpis, Mapping) else None
    if gap is not None and _is_number(gap) and any(c.target_paid_minutes_week is not None for c in center.contracts):
        parts.append(f"<p>Mean distance of an agent's paid hours from the contract's target: {float(gap):.1f} h.</p>")
    return "\n".join(parts)


_TIMELINE_LEFT_OUT = (
    "<h2>Timeline</h2>\n<p>Left out: the run was stopped by Ctrl-C, and the roster was written without waiting for "
    "the timeline pictures. Every shift is in the agents-by-day grid above and in the shifts per day below; "
    "<code>gantt.png</code> shows the first agents.</p>"
)


def _timeline_section(shifts: Sequence[_Shift], center: Center, pages: Sequence[bytes]) -> str:
    parts = [
        "<h2>Timeline</h2>",
        f"<p>Every rostered agent, {GANTT_AGENTS_PER_PAGE} to a picture, sorted by contract and then first start, "
        f"in local time ({_e(center.timezone)}): a bar per shift coloured by template, breaks in grey, pinned "
        "shifts outlined.</p>",
    ]
    if not shifts:
        return "\n".join([*parts, *(_image(png, "No shifts in the roster") for png in pages)])
    agent_pages = _gantt_pages(shifts, center, GANTT_AGENTS_PER_PAGE)
    total = sum(len(p) for p in agent_pages)
    first = 1
    for number, (png, agents) in enumerate(zip(pages, agent_pages, strict=True), start=1):
        names = ", ".join(_person_label(center, a) for a in agents)
        parts.append(
            _image(
                png,
                f"Timeline page {number} of {len(pages)}, agents {first}–{first + len(agents) - 1} of {total}: {names}",
            )
        )
        first += len(agents)
    return "\n".join(parts)


def _roster_section(shifts: Sequence[_Shift], center: Center) -> str:
    if not shifts:
        return '<h2>Shifts and breaks per day</h2>\n<p class="muted">The roster has no shifts.</p>'
    tz = center.timezone
    any_pinned = any(s.pinned for s in shifts)
    any_changed = any(s.changes_text(tz) for s in shifts)
    header = [
        "agent",
        "shift (local)",
        "template",
        "breaks (local)",
        *(["changes (local)"] * any_changed),
        "paid h",
        *(["pinned"] * any_pinned),
    ]
    parts = ["<h2>Shifts and breaks per day</h2>"]
    for day in sorted({s.day for s in shifts}):
        on_day = sorted((s for s in shifts if s.day == day), key=lambda s: (s.start, s.agent_id))
        rows = [
            [
                _person_label(center, s.agent_id),
                _span_text(s.start, s.end, tz),
                _template_label(s.template),
                "; ".join(_break_text(s, tz)) or "none",
                *(["; ".join(s.changes_text(tz)) or "none"] * any_changed),
                _hours_text(s.paid_minutes / 60),
                *(["yes" if s.pinned else ""] * any_pinned),
            ]
            for s in on_day
        ]
        parts += [f"<h3>{day:%A} {day.day} {day:%B %Y} ({len(on_day)} shifts)</h3>", _rows_table(header, rows)]
    return "\n".join(parts)


# -- the solver's own figures -----------------------------------------------------------------------------------


def _solver_section(summary: Mapping[str, Any]) -> str:
    title = "<h2>Solver details</h2>"
    solve: dict[str, Any] = {}
    if "status" in summary:
        status = summary["status"]
        status = status.value if isinstance(status, Enum) else status
        css = re.sub(r"[^a-z_]", "", str(status).lower())
        solve["status"] = _Html(f'<span class="status {css}">{_e(status)}</span>')
    for key, label in (("objective", "objective (points)"), ("best_bound", "best bound (points)")):
        if key in summary:
            solve[label] = _points(summary[key])
    if "gap" in summary:
        solve["gap"] = _percent(summary["gap"])
    for key, label in (("solve_time_s", "solve time"), ("first_solution_s", "first roster after")):
        if key in summary:
            solve[label] = _seconds_text(summary[key])
    given = summary.get("kpis")
    kpis: Mapping[str, Any] = given if isinstance(given, Mapping) else {}
    for key, value in kpis.items():
        if key.endswith("_s") and _is_number(value):
            solve[key[:-2].replace("_", " ")] = _seconds_text(value)
    statuses = summary.get("break_statuses")
    if isinstance(statuses, list | tuple) and statuses:
        counted = pd.Series([str(s) for s in statuses]).value_counts(sort=False)
        solve["break placement (days)"] = ", ".join(f"{n} {s}" for s, n in counted.items())
    parts = [title]
    if solve:
        parts += [
            "<p>Points: the objective's unit (1 point is one unit of pay; shortfall and the agents' wishes are "
            "weighted in points). The gap is how far the roster may be from the best possible one.</p>",
            _table({k: v if isinstance(v, _Html) else _Html(_e(v)) for k, v in solve.items()}),
        ]
    breakdown = summary.get("breakdown")
    if isinstance(breakdown, Mapping) and breakdown:
        parts += ["<h3>Objective per rule (points)</h3>", _table(_pointed(breakdown), ("rule", "points"))]
    other = {k: v for k, v in kpis.items() if k not in _PLANNER_KPIS and not (k.endswith("_s") and _is_number(v))}
    other |= {
        k: v
        for k, v in summary.items()
        if k not in _SHOWN_KEYS
        and (not isinstance(v, Mapping | list | tuple) or all(not isinstance(x, Mapping | list) for x in v))
    }
    if other:
        parts += [
            "<h3>Other figures</h3>",
            _table({k.replace("_", " "): v for k, v in other.items()}, ("figure", "value")),
        ]
    progress = summary.get("progress")
    if isinstance(progress, list | tuple) and progress:
        rows = [
            [
                _seconds_text(p.get("elapsed_s")),
                _points(p.get("objective")),
                _points(p.get("bound")),
                _percent(p.get("gap")),
            ]
            for p in progress
            if isinstance(p, Mapping)
        ]
        parts += [
            "<h3>Progress (each better roster or bound)</h3>",
            _rows_table(["elapsed", "objective", "bound", "gap"], rows),
        ]
    notes = summary.get("notes")
    if isinstance(notes, list | tuple) and notes:
        parts += ["<h3>Notes</h3>", "<ul>" + "".join(f"<li>{_e(n)}</li>" for n in notes) + "</ul>"]
    if len(parts) == 1:
        parts.append('<p class="muted">No solver figures were given.</p>')
    return "\n".join(parts)


def _points(value: Any) -> str:
    return f"{float(value):,.1f}" if _is_number(value) and math.isfinite(float(value)) else _format_value(value)


def _pointed(breakdown: Mapping[str, Any]) -> dict[str, Any]:
    """The breakdown with its numbers as points to a tenth (nested groups kept)."""
    return {
        k: _pointed(v) if isinstance(v, Mapping) else _Html(_e(_points(v)), css="num") for k, v in breakdown.items()
    }

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
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
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
from models.tables import COVERAGE, ROSTER, TableSchema
from models.workforce import BreakRule, ShiftTemplate
from planner.reports import _pyplot, _save_png

__all__ = ["agent_calendars", "own_calendars", "plot_coverage", "plot_gantt", "roster_report_html"]

#: Who made the calendars (RFC 5545 PRODID).
PRODID = "-//wfm-planner//roster//EN"
#: How many agents the Gantt chart shows unless told otherwise.
DEFAULT_GANTT_AGENTS = 60
#: Colours of the shift templates in the Gantt chart, in the order of the templates' ids.
TEMPLATE_COLOURS = ("tab:blue", "tab:orange", "tab:green", "tab:purple", "tab:brown", "tab:cyan", "tab:olive")
BREAK_COLOUR = "0.82"
#: Local hours that get a minor tick on the time axes (days get a labelled major tick).
MINOR_TICK_HOURS = (6, 12, 18)

Span = tuple[pd.Timestamp, pd.Timestamp]


# -- reading the tables -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Shift:
    """One roster row, checked: instants in UTC, the template and the break rules its breaks follow."""

    agent_id: str
    day: date
    start: pd.Timestamp
    end: pd.Timestamp
    template: ShiftTemplate
    breaks: tuple[Span, ...]
    paid_minutes: int
    pinned: bool

    @property
    def length_minutes(self) -> int:
        return int((self.end - self.start) / pd.Timedelta(minutes=1))

    @property
    def uid_stem(self) -> str:
        return f"{self.agent_id}-{self.day:%Y%m%d}"

    def break_rules(self) -> list[BreakRule | None]:
        """The rule each break follows (the template's applicable rules, in order), or None where the breaks
        do not match them one to one (a roster the validator would reject)."""
        rules = self.template.breaks_for(self.length_minutes)
        return list(rules) if len(rules) == len(self.breaks) else [None] * len(self.breaks)

    def work_spans(self) -> list[Span]:
        """The shift less its breaks: the stretches the agent is on duty."""
        spans, cursor = [], self.start
        for begin, finish in sorted(self.breaks):
            if begin > cursor:
                spans.append((cursor, begin))
            cursor = max(cursor, finish)
        if cursor < self.end:
            spans.append((cursor, self.end))
        return spans


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


def _parse_breaks(value: Any, where: str) -> tuple[Span, ...]:
    """The breaks cell: a JSON string or a list of ``[start, end]`` pairs (ISO text or timestamps)."""
    fix = 'write a JSON list of [start, end] pairs, e.g. [["2026-03-30T12:00:00+01:00", "2026-03-30T12:30:00+01:00"]]'
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            raise InputError("roster", Problem(where, f"breaks '{value}' is not valid JSON", fix)) from None
    if isinstance(value, np.ndarray):
        value = value.tolist()
    if not isinstance(value, list | tuple):
        raise InputError("roster", Problem(where, f"breaks {value!r} is not a list", fix + "; [] for no breaks"))
    spans = []
    for i, pair in enumerate(value):
        pair = pair.tolist() if isinstance(pair, np.ndarray) else pair
        if not isinstance(pair, list | tuple) or len(pair) != 2:
            raise InputError("roster", Problem(where, f"break {i + 1} ({pair!r}) is not a [start, end] pair", fix))
        begin, finish = (
            _instant(v, where, f"break {i + 1} {side}") for v, side in zip(pair, ("start", "end"), strict=True)
        )
        if finish <= begin:
            raise InputError(
                "roster", Problem(where, f"break {i + 1} ends ({pair[1]}) before it starts ({pair[0]})", fix)
            )
        spans.append((begin, finish))
    return tuple(spans)


def _read_shifts(roster: pd.DataFrame, center: Center) -> list[_Shift]:
    """The roster's rows as checked shifts, sorted by agent and start."""
    _require_columns(roster, ROSTER)
    pinned = roster["pinned"] if "pinned" in roster.columns else pd.Series(False, index=roster.index)
    shifts = []
    columns = [roster[c].tolist() for c in ("agent_id", "date", "start", "end", "shift_template", "breaks")]
    for i, (agent_id, day, start, end, template_id, breaks, paid, pin) in enumerate(
        zip(*columns, roster["paid_minutes"].tolist(), pinned.tolist(), strict=True)
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
    template, breaks as grey gaps, pinned shifts outlined, in the centre's local time. Shows the first
    `max_agents` agents and says so in the title when there are more."""
    if max_agents < 1:
        raise ValueError(f"max_agents {max_agents} must be at least 1")
    return _save_png(_gantt_figure(_read_shifts(roster, center), center, max_agents), path)


def _interval_step(instants: np.ndarray) -> int:
    """The grid step of sorted unique int64 nanosecond instants (their common difference)."""
    return int(np.gcd.reduce(np.diff(instants))) if instants.size > 1 else 0


def _empty_figure(message: str) -> Any:
    figure, ax = _pyplot().subplots(figsize=(8, 1.5))
    ax.text(0.5, 0.5, message, ha="center", va="center", fontsize=10)
    ax.set_axis_off()
    return figure


def _day_ticks(ax: Any, local: pd.DatetimeIndex, position: np.ndarray) -> None:
    """Labelled ticks at local midnights and minor ticks at `MINOR_TICK_HOURS`, from the local time of each
    position on the axis."""
    on_hour = (local.minute == 0) & (local.second == 0)
    midnight = np.asarray(on_hour & (local.hour == 0))
    minor = np.asarray(on_hour & local.hour.isin(MINOR_TICK_HOURS))
    ax.set_xticks(position[midnight], [t.strftime("%a %d %b") for t in local[midnight]], fontsize=8)
    ax.set_xticks(position[minor], minor=True)


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

    plt = _pyplot()
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
    _day_ticks(bottom, local, positions)
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


def _gantt_figure(shifts: Sequence[_Shift], center: Center, max_agents: int) -> Any:
    if not shifts:
        return _empty_figure("No shifts in the roster")
    order = _gantt_order(shifts, center)
    shown = order[:max_agents]
    row_of = {agent: i for i, agent in enumerate(shown)}
    horizon = Horizon.covering(
        pd.DatetimeIndex([s.start for s in shifts] + [s.end for s in shifts]), center.timezone, center.interval_minutes
    )
    origin = horizon.day_starts[0]

    def hours(stamp: pd.Timestamp) -> float:
        return float((stamp - origin) / pd.Timedelta(hours=1))

    templates = sorted({s.template.id for s in shifts})
    colour = {t: TEMPLATE_COLOURS[i % len(TEMPLATE_COLOURS)] for i, t in enumerate(templates)}
    plt = _pyplot()
    figure, ax = plt.subplots(figsize=(14, 0.25 * len(shown) + 1.8))
    for shift in shifts:
        if shift.agent_id not in row_of:
            continue
        y = (row_of[shift.agent_id] - 0.38, 0.76)
        work = [(hours(a), hours(b) - hours(a)) for a, b in shift.work_spans()]
        rests = [(hours(a), hours(b) - hours(a)) for a, b in shift.breaks]
        outline = {"edgecolor": "black", "linewidth": 0.9} if shift.pinned else {"edgecolor": "none"}
        ax.broken_barh(work, y, facecolors=colour[shift.template.id], **outline)
        ax.broken_barh(rests, y, facecolors=BREAK_COLOUR, **outline)
    ax.set_yticks(range(len(shown)), shown, fontsize=7 if len(shown) > 30 else 8)
    ax.set_ylim(len(shown) - 0.5, -0.5)
    contracts = [center.agent(a).contract for a in shown]
    for i in range(1, len(shown)):
        if contracts[i] != contracts[i - 1]:
            ax.axhline(i - 0.5, color="0.4", lw=0.8)
    for i, contract in enumerate(contracts):
        if i == 0 or contract != contracts[i - 1]:
            ax.text(1.005, i, contract, transform=ax.get_yaxis_transform(), fontsize=7, va="top")

    last = max(hours(s.end) for s in shifts)
    ticks = pd.DatetimeIndex(
        [local_time(d, h * 60, center.timezone) for d in horizon.dates for h in (0, *MINOR_TICK_HOURS)]
    ).tz_convert(center.timezone)
    _day_ticks(ax, ticks, np.array([hours(t) for t in ticks]))
    ax.set_xlim(0, max(last, 1.0))
    ax.grid(axis="x", which="major", color="0.5", lw=0.6)
    ax.grid(axis="x", which="minor", color="0.85", lw=0.4)
    ax.set_axisbelow(True)
    handles = [plt.Rectangle((0, 0), 1, 1, color=colour[t]) for t in templates]
    handles.append(plt.Rectangle((0, 0), 1, 1, color=BREAK_COLOUR))
    labels = [_template_label(center.templates_by_id[t]) for t in templates] + ["break"]
    if any(s.pinned for s in shifts):
        handles.append(plt.Rectangle((0, 0), 1, 1, facecolor="white", edgecolor="black"))
        labels.append("pinned")
    ax.legend(handles, labels, fontsize=7, loc="lower right", bbox_to_anchor=(1, 1), ncols=len(labels), frameon=False)
    ax.set_title(_gantt_title(len(shown), len(order), center.timezone), fontsize=10, loc="left")
    figure.tight_layout()
    return figure


# -- the HTML report --------------------------------------------------------------------------------------------

_CSS = """
body { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; margin: 1.5rem; color: #222; }
h1 { font-size: 1.4rem; } h2 { font-size: 1.15rem; margin-top: 2rem; border-bottom: 1px solid #ccc; }
h3 { font-size: 1rem; margin-bottom: .3rem; }
table { border-collapse: collapse; margin: .4rem 0 1rem; font-size: .85rem; }
th, td { border: 1px solid #ddd; padding: .2rem .55rem; text-align: left; vertical-align: top; }
th { background: #f3f3f3; } tr:nth-child(even) td { background: #fafafa; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
.status { display: inline-block; padding: .1rem .5rem; border-radius: .3rem; background: #eee; font-weight: 600; }
.status.optimal { background: #cdeccd; } .status.feasible { background: #fdebc8; }
.status.infeasible, .status.unknown, .status.model_invalid { background: #f6cccc; }
img { max-width: 100%; height: auto; } .muted { color: #777; }
"""


def roster_report_html(
    roster: pd.DataFrame,
    coverage: pd.DataFrame,
    center: Center,
    summary: Mapping[str, Any],
    *,
    sections: Sequence[str] = (),
) -> str:
    """One self-contained HTML page (inline CSS, images as data URIs): the solve's headline, the given HTML
    `sections` (a plan's service level, diagnosis and remedies), the objective per rule (``summary["breakdown"]``),
    the KPIs (``summary["kpis"]``), coverage per skill, the coverage heatmap, the Gantt chart and the roster per
    day in local time. Any summary key may be missing."""
    shifts = _read_shifts(roster, center)
    with TemporaryDirectory() as tmp:
        coverage_png = plot_coverage(coverage, Path(tmp) / "coverage.png", timezone=center.timezone).read_bytes()
        gantt_png = plot_gantt(roster, center, Path(tmp) / "gantt.png").read_bytes()
    title = f"Roster: {center.name}"
    parts = [
        f"<h1>{_e(title)}</h1>",
        _headline(summary, shifts, center),
        *sections,
        _section("Objective per rule", summary.get("breakdown"), "No objective breakdown was given."),
        _kpi_section(summary.get("kpis")),
        _coverage_section(coverage),
        "<h2>Coverage heatmap</h2>",
        _image(coverage_png, "Coverage: scheduled less required per skill and interval"),
        "<h2>Timeline</h2>",
        _image(gantt_png, "Shifts per agent over the horizon"),
        _roster_section(shifts, center),
    ]
    body = "\n".join(s for s in parts if s)
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        f"<title>{_e(title)}</title>\n<style>{_CSS}</style>\n</head>\n<body>\n{body}\n</body>\n</html>\n"
    )


def _e(value: Any) -> str:
    return html.escape(str(value), quote=True)


def _format_value(value: Any) -> str:
    """A value as short text: thousands separators, six significant digits, booleans as yes/no."""
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
        return f"{number:,.0f}" if abs(number) >= 1e6 else f"{number:,.6g}"
    if isinstance(value, list | tuple):
        return ", ".join(_format_value(v) for v in value)
    return str(value)


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float | np.integer | np.floating) and not isinstance(value, bool | np.bool_)


def _cell(value: Any) -> str:
    if isinstance(value, Mapping):
        return f"<td>{_table(value)}</td>" if value else "<td>none</td>"
    css = ' class="num"' if _is_number(value) else ""
    return f"<td{css}>{_e(_format_value(value))}</td>"


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


def _rows_table(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    head = "".join(f"<th>{_e(h)}</th>" for h in header)
    body = "".join("<tr>" + "".join(_cell(v) for v in row) + "</tr>" for row in rows)
    return f"<table><tr>{head}</tr>{body}</table>"


def _section(title: str, content: Any, when_empty: str) -> str:
    if isinstance(content, Mapping) and content:
        return f"<h2>{_e(title)}</h2>\n{_table(content, ('rule', 'value'))}"
    return f'<h2>{_e(title)}</h2>\n<p class="muted">{_e(when_empty)}</p>'


def _headline(summary: Mapping[str, Any], shifts: Sequence[_Shift], center: Center) -> str:
    parts = []
    if "status" in summary:
        status = summary["status"]
        status = status.value if isinstance(status, Enum) else status
        css = re.sub(r"[^a-z_]", "", str(status).lower())
        parts.append(f'<p>Status: <span class="status {css}">{_e(status)}</span></p>')
    facts: dict[str, Any] = {}
    for key, label in (("objective", "objective"), ("best_bound", "best bound")):
        if key in summary:
            facts[label] = summary[key]
    if "gap" in summary:
        gap = summary["gap"]
        facts["gap"] = f"{float(gap):.2%}" if _is_number(gap) and math.isfinite(float(gap)) else gap
    if "solve_time_s" in summary:
        seconds = summary["solve_time_s"]
        facts["solve time"] = f"{float(seconds):,.1f} s" if _is_number(seconds) else seconds
    if shifts:
        days = sorted({s.day for s in shifts})
        facts["dates"] = f"{days[0]:%a %d %b %Y} – {days[-1]:%a %d %b %Y}"
    facts["shifts"] = len(shifts)
    facts["agents with a shift"] = f"{len({s.agent_id for s in shifts})} of {len(center.agents)}"
    facts["paid hours"] = _hours(sum(s.paid_minutes for s in shifts))
    facts["time zone"] = center.timezone
    return "\n".join([*parts, _table(facts)])


def _kpi_section(kpis: Any) -> str:
    if not isinstance(kpis, Mapping) or not kpis:
        return '<h2>KPIs</h2>\n<p class="muted">No KPIs were given.</p>'
    flat = {k: v for k, v in kpis.items() if not isinstance(v, Mapping)}
    parts = ["<h2>KPIs</h2>"]
    if flat:
        parts.append(_table(flat, ("KPI", "value")))
    for name, group in kpis.items():
        if isinstance(group, Mapping):
            parts += [f"<h3>{_e(name)}</h3>", _table(group, ("KPI", "value"))]
    return "\n".join(parts)


def _coverage_section(coverage: pd.DataFrame) -> str:
    if len(coverage) == 0:
        return ""
    instants = np.unique(pd.DatetimeIndex(coverage["interval_start"]).as_unit("ns").asi8)
    step_hours = _interval_step(instants) / 3.6e12
    sums = coverage.groupby("skill", sort=True)[["required", "scheduled", "shortfall", "surplus"]].sum()
    rows = [
        (
            skill,
            round(float(r.required) * step_hours, 2),
            round(float(r.scheduled) * step_hours, 2),
            round(float(r.shortfall) * step_hours, 2),
            round(float(r.surplus) * step_hours, 2),
            f"{1 - float(r.shortfall) / float(r.required):.1%}" if float(r.required) > 0 else "–",
        )
        for skill, r in sums.iterrows()
    ]
    header = ("skill", "required (agent-h)", "scheduled (agent-h)", "short (agent-h)", "over (agent-h)", "covered")
    return "<h2>Coverage per skill</h2>\n" + _rows_table(header, rows)


def _image(png: bytes, alt: str) -> str:
    data = base64.b64encode(png).decode("ascii")
    return f'<p><img alt="{_e(alt)}" src="data:image/png;base64,{data}"></p>'


def _roster_section(shifts: Sequence[_Shift], center: Center) -> str:
    if not shifts:
        return '<h2>Roster</h2>\n<p class="muted">The roster has no shifts.</p>'
    tz = center.timezone
    any_pinned = any(s.pinned for s in shifts)
    header = ["agent", "name", "shift (local)", "template", "breaks (local)", "paid h", *(["pinned"] * any_pinned)]
    parts = ["<h2>Roster</h2>"]
    for day in sorted({s.day for s in shifts}):
        on_day = sorted((s for s in shifts if s.day == day), key=lambda s: (s.start, s.agent_id))
        rows = [
            [
                s.agent_id,
                center.agent(s.agent_id).name,
                _span_text(s.start, s.end, tz),
                _template_label(s.template),
                "; ".join(_break_text(s, tz)) or "none",
                _hours(s.paid_minutes),
                *(["yes" if s.pinned else ""] * any_pinned),
            ]
            for s in on_day
        ]
        parts += [f"<h3>{day:%A %d %B %Y} ({len(on_day)} shifts)</h3>", _rows_table(header, rows)]
    return "\n".join(parts)

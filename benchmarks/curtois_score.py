"""An independent scorer of the Curtois & Qu employee shift scheduling benchmark: the official objective of a
solution and every violation of a hard rule, computed by plain loops over the roster (no code shared with the
CP-SAT model of `benchmarks.curtois`, only the instance reader).

Run from the repository root::

    python -m benchmarks.curtois_score --instance Instance1.txt --solution solution.csv

The solution is a CSV with the header ``employee,day,shift`` and one row per worked day (days 0-based, the
instance's ids). It prints the objective, its parts and the hard violations; exit 1 if there is any, 0 if none,
2 if a file is malformed.

The rules (Curtois & Qu, "Computational results on new staff scheduling benchmark instances", 2014):

hard
    at most one shift a day; no shift followed the next day by one it forbids; at most the employee's maximum of
    each shift type; total minutes within the employee's minimum and maximum; runs of worked days no longer than
    the maximum and, unless the run touches the start or the end of the horizon, no shorter than the minimum;
    runs of days off inside the horizon no shorter than the minimum; at most the maximum of worked weekends (a
    weekend, days 5 and 6 of a week, is worked if either day is); no work on a day off.
soft
    a shift-on request not met costs its weight; a shift-off request not met costs its weight; each day and
    shift, each employee under the requirement costs the under weight and each one over it the over weight.
"""

from __future__ import annotations

import argparse
import csv
import sys
from dataclasses import dataclass, field
from pathlib import Path

from benchmarks.curtois_format import FormatError, Instance, read_instance

__all__ = ["Score", "read_solution", "score"]

HEADER = ["employee", "day", "shift"]


@dataclass
class Score:
    objective: int = 0
    parts: dict[str, int] = field(default_factory=lambda: {"shift_on_requests": 0, "shift_off_requests": 0, "cover": 0})
    violations: list[str] = field(default_factory=list)  # "rule: what"


def read_solution(path: Path, instance: Instance) -> list[tuple[str, int, str]]:
    """The rows of a solution CSV; raise `FormatError` naming the file, row and field of anything malformed."""
    employees, shifts = set(instance.staff_ids), set(instance.shift_ids)
    try:
        with Path(path).open(encoding="utf-8", newline="") as handle:
            rows = list(csv.reader(handle))
    except (OSError, UnicodeDecodeError) as error:
        raise FormatError(f"{path}: cannot be read ({error}); give the path of a solution CSV") from error
    if not rows or [c.strip() for c in rows[0]] != HEADER:
        raise FormatError(
            f"{path}, row 1: header is {rows[0] if rows else 'missing'}; start the file with 'employee,day,shift'"
        )
    assignments = []
    for number, row in enumerate(rows[1:], start=2):
        if not row:
            continue
        if len(row) != 3:
            raise FormatError(f"{path}, row {number}: {len(row)} fields; write 'employee,day,shift'")
        employee, day_text, shift = (c.strip() for c in row)
        if employee not in employees:
            raise FormatError(
                f"{path}, row {number}, field employee: unknown {employee!r}; use an id of the instance's staff"
            )
        try:
            day = int(day_text)
        except ValueError:
            raise FormatError(
                f"{path}, row {number}, field day: {day_text!r} is not an integer; write a 0-based day"
            ) from None
        if not 0 <= day < instance.horizon:
            raise FormatError(
                f"{path}, row {number}, field day: {day} is outside the horizon; use 0 to {instance.horizon - 1}"
            )
        if shift not in shifts:
            raise FormatError(
                f"{path}, row {number}, field shift: unknown {shift!r}; use an id of the instance's shifts"
            )
        assignments.append((employee, day, shift))
    return assignments


def _runs(worked: list[bool], value: bool) -> list[tuple[int, int]]:
    """(start, length) of each maximal run of `value` in `worked`."""
    runs, start = [], None
    for day, w in enumerate([*worked, not value]):
        if w == value and start is None:
            start = day
        elif w != value and start is not None:
            runs.append((start, day - start))
            start = None
    return runs


def score(instance: Instance, assignments: list[tuple[str, int, str]]) -> Score:
    """The objective and the hard violations of `assignments` (employee, day, shift) on `instance`."""
    result = Score()
    bad = result.violations.append
    minutes = {s.id: s.minutes for s in instance.shifts}
    forbidden = {(s.id, t) for s in instance.shifts for t in s.cannot_follow}
    days: dict[tuple[str, int], list[str]] = {}
    for employee, day, shift in assignments:
        days.setdefault((employee, day), []).append(shift)
    horizon = instance.horizon
    for staff in instance.staff:
        e = staff.id
        on = [days.get((e, d), []) for d in range(horizon)]
        worked = [bool(s) for s in on]
        for d, shifts in enumerate(on):
            if len(shifts) > 1:
                bad(f"one shift a day: {e} works {len(shifts)} shifts on day {d}")
            if shifts and d in instance.days_off.get(e, frozenset()):
                bad(f"days off: {e} works on day {d}, a day off")
            if d + 1 < horizon:
                for s in shifts:
                    for t in on[d + 1]:
                        if (s, t) in forbidden:
                            bad(f"shift rotation: {e} works {t} on day {d + 1} after {s} on day {d}")
        for s in instance.shift_ids:
            count = sum(shifts.count(s) for shifts in on)
            if count > staff.max_shifts.get(s, 0):
                bad(f"max shifts: {e} works {count} {s} shifts, at most {staff.max_shifts.get(s, 0)}")
        total = sum(minutes[s] for shifts in on for s in shifts)
        if total > staff.max_total_minutes:
            bad(f"max total minutes: {e} works {total}, at most {staff.max_total_minutes}")
        if total < staff.min_total_minutes:
            bad(f"min total minutes: {e} works {total}, at least {staff.min_total_minutes}")
        for start, length in _runs(worked, True):
            span = f"days {start}-{start + length - 1}"
            if length > staff.max_consecutive_shifts:
                bad(f"max consecutive shifts: {e} works {span}, at most {staff.max_consecutive_shifts} in a row")
            inside = start > 0 and start + length < horizon
            if inside and length < staff.min_consecutive_shifts:
                bad(f"min consecutive shifts: {e} works {span}, at least {staff.min_consecutive_shifts} in a row")
        for start, length in _runs(worked, False):
            span = f"days {start}-{start + length - 1}"
            inside = start > 0 and start + length < horizon
            if inside and length < staff.min_consecutive_days_off:
                bad(f"min consecutive days off: {e} is off {span}, at least {staff.min_consecutive_days_off} in a row")
        weekends = sum(
            1 for w in range(horizon // 7 + 1) if any(worked[d] for d in (7 * w + 5, 7 * w + 6) if d < horizon)
        )
        if weekends > staff.max_weekends:
            bad(f"max weekends: {e} works {weekends} weekends, at most {staff.max_weekends}")
    for request in instance.on_requests:
        if request.shift not in days.get((request.employee, request.day), []):
            result.parts["shift_on_requests"] += request.weight
    for request in instance.off_requests:
        if request.shift in days.get((request.employee, request.day), []):
            result.parts["shift_off_requests"] += request.weight
    for cover in instance.cover:
        staffed = sum(days.get((e, cover.day), []).count(cover.shift) for e in instance.staff_ids)
        under, over = max(cover.requirement - staffed, 0), max(staffed - cover.requirement, 0)
        result.parts["cover"] += under * cover.weight_under + over * cover.weight_over
    result.objective = sum(result.parts.values())
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--instance", type=Path, required=True, help="the instance file (Instance1.txt ...)")
    parser.add_argument("--solution", type=Path, required=True, help="the solution CSV: employee,day,shift")
    args = parser.parse_args(argv)
    try:
        instance = read_instance(args.instance)
        result = score(instance, read_solution(args.solution, instance))
    except FormatError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    print(f"objective {result.objective} ({', '.join(f'{k} {v}' for k, v in result.parts.items())})")
    print(f"hard violations: {len(result.violations)}")
    for violation in result.violations:
        print(f"  {violation}")
    return 1 if result.violations else 0


if __name__ == "__main__":
    sys.exit(main())

"""The instance format of the Curtois & Qu employee shift scheduling benchmark (schedulingbenchmarks.org), read
strictly into a frozen `Instance`.

A file is a list of sections, each opened by a ``SECTION_*`` line; ``#`` starts a comment line, blank lines are
skipped, fields are separated by commas:

- ``SECTION_HORIZON``: one line, the number of days (day 0 is a Monday).
- ``SECTION_SHIFTS``: ``id, minutes, ids of the shifts that cannot follow it ('|'-separated, may be empty)``.
- ``SECTION_STAFF``: ``id, max shifts per type ('id=n|...'), max total minutes, min total minutes,
  max consecutive shifts, min consecutive shifts, min consecutive days off, max weekends``.
- ``SECTION_DAYS_OFF``: ``employee, day, day, ...`` (days the employee must not work).
- ``SECTION_SHIFT_ON_REQUESTS`` / ``SECTION_SHIFT_OFF_REQUESTS``: ``employee, day, shift, weight``.
- ``SECTION_COVER``: ``day, shift, requirement, weight for under, weight for over``.

Any line that does not fit raises `FormatError`, naming the file, the line, the field and what to change.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["Cover", "FormatError", "Instance", "Request", "Shift", "Staff", "read_instance"]

SECTIONS = (
    "SECTION_HORIZON",
    "SECTION_SHIFTS",
    "SECTION_STAFF",
    "SECTION_DAYS_OFF",
    "SECTION_SHIFT_ON_REQUESTS",
    "SECTION_SHIFT_OFF_REQUESTS",
    "SECTION_COVER",
)


class FormatError(ValueError):
    """A benchmark file (instance or solution) that cannot be read; the message says where and what to change."""


@dataclass(frozen=True)
class Shift:
    id: str
    minutes: int
    cannot_follow: tuple[str, ...]  # shifts that may not be worked the day after this one


@dataclass(frozen=True)
class Staff:
    id: str
    max_shifts: dict[str, int]  # per shift type; a type not listed may not be worked
    max_total_minutes: int
    min_total_minutes: int
    max_consecutive_shifts: int
    min_consecutive_shifts: int
    min_consecutive_days_off: int
    max_weekends: int


@dataclass(frozen=True)
class Request:
    employee: str
    day: int
    shift: str
    weight: int


@dataclass(frozen=True)
class Cover:
    day: int
    shift: str
    requirement: int
    weight_under: int
    weight_over: int


@dataclass(frozen=True)
class Instance:
    name: str
    horizon: int
    shifts: tuple[Shift, ...]
    staff: tuple[Staff, ...]
    days_off: dict[str, frozenset[int]] = field(default_factory=dict)
    on_requests: tuple[Request, ...] = ()
    off_requests: tuple[Request, ...] = ()
    cover: tuple[Cover, ...] = ()

    @property
    def shift_ids(self) -> list[str]:
        return [s.id for s in self.shifts]

    @property
    def staff_ids(self) -> list[str]:
        return [e.id for e in self.staff]


class _Line:
    """One data line: its fields and where it came from, for the error messages."""

    def __init__(self, path: Path, number: int, section: str, text: str) -> None:
        self.path, self.number, self.section = path, number, section
        self.fields = [f.strip() for f in text.split(",")]

    def fail(self, what: str, fix: str) -> FormatError:
        return FormatError(f"{self.path}, line {self.number} ({self.section}): {what}; {fix}")

    def expect(self, count: int, names: str) -> None:
        if len(self.fields) != count:
            raise self.fail(f"{len(self.fields)} fields, expected {count}", f"write the line as '{names}'")

    def integer(self, index: int, name: str, minimum: int = 0) -> int:
        text = self.fields[index]
        try:
            value = int(text)
        except ValueError:
            raise self.fail(
                f"field {index + 1} ({name}) is {text!r}, not an integer", f"write {name} as a whole number"
            ) from None
        if value < minimum:
            raise self.fail(f"field {index + 1} ({name}) is {value}", f"write {name} as an integer >= {minimum}")
        return value


def _sections(path: Path) -> dict[str, list[_Line]]:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise FormatError(f"{path}: cannot be read ({error}); give the path of a benchmark instance file") from error
    lines: dict[str, list[_Line]] = {}
    section = ""
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("SECTION_"):
            if line not in SECTIONS:
                raise FormatError(f"{path}, line {number}: unknown section {line!r}; use one of {', '.join(SECTIONS)}")
            if line in lines:
                raise FormatError(f"{path}, line {number}: section {line} appears twice; merge its lines into one")
            section = line
            lines[section] = []
            continue
        if not section:
            raise FormatError(f"{path}, line {number}: data before any section; start the file with SECTION_HORIZON")
        lines[section].append(_Line(path, number, section, line))
    for required in SECTIONS[:3]:
        if required not in lines:
            raise FormatError(f"{path}: no {required} section; add it (see the format in benchmarks/curtois_format.py)")
    return lines


def _horizon(path: Path, lines: list[_Line]) -> int:
    if len(lines) != 1:
        raise FormatError(f"{path}: SECTION_HORIZON has {len(lines)} data lines; give exactly one, the number of days")
    lines[0].expect(1, "days")
    return lines[0].integer(0, "days", minimum=1)


def _shifts(lines: list[_Line]) -> tuple[Shift, ...]:
    shifts: list[Shift] = []
    for line in lines:
        line.expect(3, "id, minutes, shifts that cannot follow ('|'-separated)")
        if not line.fields[0]:
            raise line.fail("field 1 (shift id) is empty", "give the shift an id")
        if any(s.id == line.fields[0] for s in shifts):
            raise line.fail(f"shift {line.fields[0]!r} is defined twice", "keep one line per shift")
        minutes = line.integer(1, "minutes", minimum=1)
        follow = tuple(f.strip() for f in line.fields[2].split("|") if f.strip())
        shifts.append(Shift(line.fields[0], minutes, follow))
    ids = {s.id for s in shifts}
    for shift, line in zip(shifts, lines, strict=True):
        for other in shift.cannot_follow:
            if other not in ids:
                raise line.fail(
                    f"field 3 names unknown shift {other!r}",
                    f"use the ids of SECTION_SHIFTS ({', '.join(sorted(ids))})",
                )
    return tuple(shifts)


def _staff(lines: list[_Line], shift_ids: set[str]) -> tuple[Staff, ...]:
    staff: list[Staff] = []
    names = (
        "id, max shifts (id=n|...), max total minutes, min total minutes, max consecutive, min consecutive, "
        "min days off, max weekends"
    )
    for line in lines:
        line.expect(8, names)
        if not line.fields[0]:
            raise line.fail("field 1 (employee id) is empty", "give the employee an id")
        if any(e.id == line.fields[0] for e in staff):
            raise line.fail(f"employee {line.fields[0]!r} is defined twice", "keep one line per employee")
        max_shifts: dict[str, int] = {}
        for part in line.fields[1].split("|"):
            shift, sep, count = part.partition("=")
            shift = shift.strip()
            if not sep or shift not in shift_ids:
                raise line.fail(
                    f"field 2 (max shifts) has {part!r}",
                    f"write 'id=n' for shifts of SECTION_SHIFTS ({', '.join(sorted(shift_ids))})",
                )
            try:
                max_shifts[shift] = int(count)
            except ValueError:
                raise line.fail(
                    f"field 2 (max shifts) has {part!r}, whose count is not an integer", "write 'id=n' with a whole n"
                ) from None
            if max_shifts[shift] < 0:
                raise line.fail(f"field 2 (max shifts) has {part!r}", "write a count >= 0")
        values = [line.integer(i, n) for i, n in enumerate(names.split(", ")[2:], start=2)]
        staff.append(Staff(line.fields[0], max_shifts, *values))
    return tuple(staff)


def _day(line: _Line, index: int, horizon: int) -> int:
    day = line.integer(index, "day")
    if day >= horizon:
        raise line.fail(
            f"field {index + 1} (day) is {day}, outside the horizon of {horizon} days", f"use days 0 to {horizon - 1}"
        )
    return day


def _employee(line: _Line, employees: set[str]) -> str:
    if line.fields[0] not in employees:
        raise line.fail(f"field 1 (employee) is unknown {line.fields[0]!r}", "use an id of SECTION_STAFF")
    return line.fields[0]


def _shift(line: _Line, index: int, shift_ids: set[str]) -> str:
    if line.fields[index] not in shift_ids:
        raise line.fail(
            f"field {index + 1} (shift) is unknown {line.fields[index]!r}",
            f"use an id of SECTION_SHIFTS ({', '.join(sorted(shift_ids))})",
        )
    return line.fields[index]


def _requests(lines: list[_Line], horizon: int, employees: set[str], shift_ids: set[str]) -> tuple[Request, ...]:
    requests = []
    for line in lines:
        line.expect(4, "employee, day, shift, weight")
        requests.append(
            Request(
                _employee(line, employees),
                _day(line, 1, horizon),
                _shift(line, 2, shift_ids),
                line.integer(3, "weight"),
            )
        )
    return tuple(requests)


def read_instance(path: Path) -> Instance:
    """Read one instance file; raise `FormatError` naming the file, line and field of anything malformed."""
    path = Path(path)
    lines = _sections(path)
    horizon = _horizon(path, lines["SECTION_HORIZON"])
    shifts = _shifts(lines["SECTION_SHIFTS"])
    shift_ids = {s.id for s in shifts}
    staff = _staff(lines["SECTION_STAFF"], shift_ids)
    employees = {e.id for e in staff}
    days_off: dict[str, set[int]] = {}
    for line in lines.get("SECTION_DAYS_OFF", []):
        if len(line.fields) < 2:
            raise line.fail(f"{len(line.fields)} field", "write the line as 'employee, day, day, ...'")
        employee = _employee(line, employees)
        days_off.setdefault(employee, set()).update(_day(line, i, horizon) for i in range(1, len(line.fields)))
    cover: list[Cover] = []
    seen: set[tuple[int, str]] = set()
    for line in lines.get("SECTION_COVER", []):
        line.expect(5, "day, shift, requirement, weight for under, weight for over")
        item = Cover(
            _day(line, 0, horizon),
            _shift(line, 1, shift_ids),
            line.integer(2, "requirement"),
            line.integer(3, "weight for under"),
            line.integer(4, "weight for over"),
        )
        if (item.day, item.shift) in seen:
            raise line.fail(
                f"cover of day {item.day}, shift {item.shift} is given twice", "keep one line per day and shift"
            )
        seen.add((item.day, item.shift))
        cover.append(item)
    return Instance(
        name=path.stem,
        horizon=horizon,
        shifts=shifts,
        staff=staff,
        days_off={e: frozenset(d) for e, d in days_off.items()},
        on_requests=_requests(lines.get("SECTION_SHIFT_ON_REQUESTS", []), horizon, employees, shift_ids),
        off_requests=_requests(lines.get("SECTION_SHIFT_OFF_REQUESTS", []), horizon, employees, shift_ids),
        cover=tuple(cover),
    )

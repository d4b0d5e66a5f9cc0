"""Special days: public holidays from the `holidays` package, their eves and bridge days, and the centre's own
listed days.

A special day is one that does not behave like the same weekday usually does. History on special days is
kept out of what the models learn about normal days; models forecast normal days only, and the centre's
calendar adjusts their forecast afterwards, whichever model it is (`forecasting.adjust.DayAdjustment`): on
future special days a multiplier is applied, the user's expected multiplier where one is listed, otherwise one
learned from past special days of the same family (`SeriesCalendar.families`). A day the centre is closed takes
no realtime contacts (and deferred work arriving then waits for the next opening:
`forecasting.adjust.apply_opening_hours`).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import lru_cache

import holidays
import numpy as np

from models import Center, InputError, Problem, SpecialDay

__all__ = ["SeriesCalendar", "SpecialCalendar", "holiday_family"]


@lru_cache(maxsize=64)
def _public_holidays(country: str, subdivision: str | None, years: tuple[int, ...]) -> dict[date, str]:
    calendar = holidays.country_holidays(country, subdiv=subdivision, years=years)
    return dict(calendar.items())


@lru_cache(maxsize=64)
def _weekend(country: str, subdivision: str | None) -> frozenset[int]:
    return frozenset(holidays.country_holidays(country, subdiv=subdivision).weekend)


@lru_cache(maxsize=64)
def _around_holidays(country: str, subdivision: str | None, years: tuple[int, ...]) -> dict[date, str]:
    """`SpecialCalendar.around_holidays` for every day of `years` but the last (held for the eves of its first
    days), computed once per country and span: the calendar is asked for it at every fit and forecast."""
    public = _public_holidays(country, subdivision, years)
    weekend = _weekend(country, subdivision)

    def off(d: date) -> bool:
        return d in public or d.weekday() in weekend

    out = {}
    day, end = date(years[0], 1, 1), date(years[-1], 1, 1)
    while day < end:
        after, before = day + timedelta(days=1), day - timedelta(days=1)
        if day in public:
            pass
        elif after in public:
            out[day] = f"eve:{holiday_family(public[after])}"
        elif day.weekday() not in weekend and off(before) and off(after) and (before in public or after in public):
            out[day] = "bridge"
        day = after
    return out


def holiday_family(name: str) -> str:
    """The family of a public holiday: its name without the package's qualifiers, so that the same holiday in
    different years, and its observed day, share what is learned about them."""
    for qualifier in ("(observed)", "(estimated)", "(in lieu)"):
        name = name.replace(qualifier, "")
    return " ".join(name.split()).lower()


@dataclass(frozen=True)
class SpecialCalendar:
    """The special days of a centre: public holidays of `country` (optional) and listed `days`."""

    country: str | None = None
    subdivision: str | None = None
    days: tuple[SpecialDay, ...] = ()
    realtime_work_types: frozenset[str] = field(default_factory=frozenset)

    def __post_init__(self) -> None:
        if self.country is not None:
            try:
                _public_holidays(self.country.upper(), self.subdivision, (2000,))
            except NotImplementedError:
                raise InputError(
                    "--country",
                    Problem(
                        "",
                        f"'{self.country}' (subdivision {self.subdivision!r}) is not a holiday calendar the "
                        "holidays package knows",
                        "use an ISO 3166 code such as GB, US or IL (and a valid subdivision, if any)",
                    ),
                ) from None

    @classmethod
    def of_center(cls, center: Center) -> SpecialCalendar:
        return cls(
            country=center.country,
            subdivision=center.subdivision,
            days=tuple(center.special_days),
            realtime_work_types=frozenset(w.id for w in center.work_types if w.mode == "realtime"),
        )

    def public_holidays(self, dates: Sequence[date]) -> dict[date, str]:
        if self.country is None or not dates:
            return {}
        years = tuple(range(min(dates).year, max(dates).year + 2))  # the next year too: the eve of 1 January
        return _public_holidays(self.country.upper(), self.subdivision, years)

    def weekend(self) -> frozenset[int]:
        """The country's weekend days (Monday = 0); none without a country."""
        return _weekend(self.country.upper(), self.subdivision) if self.country is not None else frozenset()

    def around_holidays(self, dates: Sequence[date]) -> dict[date, str]:
        """The days around public holidays that do not behave like their weekday either, by family:
        ``eve:<holiday>`` the day before a holiday, and ``bridge`` a working day between a holiday and the
        weekend (or another holiday), which many take off. Holidays themselves are not included."""
        if self.country is None or not dates:
            return {}
        years = tuple(range(min(dates).year, max(dates).year + 2))  # as `public_holidays`
        around = _around_holidays(self.country.upper(), self.subdivision, years)
        return {d: around[d] for d in dates if d in around}

    def for_work_type(self, work_type: str | None) -> SeriesCalendar:
        """The calendar as one series sees it (`None`: a total over all work types)."""
        return SeriesCalendar(self, work_type)


@dataclass(frozen=True)
class SeriesCalendar:
    """Special days as seen by one work type's series."""

    calendar: SpecialCalendar
    work_type: str | None

    def _listed(self, day: date) -> list[SpecialDay]:
        return [
            s for s in self.calendar.days if s.date == day and (self.work_type is None or s.applies_to(self.work_type))
        ]

    def is_special(self, dates: Sequence[date]) -> np.ndarray:
        public = self.calendar.public_holidays(dates)
        around = self.calendar.around_holidays(dates)
        return np.array([d in public or d in around or bool(self._listed(d)) for d in dates], dtype=bool)

    def families(self, dates: Sequence[date]) -> list[str | None]:
        """The family each date's effect is learned with, for special days of unknown effect (None otherwise):
        ``listed:<name>`` for a listed day without a multiplier, ``holiday:<name>`` for a public holiday (the
        same holiday in every year), ``eve:<holiday>`` and ``bridge`` for the days around them. The part before
        the colon is the family's kind: a family never seen in the history borrows its kind's typical effect."""
        known = self.known_multiplier(dates)
        public = self.calendar.public_holidays(dates)
        around = self.calendar.around_holidays(dates)
        out: list[str | None] = []
        for day, multiplier in zip(dates, known, strict=True):
            listed = self._listed(day)
            if not np.isnan(multiplier):
                out.append(None)
            elif listed:
                out.append(f"listed:{listed[0].name.lower()}")
            elif day in public:
                out.append(f"holiday:{holiday_family(public[day])}")
            else:
                out.append(around.get(day))
        return out

    def known_multiplier(self, dates: Sequence[date]) -> np.ndarray:
        """The expected multiplier of each date: 1 on normal days, 0 for realtime work on a closed day, the listed
        value where one is given, NaN where it must be learned (public holidays, unlisted effects)."""
        public = self.calendar.public_holidays(dates)
        around = self.calendar.around_holidays(dates)
        realtime = self.work_type is not None and self.work_type in self.calendar.realtime_work_types
        out = np.ones(len(dates))
        for i, day in enumerate(dates):
            listed = self._listed(day)
            known = [s.volume_multiplier for s in listed if s.volume_multiplier is not None]
            if any(s.closed for s in listed) and realtime:
                out[i] = 0.0
            elif known:
                out[i] = float(np.prod(known))
            elif listed or day in public or day in around:
                out[i] = np.nan
        return out

    def names(self, dates: Iterable[date]) -> dict[date, str]:
        dates = list(dates)
        public = self.calendar.public_holidays(dates)
        found = {d: public[d] for d in dates if d in public}
        for d, family in self.calendar.around_holidays(dates).items():
            kind, _, holiday = family.partition(":")
            found[d] = f"eve of {holiday}" if kind == "eve" else "bridge day"
        for d in dates:
            for s in self._listed(d):
                found[d] = s.name
        return found

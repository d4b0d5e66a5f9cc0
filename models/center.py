"""The whole configuration of a contact centre, with its cross-reference checks."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import date
from functools import cached_property, lru_cache
from typing import Protocol

import numpy as np
import pandas as pd
from pydantic import Field, field_validator, model_validator

from models.base import FrozenModel, Identifier, TimeZoneName
from models.calendar import SpecialDay, WeeklyWindow, overlapping_windows
from models.errors import ConfigError, InputError, Problem
from models.horizon import INTERVAL_MINUTES_CHOICES, Horizon
from models.service import CustomerTier, Skill, WorkType
from models.workforce import (
    DEFAULT_LATE_SHIFT,
    DEFAULT_WEEKEND_DAYS,
    Agent,
    Contract,
    LateShift,
    ShiftTemplate,
    WeekendDays,
)

__all__ = ["Center"]

_NS_PER_MINUTE = 60 * 10**9


class _HasId(Protocol):
    @property
    def id(self) -> str: ...


@lru_cache(maxsize=1)
def _supported_countries() -> frozenset[str]:
    import holidays

    return frozenset(holidays.list_supported_countries())


class Center(FrozenModel):
    """A contact centre: what it serves, who works there, under which rules, and its calendar.

    Construction checks every cross-reference (an agent's skill exists, every work type has someone who can
    serve it, a contract's minimum is reachable with its templates, ...) and raises one `ConfigError` listing
    all problems, each with its path (``agents[3].skills[0]``) and the fix. `lint()` lists what is suspicious
    but usable.
    """

    name: str = Field(min_length=1)
    timezone: TimeZoneName
    country: str | None = None
    subdivision: str | None = None
    interval_minutes: int = 15
    shrinkage: float = Field(default=0.0, ge=0, lt=1)
    opening_hours: list[WeeklyWindow] = Field(default_factory=list)
    #: The days of the weekend (max_working_weekends, fair_weekends); a contract may set its own.
    weekend_days: WeekendDays = Field(default_factory=lambda: list(DEFAULT_WEEKEND_DAYS))
    #: What counts as a late shift (fair_late_shifts); a contract may set its own.
    late_shift: LateShift = DEFAULT_LATE_SHIFT
    customer_tiers: list[CustomerTier] = Field(default_factory=list)
    regions: list[Identifier] = Field(default_factory=list)
    skills: list[Skill] = Field(min_length=1)
    work_types: list[WorkType] = Field(min_length=1)
    contracts: list[Contract] = Field(min_length=1)
    shift_templates: list[ShiftTemplate] = Field(min_length=1)
    agents: list[Agent] = Field(min_length=1)
    special_days: list[SpecialDay] = Field(default_factory=list)

    @field_validator("interval_minutes")
    @classmethod
    def _interval(cls, value: int) -> int:
        if value not in INTERVAL_MINUTES_CHOICES:
            raise ValueError(
                f"interval_minutes {value} does not divide an hour; use one of "
                f"{', '.join(map(str, INTERVAL_MINUTES_CHOICES))}"
            )
        return value

    @field_validator("country")
    @classmethod
    def _country(cls, value: str | None) -> str | None:
        if value is not None and value.upper() not in _supported_countries():
            raise ValueError(
                f"'{value}' is not a country the holidays calendar knows; use an ISO 3166 code such as 'GB' or 'US'"
            )
        return None if value is None else value.upper()

    @model_validator(mode="after")
    def _cross_references(self) -> Center:
        ConfigError.collect("center", self._reference_problems())
        return self

    # -- look-ups ---------------------------------------------------------------------------------------------

    @cached_property
    def work_types_by_id(self) -> dict[str, WorkType]:
        return {w.id: w for w in self.work_types}

    @cached_property
    def agents_by_id(self) -> dict[str, Agent]:
        return {a.id: a for a in self.agents}

    @cached_property
    def contracts_by_id(self) -> dict[str, Contract]:
        return {c.id: c for c in self.contracts}

    @cached_property
    def templates_by_id(self) -> dict[str, ShiftTemplate]:
        return {t.id: t for t in self.shift_templates}

    def work_type(self, work_type_id: str) -> WorkType:
        try:
            return self.work_types_by_id[work_type_id]
        except KeyError:
            raise KeyError(f"work type '{work_type_id}' is not in centre '{self.name}'") from None

    def agent(self, agent_id: str) -> Agent:
        try:
            return self.agents_by_id[agent_id]
        except KeyError:
            raise KeyError(f"agent '{agent_id}' is not in centre '{self.name}'") from None

    def contract_of(self, agent: Agent) -> Contract:
        return self.contracts_by_id[agent.contract]

    def weekend_days_of(self, contract: Contract) -> tuple[int, ...]:
        """The weekend of `contract`'s agents: the contract's own, else the centre's (weekdays, Monday = 0)."""
        return tuple(self.weekend_days if contract.weekend_days is None else contract.weekend_days)

    def late_shift_of(self, contract: Contract) -> LateShift:
        """What counts as a late shift for `contract`'s agents: the contract's definition, else the centre's."""
        return self.late_shift if contract.late_shift is None else contract.late_shift

    def templates_of(self, agent: Agent) -> list[ShiftTemplate]:
        return [self.templates_by_id[t] for t in self.contract_of(agent).shift_templates]

    def opening_windows(self, work_type_id: str) -> list[WeeklyWindow]:
        """When `work_type_id` is worked: its own opening hours, else the centre's (empty: always)."""
        return self.work_type(work_type_id).opening_hours or self.opening_hours

    def closed_dates(self, work_type_id: str) -> frozenset[date]:
        """The special days listed ``closed`` for `work_type_id` (those naming no work type close every one)."""
        return frozenset(s.date for s in self.special_days if s.closed and s.applies_to(work_type_id))

    def is_open(self, work_type_id: str, starts: pd.DatetimeIndex, *, closed_days: bool = True) -> np.ndarray:
        """Whether `work_type_id` can be worked at each instant of `starts` (tz-aware): inside its opening hours
        (`opening_windows`, in local time; none given: always) and not on a local date listed ``closed`` for it
        (`closed_dates`). The one definition of "open" for the forecast, the requirement, the roster, its
        validator and the simulation. `closed_days=False`: the opening hours alone, as on a normal such weekday
        (the roster's days an agent would otherwise work, which a closed day is credited on)."""
        windows = self.opening_windows(work_type_id)
        closed = self.closed_dates(work_type_id) if closed_days else frozenset()
        if not (windows or closed) or not len(starts):
            return np.ones(len(starts), dtype=bool)
        wall = starts.tz_convert(self.timezone).tz_localize(None)
        mask = np.ones(len(starts), dtype=bool)
        if windows:
            weekday = wall.day_of_week.to_numpy()
            minute = (wall.hour * 60 + wall.minute).to_numpy()
            mask[:] = False
            for w in windows:
                mask |= (weekday == w.weekday) & (minute >= w.start_minute) & (minute < w.end_minute)
        if closed:
            mask &= ~wall.normalize().isin(pd.DatetimeIndex([pd.Timestamp(d) for d in closed]))
        return mask

    def horizon(self, start_date: date, days: int = 7) -> Horizon:
        """A planning horizon in this centre's zone and interval."""
        return Horizon(start_date=start_date, days=days, interval_minutes=self.interval_minutes, timezone=self.timezone)

    def require_work_types(self, work_types: pd.Series, source: str, fix: str) -> None:
        """Raise an InputError naming the values of a table's `work_type` column that are not this centre's."""
        unknown = sorted(set(work_types.unique()) - set(self.work_types_by_id))
        if unknown:
            raise InputError(
                source,
                Problem("column 'work_type'", f"{', '.join(map(str, unknown))} are not work types of the centre", fix),
            )

    def horizon_covering(self, starts: pd.Series | pd.DatetimeIndex, source: str = "requirement") -> Horizon:
        """The horizon of a table of intervals (a requirement): the local days from its first interval to its last,
        cut into its own interval (the greatest common step; this centre's where there is a single interval)."""
        index = pd.DatetimeIndex(starts).as_unit("ns")
        steps = np.diff(np.unique(index.asi8))
        minutes = self.interval_minutes
        if steps.size:
            step = int(np.gcd.reduce(steps))
            minutes = step // _NS_PER_MINUTE
            if step % _NS_PER_MINUTE or minutes not in INTERVAL_MINUTES_CHOICES:
                raise ConfigError(
                    source,
                    Problem(
                        "column 'interval_start'",
                        f"the intervals are {step / _NS_PER_MINUTE:g} min apart, which does not divide an hour",
                        "give a table on a grid of 1, 2, 3, 4, 5, 6, 10, 12, 15, 20, 30 or 60 minutes",
                    ),
                )
        return Horizon.covering(index, self.timezone, minutes)

    # -- checks -----------------------------------------------------------------------------------------------

    def _reference_problems(self) -> Iterator[Problem]:
        for field, items in (
            ("skills", self.skills),
            ("customer_tiers", self.customer_tiers),
            ("work_types", self.work_types),
            ("contracts", self.contracts),
            ("shift_templates", self.shift_templates),
            ("agents", self.agents),
        ):
            yield from _duplicate_ids(field, items)
        for i, j in overlapping_windows(self.opening_hours):
            yield Problem(
                f"opening_hours[{j}]",
                f"{self.opening_hours[j].describe()} overlaps opening_hours[{i}] ({self.opening_hours[i].describe()})",
                "merge them into one window",
            )
        if len(set(self.regions)) != len(self.regions):
            yield Problem("regions", f"{self.regions} lists a region twice", "list each region once")

        skills = {s.id for s in self.skills}
        tiers = {t.id for t in self.customer_tiers}
        templates = {t.id for t in self.shift_templates}
        contracts = {c.id: c for c in self.contracts}
        work_types = {w.id for w in self.work_types}
        skill_list = ", ".join(sorted(skills))

        for i, work_type in enumerate(self.work_types):
            if work_type.skill not in skills:
                yield Problem(
                    f"work_types[{i}].skill",
                    f"work type '{work_type.id}' requires skill '{work_type.skill}', which is not defined",
                    f"add it under skills or use one of: {skill_list}",
                )
            for tier in work_type.target.tier_within_s:
                if tier not in tiers:
                    yield Problem(
                        f"work_types[{i}].target.tier_within_s.{tier}",
                        f"customer tier '{tier}' is not defined",
                        "add it under customer_tiers or remove the override",
                    )

        for i, contract in enumerate(self.contracts):
            known = [t for t in contract.shift_templates if t in templates]
            for j, template_id in enumerate(contract.shift_templates):
                if template_id not in templates:
                    yield Problem(
                        f"contracts[{i}].shift_templates[{j}]",
                        f"contract '{contract.id}' allows shift template '{template_id}', which is not defined",
                        f"add it under shift_templates or use one of: {', '.join(sorted(templates))}",
                    )
            if known:
                longest = max(self.templates_by_id[t].max_paid_minutes() for t in known)
                reachable = contract.max_working_days * longest
                if reachable < contract.min_paid_minutes_week:
                    yield Problem(
                        f"contracts[{i}].min_paid_minutes_week",
                        f"contract '{contract.id}' needs at least {contract.min_paid_minutes_week} paid min a week, "
                        f"but {contract.max_working_days} days of its longest shift ({longest} paid min) give only "
                        f"{reachable}",
                        "lower the minimum, allow more working days or allow a longer shift template",
                    )

        for i, agent in enumerate(self.agents):
            if agent.contract not in contracts:
                yield Problem(
                    f"agents[{i}].contract",
                    f"agent '{agent.id}' has contract '{agent.contract}', which is not defined",
                    f"add it under contracts or use one of: {', '.join(sorted(contracts))}",
                )
            for j, agent_skill in enumerate(agent.skills):
                if agent_skill.skill not in skills:
                    yield Problem(
                        f"agents[{i}].skills[{j}]",
                        f"agent '{agent.id}' has skill '{agent_skill.skill}', which is not defined",
                        f"add it under skills or use one of: {skill_list}",
                    )
            if agent.region is not None and agent.region not in self.regions:
                yield Problem(
                    f"agents[{i}].region",
                    f"agent '{agent.id}' is in region '{agent.region}', which is not listed under regions",
                    "add it to regions or fix the agent's region",
                )

        served = {s.skill for a in self.agents for s in a.skills}
        for i, work_type in enumerate(self.work_types):
            if work_type.skill in skills and work_type.skill not in served:
                yield Problem(
                    f"work_types[{i}]",
                    f"no agent can serve work type '{work_type.id}': nobody has skill '{work_type.skill}'",
                    "give the skill to at least one agent or remove the work type",
                )

        seen_days: dict[tuple[date, str], int] = {}
        for i, special in enumerate(self.special_days):
            for j, work_type_id in enumerate(special.work_types):
                if work_type_id not in work_types:
                    yield Problem(
                        f"special_days[{i}].work_types[{j}]",
                        f"work type '{work_type_id}' is not defined",
                        "use the id of one of the centre's work types",
                    )
            for key in special.work_types or ["*"]:
                if (special.date, key) in seen_days:
                    yield Problem(
                        f"special_days[{i}]",
                        f"{special.date} is already listed as special_days[{seen_days[(special.date, key)]}] "
                        "for the same work types",
                        "merge the two entries",
                    )
                seen_days.setdefault((special.date, key), i)

    def lint(self) -> list[Problem]:
        """Things that are allowed but probably not meant: unused skills, contracts and templates."""
        required = {w.skill for w in self.work_types}
        used_contracts = {a.contract for a in self.agents}
        used_templates = {t for c in self.contracts for t in c.shift_templates}
        findings = [
            Problem(
                f"agents[{i}].skills[{j}]",
                f"agent '{agent.id}' has skill '{s.skill}' that no work type requires",
                "remove it or add a work type that needs it",
            )
            for i, agent in enumerate(self.agents)
            for j, s in enumerate(agent.skills)
            if s.skill not in required
        ]
        findings += [
            Problem(f"contracts[{i}]", f"no agent has contract '{c.id}'", "remove it or assign it to an agent")
            for i, c in enumerate(self.contracts)
            if c.id not in used_contracts
        ]
        findings += [
            Problem(f"shift_templates[{i}]", f"no contract allows template '{t.id}'", "remove it or allow it")
            for i, t in enumerate(self.shift_templates)
            if t.id not in used_templates
        ]
        return findings


def _duplicate_ids(field: str, items: Sequence[_HasId]) -> Iterator[Problem]:
    first: dict[str, int] = {}
    for i, item in enumerate(items):
        if item.id in first:
            yield Problem(
                f"{field}[{i}].id",
                f"duplicate id '{item.id}' (also {field}[{first[item.id]}])",
                "give every entry its own id",
            )
        first.setdefault(item.id, i)

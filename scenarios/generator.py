"""A deterministic generator of a realistic contact centre and its ticket history.

Everything random comes from one `numpy.random.Generator` seeded by the settings; nothing is seeded globally,
so the same settings always give the same centre and byte-identical files. The team and the history draw from
separate streams, so a longer history does not change the team.

Arrivals per interval and work type are a product of
- the channel's intraday shape (peaks on a floor) inside the work type's opening hours (realtime channels
  take no contacts while closed; e-mail and tickets arrive around the clock),
- a weekday factor, public holidays from the `holidays` calendar and the centre's listed special days,
- a yearly growth trend,
- gamma noise per day and per interval (so counts are overdispersed, not plain Poisson: a work type's daily
  volume varies by about 17% around its expectation, day noise plus the interval noise that survives the
  day's sum),
then Poisson sampling. Handle times are lognormal with the work type's mean and spread. Volumes are scaled to
the team: the expected weekly workload is a fixed share of the team's productive contracted hours.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any, Literal

import holidays
import numpy as np
import pandas as pd

from models import INTERVAL_HISTORY, TICKET_HISTORY, Center, Horizon, dump_center
from models.io import table_writer, text_writer, write_files
from scenarios.catalogue import (
    CHANNEL_SHAPES,
    CONTRACTS,
    LANGUAGE_SHARE,
    LANGUAGE_VARIANTS,
    SIZES,
    SKILL_PROFILES,
    TIERS,
    WORK_TYPES,
    WorkTypeSpec,
)

__all__ = ["GeneratorSettings", "Scenario", "generate", "write_scenario"]

DEFAULT_SEED = 0
DEFAULT_SIZE = "M"
#: The Monday of the week to plan: a week with the spring DST change (Sunday 29 March 2026 in the UK).
DEFAULT_PLAN_START = date(2026, 3, 23)
DEFAULT_HISTORY_WEEKS = 26
DEFAULT_TIMEZONE = "Europe/London"
COUNTRY, SUBDIVISION = "GB", "ENG"
ANNUAL_GROWTH = 0.08
#: Gamma shape of the day-level noise (coefficient of variation 1/sqrt(shape), about 16%).
DAY_DISPERSION = 40.0
#: Gamma shape of the interval-level noise (about 18%).
INTERVAL_DISPERSION = 30.0
SHRINKAGE = 0.25
#: Share of productive (after shrinkage) contracted time that the generated demand keeps busy.
PLANNED_OCCUPANCY = 0.72
GENERATION_INTERVAL_MINUTES = 15
REGION_WEIGHTS = (1.0, 0.8, 0.6, 0.5)
BILINGUAL_SHARE = 0.15

HistoryShape = Literal["tickets", "intervals"]


@dataclass(frozen=True)
class GeneratorSettings:
    """What to generate. `plan_start` is the Monday after the history ends."""

    size: str = DEFAULT_SIZE
    seed: int = DEFAULT_SEED
    history_weeks: int = DEFAULT_HISTORY_WEEKS
    plan_start: date = DEFAULT_PLAN_START
    timezone: str = DEFAULT_TIMEZONE
    annual_growth: float = ANNUAL_GROWTH
    day_dispersion: float = DAY_DISPERSION
    interval_dispersion: float = INTERVAL_DISPERSION
    history_shape: HistoryShape = "tickets"

    def __post_init__(self) -> None:
        if self.size not in SIZES:
            raise ValueError(f"size '{self.size}' is unknown; use one of {', '.join(SIZES)}")
        if self.plan_start.weekday() != 0:
            raise ValueError(f"plan_start {self.plan_start} is not a Monday")
        if not 1 <= self.history_weeks <= 520:
            raise ValueError(f"history_weeks {self.history_weeks} is outside 1..520")
        if self.day_dispersion <= 0 or self.interval_dispersion <= 0:
            raise ValueError("dispersion shapes must be positive")
        if self.history_shape not in ("tickets", "intervals"):
            raise ValueError(f"history_shape '{self.history_shape}' is unknown; use tickets or intervals")

    @property
    def history_start(self) -> date:
        return self.plan_start - timedelta(weeks=self.history_weeks)


@dataclass(frozen=True)
class Scenario:
    """A generated centre, its history, and the expected weekly volume per work type at the plan start."""

    settings: GeneratorSettings
    center: Center
    history: pd.DataFrame
    weekly_volume: dict[str, float]
    handle_time_cv: dict[str, float] = field(default_factory=dict)

    @property
    def history_shape(self) -> HistoryShape:
        return self.settings.history_shape


def generate(settings: GeneratorSettings | None = None) -> Scenario:
    """Generate a centre and its history from `settings` (deterministic in them)."""
    settings = settings or GeneratorSettings()
    team_seed, history_seed = np.random.SeedSequence(settings.seed).spawn(2)
    specs = _work_type_specs(settings.size)
    center = _build_center(settings, specs, np.random.default_rng(team_seed))
    weekly = _weekly_volumes(center, specs)
    history = _sample_history(center, specs, weekly, settings, np.random.default_rng(history_seed))
    return Scenario(
        settings=settings,
        center=center,
        history=history,
        weekly_volume=weekly,
        handle_time_cv={s.id: s.aht_cv for s in specs},
    )


def write_scenario(scenario: Scenario, out_dir: str | Path) -> list[Path]:
    """Write `center.yaml` and `history.csv` to `out_dir` (all or nothing)."""
    out = Path(out_dir)
    schema = TICKET_HISTORY if scenario.history_shape == "tickets" else INTERVAL_HISTORY
    text = dump_center(scenario.center)
    history_path = out / "history.csv"
    return write_files(
        {
            out / "center.yaml": text_writer(text),
            history_path: table_writer(scenario.history, schema, history_path),
        }
    )


# -- the centre -------------------------------------------------------------------------------------------------


def _work_type_specs(size: str) -> list[WorkTypeSpec]:
    """The catalogue's work types, plus language variants for the size, with workload shares summing to 1."""
    specs = list(WORK_TYPES)
    for language in SIZES[size].languages:
        for base_id in LANGUAGE_VARIANTS[language]:
            base = next(s for s in WORK_TYPES if s.id == base_id)
            specs.append(
                WorkTypeSpec(
                    **{
                        **base.__dict__,
                        "id": f"{base.id}_{language}",
                        "name": f"{base.name} ({language})",
                        "skill": f"{base.skill}_{language}",
                        "workload_share": base.workload_share * LANGUAGE_SHARE,
                    }
                )
            )
    total = sum(s.workload_share for s in specs)
    return [WorkTypeSpec(**{**s.__dict__, "workload_share": s.workload_share / total}) for s in specs]


def _quotas(weights: list[float], n: int) -> list[int]:
    """Split `n` in proportion to `weights` (largest remainder), so small teams still get every kind."""
    total = sum(weights)
    exact = [w / total * n for w in weights]
    counts = [math.floor(x) for x in exact]
    for i in sorted(range(len(weights)), key=lambda i: exact[i] - counts[i], reverse=True)[: n - sum(counts)]:
        counts[i] += 1
    return counts


def _hhmm(minute: int) -> str:
    return f"{minute // 60:02d}:{minute % 60:02d}"


def _build_center(settings: GeneratorSettings, specs: list[WorkTypeSpec], rng: np.random.Generator) -> Center:
    size = SIZES[settings.size]
    skills = sorted({s.skill for s in specs})
    languages = size.languages
    work_types = [_work_type_data(s) for s in specs]

    n = size.agents
    contract_of = np.repeat(np.arange(len(CONTRACTS)), _quotas([c.share for c in CONTRACTS], n))
    profile_of = np.repeat(np.arange(len(SKILL_PROFILES)), _quotas([p.weight for p in SKILL_PROFILES], n))
    rng.shuffle(contract_of)
    rng.shuffle(profile_of)
    region_weights = np.array(REGION_WEIGHTS[: len(size.regions)])
    region_of = rng.choice(len(size.regions), size=n, p=region_weights / region_weights.sum())

    agents: list[dict[str, Any]] = []
    for i in range(n):
        profile = SKILL_PROFILES[int(profile_of[i])]
        skill_ids = list(profile.skills)
        for language in languages:
            if rng.random() < BILINGUAL_SHARE:
                skill_ids += [f"{s}_{language}" for s in profile.skills if f"{s}_{language}" in skills]
        agents.append(
            _agent_data(i, skill_ids, CONTRACTS[int(contract_of[i])], size.regions[region_of[i]], settings, rng)
        )
    _cover_every_skill(agents, skills, rng)
    if not any("time_off" in a for a in agents):  # small teams: still show leave in the plan week
        agents[int(rng.integers(n))]["time_off"] = [_leave(settings, rng)]

    data = {
        "name": f"Northwind Broadband contact centre ({size.name})",
        "timezone": settings.timezone,
        "country": COUNTRY,
        "subdivision": SUBDIVISION,
        "interval_minutes": GENERATION_INTERVAL_MINUTES,
        "shrinkage": SHRINKAGE,
        "opening_hours": [
            *(
                {"weekday": d, "start_minute": "07:00", "end_minute": "22:00"}
                for d in ("mon", "tue", "wed", "thu", "fri")
            ),
            {"weekday": "sat", "start_minute": "08:00", "end_minute": "20:00"},
            {"weekday": "sun", "start_minute": "09:00", "end_minute": "18:00"},
        ],
        "customer_tiers": [{"id": t, "name": name, "weight": w} for t, name, w, _ in TIERS],
        "regions": list(size.regions),
        "skills": [{"id": s} for s in skills],
        "work_types": work_types,
        "contracts": [
            {
                "id": c.id,
                "name": c.name,
                "min_paid_minutes_week": c.min_paid_minutes_week,
                "max_paid_minutes_week": c.max_paid_minutes_week,
                "target_paid_minutes_week": c.target_paid_minutes_week,
                "max_working_days": c.max_working_days,
                "min_consecutive_days_off": c.min_consecutive_days_off,
                "max_working_weekends": c.max_working_weekends,
                "shift_templates": list(c.shift_templates),
            }
            for c in CONTRACTS
        ],
        "shift_templates": _templates(),
        "agents": agents,
        "special_days": _special_days(settings),
    }
    return Center.model_validate(data)


def _work_type_data(spec: WorkTypeSpec) -> dict[str, Any]:
    target: dict[str, Any] = {"service_level": spec.service_level, "within_s": spec.within_s, "measure": spec.measure}
    if spec.mean_patience_s is not None:
        target["mean_patience_s"] = spec.mean_patience_s
    if spec.platinum_within_s is not None:
        target["tier_within_s"] = {"platinum": spec.platinum_within_s}
    return {
        "id": spec.id,
        "name": spec.name,
        "channel": spec.channel,
        "skill": spec.skill,
        "priority": spec.priority,
        "target": target,
        "aht_s": spec.aht_s,
        "concurrency": spec.concurrency,
        "max_occupancy": spec.max_occupancy,
        "opening_hours": [{"weekday": d, "start_minute": a, "end_minute": b} for d, a, b in spec.opening_hours],
    }


def _templates() -> list[dict[str, Any]]:
    full_day_breaks = [
        {
            "name": "morning break",
            "duration_minutes": 15,
            "paid": True,
            "earliest_start_minutes": 90,
            "latest_start_minutes": 150,
        },
        {
            "name": "lunch",
            "duration_minutes": 30,
            "paid": False,
            "earliest_start_minutes": 210,
            "latest_start_minutes": 300,
        },
        {
            "name": "afternoon break",
            "duration_minutes": 15,
            "paid": True,
            "earliest_start_minutes": 360,
            "latest_start_minutes": 420,
        },
    ]
    return [
        {
            "id": "early",
            "name": "Early full day",
            "earliest_start_minute": "07:00",
            "latest_start_minute": "09:00",
            "start_step_minutes": 15,
            "lengths_minutes": [510],
            "breaks": full_day_breaks,
        },
        {
            "id": "day",
            "name": "Mid full day",
            "earliest_start_minute": "09:15",
            "latest_start_minute": "11:30",
            "start_step_minutes": 15,
            "lengths_minutes": [510],
            "breaks": full_day_breaks,
        },
        {
            "id": "late",
            "name": "Late full day",
            "earliest_start_minute": "11:45",
            "latest_start_minute": "13:30",
            "start_step_minutes": 15,
            "lengths_minutes": [510],
            "breaks": full_day_breaks,
        },
        {
            "id": "part",
            "name": "Part day",
            "earliest_start_minute": "07:00",
            "latest_start_minute": "16:00",
            "start_step_minutes": 30,
            "lengths_minutes": [240, 300, 360],
            "breaks": [
                {
                    "name": "break",
                    "duration_minutes": 15,
                    "paid": True,
                    "earliest_start_minutes": 90,
                    "latest_start_minutes": 150,
                },
                {
                    "name": "second break",
                    "duration_minutes": 15,
                    "paid": True,
                    "earliest_start_minutes": 240,
                    "latest_start_minutes": 300,
                    "min_shift_minutes": 360,
                },
            ],
        },
    ]


WEEKDAYS_MON_FRI = ("mon", "tue", "wed", "thu", "fri")
_AVAILABILITY_PATTERNS: dict[str, list[tuple[str, str, str]]] = {
    "mornings": [(d, "07:00", "14:00") for d in WEEKDAYS_MON_FRI],
    "school hours": [(d, "09:00", "15:30") for d in WEEKDAYS_MON_FRI],
    "evenings and weekends": [
        *((d, "15:00", "22:00") for d in WEEKDAYS_MON_FRI),
        ("sat", "08:00", "20:00"),
        ("sun", "09:00", "18:00"),
    ],
}


def _agent_data(
    i: int,
    skill_ids: list[str],
    contract: Any,
    region: str,
    settings: GeneratorSettings,
    rng: np.random.Generator,
) -> dict[str, Any]:
    new_hire = rng.random() < 0.10
    skills = []
    for k, skill in enumerate(dict.fromkeys(skill_ids)):
        low, high = (0.6, 0.8) if new_hire else ((0.9, 1.0) if k == 0 else (0.7, 1.0))
        skills.append({"skill": skill, "proficiency": round(float(rng.uniform(low, high)), 2)})
    low_cost, high_cost = contract.hourly_cost
    cost = rng.uniform(low_cost, high_cost) + 1.5 * (len(skills) - 1)
    agent: dict[str, Any] = {
        "id": f"a{i + 1:04d}",
        "name": f"Agent {i + 1:04d}",
        "skills": skills,
        "contract": contract.id,
        "region": region,
        "site": f"{region.title()} office",
        "hourly_cost": round(float(cost), 2),
    }
    if "chat" in skill_ids:
        agent["max_concurrency"] = 3 if rng.random() < 0.3 else 2
    if contract.id != "ft40" and rng.random() < 0.5:
        pattern = list(_AVAILABILITY_PATTERNS)[int(rng.integers(len(_AVAILABILITY_PATTERNS)))]
        agent["availability"] = [
            {"weekday": d, "start_minute": a, "end_minute": b} for d, a, b in _AVAILABILITY_PATTERNS[pattern]
        ]
    if rng.random() < 0.08:
        agent["time_off"] = [_leave(settings, rng)]
    preferences: dict[str, Any] = {}
    if rng.random() < 0.4:
        preferences["preferred_start_minute"] = _hhmm(int(rng.choice([7 * 60 + 30, 9 * 60, 12 * 60])))
    if rng.random() < 0.3:
        options = [["sat", "sun"], ["wed"], ["fri"], ["mon"]]
        preferences["preferred_days_off"] = options[int(rng.integers(len(options)))]
    if preferences:
        agent["preferences"] = preferences
    return agent


def _leave(settings: GeneratorSettings, rng: np.random.Generator) -> dict[str, str]:
    """Two to six days of annual leave that overlap the plan week."""
    first = settings.plan_start + timedelta(days=int(rng.integers(-2, 6)))
    last = first + timedelta(days=int(rng.integers(2, 6)))
    return {"start_date": first.isoformat(), "end_date": last.isoformat(), "reason": "annual leave"}


def _cover_every_skill(agents: list[dict[str, Any]], skills: list[str], rng: np.random.Generator) -> None:
    """Give each skill nobody drew to an agent who has a related skill (or anyone), so every queue is served."""
    for skill in skills:
        if any(s["skill"] == skill for a in agents for s in a["skills"]):
            continue
        base = skill.split("_")[0]
        related = [a for a in agents if any(s["skill"].split("_")[0] == base for s in a["skills"])]
        pool = related or agents
        chosen = pool[int(rng.integers(len(pool)))]
        chosen["skills"].append({"skill": skill, "proficiency": round(float(rng.uniform(0.7, 1.0)), 2)})


def _special_days(settings: GeneratorSettings) -> list[dict[str, Any]]:
    """Listed special days: Christmas Day (closed) and billing campaigns, one in history and one in the plan week."""
    days: list[dict[str, Any]] = []
    start, end = settings.history_start, settings.plan_start + timedelta(days=6)
    for year in range(start.year, end.year + 1):
        christmas = date(year, 12, 25)
        if start <= christmas <= end:
            days.append({"date": christmas.isoformat(), "name": "Christmas Day (centre closed)", "closed": True})
    campaign_types = ["billing_phone", "billing_email"]
    for offset in (-(7 * 9) + 2, 2):  # a Wednesday nine weeks before the plan week, and the plan week's Wednesday
        day = settings.plan_start + timedelta(days=offset)
        if start <= day <= end:
            days.append(
                {
                    "date": day.isoformat(),
                    "name": "Price-change letters",
                    "volume_multiplier": 1.4,
                    "work_types": campaign_types,
                }
            )
    return days


def _weekly_volumes(center: Center, specs: list[WorkTypeSpec]) -> dict[str, float]:
    """Expected contacts per normal week at the plan start: the team's productive hours split by workload share."""
    paid_hours = sum(
        (center.contract_of(a).target_paid_minutes_week or center.contract_of(a).max_paid_minutes_week) / 60
        for a in center.agents
    )
    workload_hours = paid_hours * (1 - center.shrinkage) * PLANNED_OCCUPANCY
    return {s.id: round(workload_hours * s.workload_share * 3600 * s.concurrency / s.aht_s, 3) for s in specs}


# -- the history ------------------------------------------------------------------------------------------------


def _shape(center: Center, spec: WorkTypeSpec, intervals: pd.DatetimeIndex) -> np.ndarray:
    """Relative arrival rate per interval (channel shape x weekday x opening hours), before calendar effects."""
    shape = CHANNEL_SHAPES[spec.channel]
    minute = (intervals.hour * 60 + intervals.minute).to_numpy()
    hour = (minute + GENERATION_INTERVAL_MINUTES / 2) / 60
    weekday = intervals.day_of_week.to_numpy()
    intraday = np.full(hour.shape, shape.floor)
    for centre, height, width in shape.peaks:
        intraday += height * np.exp(-0.5 * ((hour - centre) / width) ** 2)
    rate: np.ndarray = intraday * np.asarray(shape.weekday)[weekday]
    if center.work_type(spec.id).mode == "realtime":
        rate = rate * center.is_open(spec.id, intervals)
    return rate


def _calendar_factor(center: Center, spec: WorkTypeSpec, horizon: Horizon, public: holidays.HolidayBase) -> np.ndarray:
    """Per-day volume factor of `spec`: public holidays, listed special days, closures."""
    factor = np.ones(horizon.days)
    realtime = center.work_type(spec.id).mode == "realtime"
    for d, day in enumerate(horizon.dates):
        if day in public:
            factor[d] *= CHANNEL_SHAPES[spec.channel].holiday_factor
        for special in center.special_days:
            if special.date != day or not special.applies_to(spec.id):
                continue
            if special.closed and realtime:
                factor[d] = 0.0
            elif special.volume_multiplier is not None:
                factor[d] *= special.volume_multiplier
    return factor


def expected_rates(
    center: Center,
    specs: list[WorkTypeSpec],
    weekly: dict[str, float],
    horizon: Horizon,
    growth: float,
    plan_start: date,
) -> np.ndarray:
    """Expected arrivals per interval x work type (before noise), shape ``(len(intervals), len(specs))``."""
    intervals = horizon.intervals
    reference = center.horizon(plan_start, 7)
    public = holidays.country_holidays(
        COUNTRY, subdiv=SUBDIVISION, years=range(horizon.start_date.year, horizon.end_date.year + 1)
    )
    years = (horizon.interval_day - (plan_start - horizon.start_date).days) / 365.25
    trend = (1 + growth) ** years
    rates = np.empty((len(intervals), len(specs)))
    for k, spec in enumerate(specs):
        norm = _shape(center, spec, reference.intervals).sum()
        calendar = _calendar_factor(center, spec, horizon, public)[horizon.interval_day]
        rates[:, k] = weekly[spec.id] * _shape(center, spec, intervals) / norm * calendar * trend
    return rates


def _sample_history(
    center: Center,
    specs: list[WorkTypeSpec],
    weekly: dict[str, float],
    settings: GeneratorSettings,
    rng: np.random.Generator,
) -> pd.DataFrame:
    horizon = center.horizon(settings.history_start, 7 * settings.history_weeks)
    rates = expected_rates(center, specs, weekly, horizon, settings.annual_growth, settings.plan_start)
    day_noise = rng.gamma(settings.day_dispersion, 1 / settings.day_dispersion, size=(horizon.days, len(specs)))
    interval_noise = rng.gamma(settings.interval_dispersion, 1 / settings.interval_dispersion, size=rates.shape)
    counts = rng.poisson(rates * day_noise[horizon.interval_day] * interval_noise)

    cell_interval, cell_type = np.nonzero(counts)
    per_cell = counts[cell_interval, cell_type]
    row_interval = np.repeat(cell_interval, per_cell)
    row_type = np.repeat(cell_type, per_cell)
    n = row_interval.size

    aht = np.array([s.aht_s for s in specs])
    sigma = np.sqrt(np.log1p(np.array([s.aht_cv for s in specs]) ** 2))
    mu = np.log(aht) - sigma**2 / 2
    handle = np.maximum(5.0, np.round(rng.lognormal(mu[row_type], sigma[row_type])))
    abandon = np.array([CHANNEL_SHAPES[s.channel].abandon_share for s in specs])
    handle[rng.random(n) < abandon[row_type]] = np.nan

    if settings.history_shape == "intervals":
        return _interval_table(horizon, specs, counts, row_interval, row_type, handle)

    starts = horizon.intervals.asi8[row_interval]
    created = starts + rng.integers(0, GENERATION_INTERVAL_MINUTES * 60, size=n) * 1_000_000_000
    tier_share = np.array([share for *_, share in TIERS])
    tier = rng.choice(len(TIERS), size=n, p=tier_share / tier_share.sum())
    regions = center.regions
    region_weights = np.array(REGION_WEIGHTS[: len(regions)])
    region = rng.choice(len(regions), size=n, p=region_weights / region_weights.sum())

    order = np.lexsort((row_type, created))
    created, row_type, handle, tier, region = (a[order] for a in (created, row_type, handle, tier, region))
    priority = np.array([s.priority for s in specs])[row_type]
    priority = np.where(tier == 0, np.maximum(1, priority - 1), priority)
    type_ids = np.array([s.id for s in specs], dtype=object)
    return pd.DataFrame(
        {
            "created_at": pd.DatetimeIndex(pd.to_datetime(created, unit="ns", utc=True)).tz_convert(center.timezone),
            "work_type": type_ids[row_type],
            "ticket_id": [f"T{i:08d}" for i in range(1, n + 1)],
            "handle_time_s": handle,
            "priority": priority.astype(np.int64),
            "customer_tier": np.array([t for t, *_ in TIERS], dtype=object)[tier],
            "region": np.array(regions, dtype=object)[region],
            "channel": np.array([s.channel for s in specs], dtype=object)[row_type],
        }
    )


def _interval_table(
    horizon: Horizon,
    specs: list[WorkTypeSpec],
    counts: np.ndarray,
    row_interval: np.ndarray,
    row_type: np.ndarray,
    handle: np.ndarray,
) -> pd.DataFrame:
    handled = ~np.isnan(handle)
    cell = row_interval * len(specs) + row_type
    total_time = np.bincount(cell[handled], weights=handle[handled], minlength=counts.size)
    handled_count = np.bincount(cell[handled], minlength=counts.size)
    with np.errstate(invalid="ignore", divide="ignore"):
        aht = np.where(handled_count > 0, total_time / np.maximum(handled_count, 1), np.nan)
    n_intervals, n_types = counts.shape
    return pd.DataFrame(
        {
            "interval_start": np.repeat(horizon.intervals, n_types),
            "work_type": np.tile(np.array([s.id for s in specs], dtype=object), n_intervals),
            "volume": counts.reshape(-1).astype(float),
            "aht_s": np.round(aht, 1),
        }
    )

"""Statistical tests of the synthetic contact-centre generator (`scenarios.generator`).

Every statistic is compared with what the catalogue configures (`scenarios.catalogue`), and every tolerance
says where it comes from. Two kinds of history are used:

- the default noise (gamma day noise with shape 40, so a day's volume of one work type varies by about 16%,
  then Poisson), for properties that must hold in the history a user sees;
- a *quiet* history with the gamma noise switched off (shape 1e9, coefficient of variation 3e-5), so counts are
  plain Poisson and a configured factor (weekday, holiday, campaign, growth) can be measured to a few percent
  with tolerances of four Poisson standard errors.

Each scenario is generated once per module; the whole file runs in a few seconds.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Iterable
from datetime import date, timedelta
from pathlib import Path

import holidays
import numpy as np
import pandas as pd
import pytest

from models import Center
from models.io import History, load_center, read_history
from scenarios.catalogue import CHANNEL_SHAPES, SIZES, WORK_TYPES
from scenarios.generator import DEFAULT_PLAN_START, GeneratorSettings, Scenario, generate, write_scenario

#: Gamma shape that makes the generator's day and interval noise negligible (CV = 1/sqrt(shape) = 3e-5).
QUIET = 1e9
#: Tolerances in standard errors: four leaves a chance of about 6e-5 per check for a correct generator.
Z = 4.0
SPEC = {w.id: w for w in WORK_TYPES}
CAMPAIGN_DAY = date(2026, 1, 21)  # the 'Price-change letters' Wednesday nine weeks before the default plan week


# -- scenarios, generated once ----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def tickets() -> Scenario:
    """Size S, seed 0, the default 26 weeks of per-ticket history (22 Sep 2025 - 22 Mar 2026): covers the
    October DST change, Christmas, New Year and the January campaign day."""
    return generate(GeneratorSettings(size="S", seed=0))


@pytest.fixture(scope="module")
def interval_twin() -> Scenario:
    """The same settings as `tickets`, as 15-minute interval counts."""
    return generate(GeneratorSettings(size="S", seed=0, history_shape="intervals"))


@pytest.fixture(scope="module")
def year() -> Scenario:
    """Size M, 52 weeks of interval counts with the default noise (24 Mar 2025 - 22 Mar 2026)."""
    return generate(GeneratorSettings(size="M", seed=0, history_weeks=52, history_shape="intervals"))


@pytest.fixture(scope="module")
def quiet() -> Scenario:
    """As `year`, without the gamma noise: counts are Poisson around the configured rates."""
    return generate(
        GeneratorSettings(
            size="M",
            seed=0,
            history_weeks=52,
            history_shape="intervals",
            day_dispersion=QUIET,
            interval_dispersion=QUIET,
        )
    )


@pytest.fixture(scope="module")
def centres() -> dict[str, Scenario]:
    """Every size with one week of interval history: enough to look at the team."""
    return {
        size: generate(GeneratorSettings(size=size, seed=0, history_weeks=1, history_shape="intervals"))
        for size in SIZES
    }


@pytest.fixture(scope="module")
def written(tickets: Scenario, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("tickets")
    write_scenario(tickets, out)
    return out


# -- helpers ----------------------------------------------------------------------------------------------------


def history_dates(scenario: Scenario) -> list[date]:
    start = scenario.settings.history_start
    return [start + timedelta(days=i) for i in range(7 * scenario.settings.history_weeks)]


def daily_counts(scenario: Scenario) -> pd.DataFrame:
    """Contacts per local day (rows, every day of the history) and work type (columns)."""
    frame = scenario.history
    if scenario.history_shape == "tickets":
        counts = frame.groupby([frame["created_at"].dt.date, "work_type"]).size()
    else:
        counts = frame.groupby([frame["interval_start"].dt.date, "work_type"])["volume"].sum()
    table = counts.unstack(fill_value=0).reindex(history_dates(scenario), fill_value=0)
    table = table.reindex(columns=[w.id for w in scenario.center.work_types], fill_value=0).astype(float)
    return table.rename_axis(index="date", columns="work_type")


def public_holidays(scenario: Scenario) -> set[date]:
    """England's bank holidays from the `holidays` package (independent of the generator's own lookup)."""
    dates = history_dates(scenario)
    calendar = holidays.country_holidays("GB", subdiv="ENG", years=range(dates[0].year, dates[-1].year + 1))
    return {d for d in dates if d in calendar}


def ordinary(scenario: Scenario) -> pd.Series:
    """True for days that are neither a public holiday nor one of the centre's listed special days."""
    special = public_holidays(scenario) | {s.date for s in scenario.center.special_days}
    dates = history_dates(scenario)
    return pd.Series([d not in special for d in dates], index=dates)


def neighbours(day: date, usable: pd.Series) -> list[date]:
    """The same weekday one and two weeks either side, where those are ordinary days of the history."""
    around = (day + timedelta(weeks=k) for k in (-2, -1, 1, 2))
    return [d for d in around if d in usable.index and usable[d]]


def poisson_ratio(numerator: float, baseline: float, baseline_variance: float) -> tuple[float, float]:
    """Ratio of a Poisson count to a baseline estimate (of known variance), and its standard error (delta
    method)."""
    ratio = numerator / baseline
    return ratio, ratio * math.sqrt(1 / numerator + baseline_variance / baseline**2)


def mean_of_counts(counts: pd.Series) -> tuple[float, float]:
    """Mean of Poisson counts and the variance of that mean (sum / n**2)."""
    return float(counts.mean()), float(counts.sum()) / len(counts) ** 2


def trend_slope(scenario: Scenario) -> tuple[float, float]:
    """OLS slope (per day) of log daily total volume on the day index with weekday effects, over ordinary
    days, and its standard error."""
    daily = daily_counts(scenario).sum(axis=1)
    keep = ordinary(scenario).to_numpy()
    y = np.log(daily.to_numpy()[keep])
    t = np.arange(len(daily))[keep]
    weekday = np.array([d.weekday() for d in daily.index])[keep]
    x = np.column_stack([(weekday == w).astype(float) for w in range(7)] + [t.astype(float)])
    coef, residual, *_ = np.linalg.lstsq(x, y, rcond=None)
    sigma2 = float(residual[0]) / (len(y) - x.shape[1])
    se = math.sqrt(sigma2 * np.linalg.inv(x.T @ x)[-1, -1])
    return float(coef[-1]), se


def weekday_residuals(
    scenario: Scenario, work_type: str, weekdays: Iterable[int]
) -> Iterable[tuple[float, int, float]]:
    """Per weekday: residual sum of squares of the ordinary days' counts about a straight line (the growth
    trend), its degrees of freedom, and the mean count."""
    daily = daily_counts(scenario)[work_type]
    usable = ordinary(scenario)
    for weekday in weekdays:
        days = [d for d in daily.index if d.weekday() == weekday and usable[d]]
        y = daily[days].to_numpy()
        t = np.arange(len(y), dtype=float)
        fitted = np.polyval(np.polyfit(t, y, 1), t)
        yield float(((y - fitted) ** 2).sum()), len(y) - 2, float(y.mean())


# -- determinism ------------------------------------------------------------------------------------------------


def test_same_settings_write_byte_identical_files(tmp_path: Path) -> None:
    settings = GeneratorSettings(size="S", seed=7, history_weeks=4)
    first = write_scenario(generate(settings), tmp_path / "first")
    second = write_scenario(generate(settings), tmp_path / "second")
    assert [p.name for p in first] == [p.name for p in second] == ["center.yaml", "history.csv"]
    for a, b in zip(first, second, strict=True):
        assert a.read_bytes() == b.read_bytes(), f"{a.name} differs between two runs with the same settings"


def test_a_different_seed_gives_a_different_history_and_team() -> None:
    one = generate(GeneratorSettings(size="S", seed=1, history_weeks=2))
    two = generate(GeneratorSettings(size="S", seed=2, history_weeks=2))
    assert not one.history.equals(two.history)
    assert one.center.agents != two.center.agents


def test_the_team_does_not_depend_on_the_history_length() -> None:
    # Team and history draw from separate streams, so asking for more history must not change who works there.
    short = generate(GeneratorSettings(size="M", seed=3, history_weeks=4, history_shape="intervals"))
    long = generate(GeneratorSettings(size="M", seed=3, history_weeks=8, history_shape="intervals"))
    assert short.center.agents == long.center.agents
    assert short.center.work_types == long.center.work_types
    assert short.center.contracts == long.center.contracts
    assert short.center.shift_templates == long.center.shift_templates
    assert short.weekly_volume == long.weekly_volume
    for scenario in (short, long):
        starts = scenario.history["interval_start"]
        assert starts.iloc[0].date() == scenario.settings.history_start
        assert starts.iloc[-1].date() == scenario.settings.plan_start - timedelta(days=1)


# -- the centre -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("size", list(SIZES))
def test_size_has_its_team_and_every_queue_is_served(centres: dict[str, Scenario], size: str) -> None:
    center = centres[size].center
    assert len(center.agents) == SIZES[size].agents  # S 20, M 100, L 300, XL 1000
    if size != "S":
        assert len(center.skills) >= 4
    # Language variants: three per language on top of the seven base work types.
    assert len(center.work_types) == len(WORK_TYPES) + 3 * len(SIZES[size].languages)
    served = {s.skill for a in center.agents for s in a.skills}
    unserved = [w.id for w in center.work_types if w.skill not in served]
    assert not unserved, f"nobody can serve {unserved}"
    skill_counts = [len(a.skills) for a in center.agents]
    assert min(skill_counts) == 1, "no specialist (one skill)"
    assert max(skill_counts) >= 2, "no cross-skilled agent"
    assert sum(c >= 2 for c in skill_counts) >= 0.3 * len(skill_counts)


def test_work_types_cover_channels_priorities_and_targets(tickets: Scenario) -> None:
    work_types = tickets.center.work_types
    assert len(work_types) >= 6
    assert {"phone", "chat", "email"} <= {str(w.channel) for w in work_types}
    assert len({w.priority for w in work_types}) >= 3
    assert len({(w.target.service_level, w.target.within_s, str(w.target.measure)) for w in work_types}) >= 4
    for w in work_types:
        assert w.aht_s == SPEC[w.id].aht_s and w.priority == SPEC[w.id].priority


def test_contracts_and_shift_templates(tickets: Scenario) -> None:
    center = tickets.center
    used = {a.contract for a in center.agents}
    full = {c.id for c in center.contracts if c.min_paid_minutes_week >= 35 * 60}
    part = {c.id for c in center.contracts if c.max_paid_minutes_week <= 32 * 60}
    assert used & full and used & part, f"contracts in use: {sorted(used)}"
    for template in center.shift_templates:
        assert template.breaks, f"template '{template.id}' has no breaks"
    assert any(not b.paid for t in center.shift_templates for b in t.breaks), "no unpaid break (lunch)"


@pytest.mark.parametrize("size", ["S", "M", "L", "XL"])
def test_some_agents_have_availability_time_off_and_preferences(centres: dict[str, Scenario], size: str) -> None:
    agents = centres[size].center.agents
    assert any(a.availability for a in agents)
    assert not all(a.availability for a in agents)
    assert any(a.time_off for a in agents)
    assert any(a.preferences.preferred_start_minute is not None for a in agents)
    assert any(a.preferences.preferred_days_off for a in agents)


# -- seasonality and calendar -----------------------------------------------------------------------------------


def test_phone_volume_on_monday_is_far_above_sunday(tickets: Scenario) -> None:
    # Catalogue: phone weekday factor Monday 1.25, Sunday 0.30, and Sunday opens 09-18 instead of 07-22, so the
    # expected ratio is about 5.5. The threshold 3 sits far below that and far above the ~1.3 that opening
    # hours alone would give; the t statistic guards against a ratio driven by one odd week.
    phone = [w.id for w in tickets.center.work_types if w.channel == "phone"]
    daily = daily_counts(tickets)[phone].sum(axis=1)[ordinary(tickets)]
    weekday = np.array([d.weekday() for d in daily.index])
    monday, sunday = daily[weekday == 0].to_numpy(), daily[weekday == 6].to_numpy()
    assert monday.mean() > 3 * sunday.mean()
    t = (monday.mean() - sunday.mean()) / math.sqrt(monday.var(ddof=1) / monday.size + sunday.var(ddof=1) / sunday.size)
    assert t > 10


@pytest.mark.parametrize("work_type", ["billing_email", "tech_ticket"])
def test_weekday_factors_match_the_catalogue(quiet: Scenario, work_type: str) -> None:
    # Deferred work arrives round the clock, so a day's volume is proportional to its weekday factor alone.
    # Quiet history: each weekday's mean pools ~50 Poisson days (1-2% standard error); it is compared with its
    # factor times a scale fitted to all seven weekdays, within 4 standard errors.
    factors = np.asarray(CHANNEL_SHAPES[SPEC[work_type].channel].weekday)
    daily = daily_counts(quiet)[work_type][ordinary(quiet)]
    weekday = np.array([d.weekday() for d in daily.index])
    means = [mean_of_counts(daily[weekday == w]) for w in range(7)]
    scale = sum(m for m, _ in means) / factors.sum()
    scale_variance = sum(v for _, v in means) / factors.sum() ** 2
    for w in range(7):
        n = int((weekday == w).sum())
        expected = scale * factors[w] * n
        ratio, se = poisson_ratio(daily[weekday == w].sum(), expected, scale_variance * (factors[w] * n) ** 2)
        assert abs(ratio - 1) < Z * se, f"{work_type} weekday {w}: {ratio:.3f} of the catalogue's ± {Z * se:.3f}"


def test_peak_hours_are_far_busier_than_early_morning(tickets: Scenario) -> None:
    # Intraday shapes peak around 10-12 (phone, e-mail, tickets) or 11 and 20 (chat); before 06:00 only the floor
    # (4-15% of the peak) remains, and realtime queues are closed. A flat profile would give a ratio of 1.
    frame = tickets.history
    hour = frame["created_at"].dt.hour
    for work_type, group in frame.groupby("work_type"):
        hours = hour[group.index]
        peak = int(hours.between(10, 11).sum()) / 2
        early = int(hours.between(3, 4).sum()) / 2
        assert peak > 4 * early, f"{work_type}: {peak} per peak hour vs {early} per early hour"
        if SPEC[str(work_type)].channel in ("email", "ticket"):
            assert early > 0, f"{work_type} (deferred) should arrive at night too"


def test_realtime_queues_take_no_contacts_while_closed(tickets: Scenario) -> None:
    center = tickets.center
    local = tickets.history["created_at"].dt
    weekday = local.day_of_week.to_numpy()
    minute = (local.hour * 60 + local.minute).to_numpy()
    kinds = tickets.history["work_type"].to_numpy()
    for work_type in center.work_types:
        if work_type.mode != "realtime":
            continue
        rows = kinds == work_type.id
        windows = work_type.opening_hours or center.opening_hours
        open_ = np.zeros(rows.sum(), dtype=bool)
        for w in windows:
            open_ |= (weekday[rows] == w.weekday) & (minute[rows] >= w.start_minute) & (minute[rows] < w.end_minute)
        assert open_.all(), f"{work_type.id}: {int((~open_).sum())} contacts outside opening hours"
    christmas = tickets.history[tickets.history["created_at"].dt.date == date(2025, 12, 25)]
    realtime = {w.id for w in center.work_types if w.mode == "realtime"}
    assert not christmas["work_type"].isin(realtime).any(), "the centre is closed on Christmas Day"
    assert len(christmas) > 0, "e-mail and tickets still arrive on Christmas Day"


@pytest.mark.parametrize("day", [date(2025, 12, 26), date(2026, 1, 1)])
def test_public_holidays_are_quieter(tickets: Scenario, day: date) -> None:
    # Holiday factors are 0.35-0.60 by channel, so all work types together come to about 0.45 of a normal day.
    # With the default noise one day's total varies by about 8% (16% per work type, seven types), so 0.75 is
    # over three of those above 0.45 and three below the 1.0 of a generator that ignores holidays.
    assert day in public_holidays(tickets)
    daily = daily_counts(tickets).sum(axis=1)
    around = neighbours(day, ordinary(tickets))
    assert len(around) >= 3
    assert daily[day] < 0.75 * daily[around].mean()


@pytest.mark.parametrize("channel", ["phone", "chat", "email", "ticket"])
def test_holiday_factor_matches_the_catalogue(quiet: Scenario, channel: str) -> None:
    # Quiet history, every bank holiday of the year except Christmas Day (closed, tested above) against the same
    # weekday one and two weeks either side: pooled Poisson ratio within 4 standard errors.
    daily = daily_counts(quiet)[[w.id for w in quiet.center.work_types if w.channel == channel]].sum(axis=1)
    usable = ordinary(quiet)
    days = sorted(public_holidays(quiet) - {date(2025, 12, 25)})
    assert len(days) >= 7
    baselines = [mean_of_counts(daily[neighbours(d, usable)]) for d in days]
    ratio, se = poisson_ratio(daily[days].sum(), sum(m for m, _ in baselines), sum(v for _, v in baselines))
    factor = CHANNEL_SHAPES[channel].holiday_factor
    assert abs(ratio - factor) < Z * se, f"{channel}: {ratio:.3f} vs {factor} ± {Z * se:.3f}"


def test_campaign_day_raises_billing_only(quiet: Scenario) -> None:
    special = [s for s in quiet.center.special_days if s.date == CAMPAIGN_DAY]
    assert len(special) == 1 and special[0].name == "Price-change letters"
    assert special[0].volume_multiplier == 1.4
    billing = set(special[0].work_types)
    assert billing == {"billing_phone", "billing_email"}
    daily = daily_counts(quiet)
    around = neighbours(CAMPAIGN_DAY, ordinary(quiet))
    assert len(around) == 4
    for work_type in daily.columns:
        ratio, se = poisson_ratio(daily.at[CAMPAIGN_DAY, work_type], *mean_of_counts(daily.loc[around, work_type]))
        expected = 1.4 if work_type in billing else 1.0
        assert abs(ratio - expected) < Z * se, f"{work_type}: {ratio:.3f} vs {expected} ± {Z * se:.3f}"


def test_campaign_day_is_busier_in_the_default_history(tickets: Scenario) -> None:
    # With the default noise one day of the two billing queues together varies by about 12%, so this only checks
    # the direction (1.4 expected); the size of the effect is checked on the quiet history above.
    daily = daily_counts(tickets)[["billing_phone", "billing_email"]].sum(axis=1)
    around = neighbours(CAMPAIGN_DAY, ordinary(tickets))
    assert daily[CAMPAIGN_DAY] > 1.1 * daily[around].mean()


def test_volume_grows_over_the_year(year: Scenario) -> None:
    # Default noise: the log-linear regression's own standard error (about 18% of the expected slope) sets the
    # tolerance. The slope must be clearly positive (over 3 SE) and within 4 SE of log(1.08)/365.25 per day.
    slope, se = trend_slope(year)
    expected = math.log1p(year.settings.annual_growth) / 365.25
    assert slope > 3 * se, f"no clear growth: slope {slope:.2e} ± {se:.2e} per day"
    assert abs(slope - expected) < Z * se, f"slope {slope:.2e} vs {expected:.2e} ± {Z * se:.2e} per day"


def test_growth_matches_the_configured_annual_growth(quiet: Scenario) -> None:
    # Quiet history: the slope is known to about 6% of its value, so 4 SE tells 8% growth from 6% or 10%.
    slope, se = trend_slope(quiet)
    expected = math.log1p(quiet.settings.annual_growth) / 365.25
    assert se < expected / 10
    assert abs(slope - expected) < Z * se, f"slope {slope:.2e} vs {expected:.2e} ± {Z * se:.2e} per day"


def test_daily_counts_are_overdispersed(year: Scenario) -> None:
    # Tuesdays of billing phone across 52 weeks, detrended: a gamma day noise of shape 40 gives an index of
    # dispersion of about 1 + mean/40 (~24 here; 28 observed). Plain Poisson gives 1 with a standard error of
    # about 0.2 for ~50 days, so 3 is far above what Poisson could reach and far below what the generator gives.
    ((ssr, dof, mean),) = weekday_residuals(year, "billing_phone", [1])
    index = ssr / dof / mean
    assert index > 3, f"index of dispersion {index:.2f} (Poisson would be ~1)"


def test_day_noise_matches_the_configured_dispersion(year: Scenario, quiet: Scenario) -> None:
    # Variance of a day's count = mean + mean**2 / day_dispersion (gamma-mixed Poisson; the interval noise adds
    # a few percent more). Pooled over the weekdays Mon-Fri and all work types, observed / modelled variance is
    # near 1: over seeds 0-7 it averaged 1.06 with a standard deviation of 0.06 (the large queues dominate, so
    # the effective degrees of freedom are few hundred). 0.8-1.25 is over three of those either side, while no
    # day noise would give ~0.05 and twice the configured spread ~4. The quiet history must look Poisson by the
    # same measure (0.996 for seed 0, standard deviation about 0.04).
    shape = year.settings.day_dispersion
    for scenario, extra in ((year, 1 / shape), (quiet, 0.0)):
        observed = modelled = 0.0
        for work_type in daily_counts(scenario).columns:
            for ssr, dof, mean in weekday_residuals(scenario, work_type, range(5)):
                observed += ssr
                modelled += dof * (mean + extra * mean**2)
        assert 0.8 < observed / modelled < 1.25, f"observed / modelled variance {observed / modelled:.3f}"


# -- timestamps -------------------------------------------------------------------------------------------------


def test_created_at_is_sorted_local_and_inside_the_history(tickets: Scenario) -> None:
    created = tickets.history["created_at"]
    assert str(created.dt.tz) == "Europe/London"
    assert created.is_monotonic_increasing
    start = pd.Timestamp(tickets.settings.history_start).tz_localize("Europe/London")
    end = pd.Timestamp(tickets.settings.plan_start).tz_localize("Europe/London")
    assert created.iloc[0] >= start and created.iloc[-1] < end
    assert tickets.history["ticket_id"].is_unique


@pytest.mark.parametrize(("day", "hours"), [(date(2025, 10, 26), 25), (date(2025, 3, 30), 23), (date(2025, 3, 25), 24)])
def test_dst_change_days_have_their_true_length(day: date, hours: int) -> None:
    # Size XL so that e-mail and tickets arrive in every hour of the night (at least ~8 an hour): the local day
    # then holds tickets in exactly as many distinct UTC hours as it lasts.
    plan_start = day + timedelta(days=7 - day.weekday())
    scenario = generate(GeneratorSettings(size="XL", seed=0, history_weeks=1, plan_start=plan_start))
    created = scenario.history["created_at"]
    on_day = created[created.dt.date == day]
    assert on_day.dt.tz_convert("UTC").dt.floor("h").nunique() == hours


@pytest.mark.parametrize(
    ("day", "intervals"), [(date(2025, 10, 26), 100), (date(2025, 3, 30), 92), (date(2025, 6, 1), 96)]
)
def test_interval_history_follows_dst(year: Scenario, day: date, intervals: int) -> None:
    frame = year.history
    starts = frame.loc[frame["work_type"] == "billing_email", "interval_start"]
    on_day = starts[starts.dt.date == day]
    assert len(on_day) == intervals
    assert (on_day.diff().dropna() == pd.Timedelta(minutes=15)).all()


# -- handle times and abandonment -------------------------------------------------------------------------------


@pytest.mark.parametrize("work_type", [w.id for w in WORK_TYPES])
def test_mean_handle_time_matches_the_catalogue(tickets: Scenario, work_type: str) -> None:
    # Lognormal with the configured mean and CV: the sample mean of n handled contacts has a standard error of
    # CV / sqrt(n) relative to the mean (0.5% for billing phone, 1.5% for second-line tickets in this history),
    # so 4 SE is 2-6%. Rounding to whole seconds and the 5-second floor shift the mean by well under 0.1%.
    handle = tickets.history.loc[tickets.history["work_type"] == work_type, "handle_time_s"].dropna()
    spec = SPEC[work_type]
    tolerance = Z * spec.aht_cv / math.sqrt(len(handle))
    assert abs(handle.mean() / spec.aht_s - 1) < tolerance, f"{handle.mean():.1f} vs {spec.aht_s}"


@pytest.mark.parametrize("work_type", [w.id for w in WORK_TYPES])
def test_handle_time_spread_matches_the_catalogue(tickets: Scenario, work_type: str) -> None:
    # The lognormal's median is aht / sqrt(1 + CV**2), so it tells the configured spread: CV 0.7 vs 0.9 moves it
    # by 11%. The sample median's standard error is sqrt(pi / 2) * sigma / sqrt(n) in log units (under 2% here).
    handle = tickets.history.loc[tickets.history["work_type"] == work_type, "handle_time_s"].dropna()
    spec = SPEC[work_type]
    sigma = math.sqrt(math.log1p(spec.aht_cv**2))
    se = math.sqrt(math.pi / 2) * sigma / math.sqrt(len(handle))
    expected = spec.aht_s / math.sqrt(1 + spec.aht_cv**2)
    assert abs(math.log(handle.median() / expected)) < Z * se, f"median {handle.median()} vs {expected:.1f}"


def test_realtime_contacts_are_sometimes_abandoned_and_deferred_never(tickets: Scenario) -> None:
    # Abandoned contacts have no handle time. Their share is binomial: within 4 SE of the channel's abandon_share.
    blank = tickets.history["handle_time_s"].isna()
    for work_type, share in blank.groupby(tickets.history["work_type"]).mean().items():
        spec = SPEC[str(work_type)]
        p = CHANNEL_SHAPES[spec.channel].abandon_share
        n = int((tickets.history["work_type"] == work_type).sum())
        if p == 0:
            assert share == 0, f"{work_type} is deferred and has blank handle times"
        else:
            assert share > 0
            assert abs(share - p) < Z * math.sqrt(p * (1 - p) / n), f"{work_type}: {share:.4f} abandoned vs {p}"


# -- the written files ------------------------------------------------------------------------------------------


def _read_quietly(center_path: Path, history_path: Path) -> tuple[Center, History]:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        center = load_center(center_path)
        history = read_history(history_path, center=center)
    assert not caught, [str(w.message) for w in caught]
    return center, history


def test_written_files_read_back_without_errors_or_warnings(tickets: Scenario, written: Path) -> None:
    center, history = _read_quietly(written / "center.yaml", written / "history.csv")
    assert center == tickets.center
    assert history.kind == "tickets"
    assert history.timezone == "Europe/London"
    assert history.assumption is None
    assert len(history.frame) == len(tickets.history)
    pd.testing.assert_series_equal(
        history.frame["created_at"], tickets.history["created_at"], check_names=False, check_dtype=False
    )
    assert history.volume_by_work_type().to_dict() == tickets.history.groupby("work_type").size().to_dict()


def test_interval_shape_reads_back_with_the_same_volumes(
    tickets: Scenario, interval_twin: Scenario, tmp_path: Path
) -> None:
    center_path, history_path = write_scenario(interval_twin, tmp_path)
    _, history = _read_quietly(center_path, history_path)
    assert history.kind == "intervals"
    assert history.interval_minutes == 15
    # Ticket and interval shapes draw the same arrival counts before they part, so the totals agree exactly.
    per_ticket = tickets.history.groupby("work_type").size().astype(float)
    pd.testing.assert_series_equal(history.volume_by_work_type(), per_ticket, check_names=False, check_index_type=False)
    pd.testing.assert_frame_equal(daily_counts(interval_twin), daily_counts(tickets))


def test_history_longer_than_a_year_is_generated() -> None:
    """Two years of history: the grid spans both DST changes of each year and every day is there."""
    scenario = generate(GeneratorSettings(size="S", history_weeks=104, history_shape="intervals"))
    starts = scenario.history["interval_start"]
    assert starts.iloc[0] == pd.Timestamp(scenario.settings.history_start, tz="Europe/London")
    assert starts.dt.date.nunique() == 104 * 7


@pytest.mark.parametrize("seed", range(10))
def test_even_the_smallest_team_shows_leave_in_the_plan_week(seed: int) -> None:
    center = generate(GeneratorSettings(size="S", seed=seed, history_weeks=1)).center
    plan_week = [DEFAULT_PLAN_START + timedelta(days=d) for d in range(7)]
    assert any(agent.is_off(day) for agent in center.agents for day in plan_week)

"""The centre's calendar after every model (`forecasting.adjust`, `forecast_centre(center=...)`).

Closed days, special-day multipliers and opening hours are properties of the centre: whichever model the
selection picks, the forecast has no realtime contacts on a closed day, a listed multiplier scales its work type
by exactly that factor (never twice), and no work type gets volume while it is closed (realtime: dropped;
deferred: moved to the next opening), with a note saying how much. Quantiles follow the final means.

The history is synthetic: six weeks (Monday 19 January - Sunday 1 March 2026, Europe/London, no public holiday
of England inside it or in the forecast week) of Poisson counts around a fixed hour-of-week pattern with calls
at every hour, night and weekend included, for a phone queue (`billing_phone`, realtime) and an e-mail queue
(`tech_email`, deferred). The forecast is the week of Monday 2 March 2026 at 15-minute intervals.
"""

from __future__ import annotations

import copy
from datetime import date, timedelta
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from forecasting import (
    CANDIDATES,
    TOTAL,
    ForecastResult,
    ForecastSettings,
    HourlyHistory,
    SpecialCalendar,
    aggregate,
    apply_opening_hours,
    forecast_centre,
)
from forecasting.adjust import _note
from forecasting.aggregate import hour_of_week
from forecasting.series import hourly_grid
from models import Center, History, InputError, OutsideHours
from tests.conftest import CENTER_DATA

TZ = "Europe/London"
START = date(2026, 3, 2)  # a Monday
CLOSED_DAY = date(2026, 3, 3)  # Tuesday: closed
EVE = date(2026, 3, 4)  # Wednesday: billing_phone at 0.6
#: The Israeli bank's week: Sunday-Thursday 08:00-17:00, Friday 08:00-14:00, Saturday closed.
BANK_HOURS = [
    {"weekday": day, "start_minute": "08:00", "end_minute": "17:00"} for day in ("sun", "mon", "tue", "wed", "thu")
] + [{"weekday": "fri", "start_minute": "08:00", "end_minute": "14:00"}]


def centre(opening_hours: list[dict[str, Any]], special_days: list[dict[str, Any]] = (), **email: Any) -> Center:  # type: ignore[assignment]
    data = copy.deepcopy(CENTER_DATA)
    data["opening_hours"] = opening_hours
    data["special_days"] = list(special_days)
    data["work_types"][1].update(email)
    return Center.model_validate(data)


SPECIAL_DAYS = [
    {"date": CLOSED_DAY, "name": "Strike", "closed": True},
    {"date": EVE, "name": "Eve", "volume_multiplier": 0.6, "work_types": ["billing_phone"]},
]


@pytest.fixture(scope="module")
def hourly() -> HourlyHistory:
    index = hourly_grid(date(2026, 1, 19), date(2026, 3, 1), TZ)
    hour = np.arange(168) % 24
    rng = np.random.default_rng(7)
    frames = []
    for work_type, scale in (("billing_phone", 30.0), ("tech_email", 8.0)):
        pattern = rng.uniform(0.5, 1.5, 168) * scale * np.where((hour >= 8) & (hour < 18), 1.0, 0.15)
        frames.append(
            pd.DataFrame(
                {
                    "interval_start": index,
                    "work_type": work_type,
                    "volume": rng.poisson(pattern[hour_of_week(index)]).astype(float),
                }
            )
        )
    frame = pd.concat(frames, ignore_index=True).sort_values("interval_start", kind="stable")
    history = History(
        frame=frame.reset_index(drop=True),
        kind="intervals",
        source="synthetic",
        timezone=TZ,
        interval_minutes=60,
        assumption=None,
    )
    return aggregate(history, TZ, ["billing_phone", "tech_email"])


def forecast(hourly: HourlyHistory, center: Center, models: tuple[str, ...] = ("recent_average",)) -> ForecastResult:
    return forecast_centre(
        hourly,
        SpecialCalendar.of_center(center),
        START,
        7,
        ForecastSettings(interval_minutes=15, folds=2, models=models),
        {w.id: w.aht_s for w in center.work_types},
        center=center,
    )


def by_day(result: ForecastResult, work_type: str, column: str = "volume") -> pd.Series:
    rows = result.table[result.table["work_type"] == work_type]
    local = pd.DatetimeIndex(rows["interval_start"]).tz_convert(TZ).tz_localize(None).date
    return rows[column].groupby(local).sum()


def assert_quantiles_follow(result: ForecastResult) -> None:
    for work_type, rows in result.table.groupby("work_type"):
        band = result.bands[str(work_type)]
        for column, q in (("volume_p10", 0.1), ("volume_p50", 0.5), ("volume_p90", 0.9)):
            np.testing.assert_array_equal(rows[column].to_numpy(), band.quantile(rows["volume"].to_numpy(), q))


@pytest.mark.parametrize("name", list(CANDIDATES))
def test_closed_day_and_multiplier_day_whichever_model_is_selected(hourly: HourlyHistory, name: str) -> None:
    """The selection restricted to one model (every registered one in turn), with the centre open at all hours.
    Against the same forecast of a centre with no special days: the phone queue gets nothing on the closed
    Tuesday (mean and every quantile) and exactly 0.6 x its normal Wednesday (applied once, after the model,
    to whichever it is); every other day is unchanged. The e-mail queue's Tuesday waits for the next opening:
    Wednesday 00:00, so Tuesday is empty and the week keeps its e-mails."""
    plain = forecast(hourly, centre([]), (name,))
    special = forecast(hourly, centre([], SPECIAL_DAYS), (name,))
    assert set(special.selected.values()) == {name}
    phone, phone_plain = by_day(special, "billing_phone"), by_day(plain, "billing_phone")
    assert phone[CLOSED_DAY] == 0.0
    for column in ("volume_p10", "volume_p50", "volume_p90"):
        assert by_day(special, "billing_phone", column)[CLOSED_DAY] == 0.0
    assert phone[EVE] == pytest.approx(0.6 * phone_plain[EVE], rel=1e-9)
    others = [d for d in phone.index if d not in (CLOSED_DAY, EVE)]
    np.testing.assert_allclose(phone[others], phone_plain[others], rtol=1e-9)
    email, email_plain = by_day(special, "tech_email"), by_day(plain, "tech_email")
    assert email[CLOSED_DAY] == 0.0
    assert email.sum() == pytest.approx(email_plain.sum(), rel=1e-9)
    assert email[EVE] == pytest.approx(email_plain[CLOSED_DAY] + email_plain[EVE], rel=1e-9)
    assert any(n.startswith("tech_email: ") and "moved to the next opening" in n for n in special.notes)
    assert_quantiles_follow(special)
    np.testing.assert_allclose(
        special.hourly[TOTAL].to_numpy(), special.hourly[["billing_phone", "tech_email"]].sum(axis=1).to_numpy()
    )


def test_opening_hours_drop_realtime_and_move_deferred_with_a_note(hourly: HourlyHistory) -> None:
    """The bank's week (Sunday-Thursday 08:00-17:00, Friday 08:00-14:00, Saturday closed). Against the same
    forecast of a centre open at all hours (the models are fitted alike: opening hours act after them): the phone
    queue has no volume outside the hours, and the note gives the dropped volume and its share of the week; the
    e-mail queue's closed-hours volume is moved to the next opening (Friday 14:00 - Sunday 08:00 to Sunday
    08:00; none is lost but what arrives after the last closing of the forecast, Sunday 17:00), and its note
    says so."""
    open_all = forecast(hourly, centre([]))
    bank = centre(BANK_HOURS)
    result = forecast(hourly, bank)
    table, plain = result.table, open_all.table
    for work_type in ("billing_phone", "tech_email"):
        rows = table["work_type"] == work_type
        is_open = bank.is_open(work_type, pd.DatetimeIndex(table.loc[rows, "interval_start"]))
        volumes = table.loc[rows, ["volume", "volume_p10", "volume_p50", "volume_p90"]].to_numpy()
        assert (volumes[~is_open] == 0).all()
    phone = plain[plain["work_type"] == "billing_phone"]
    closed = ~bank.is_open("billing_phone", pd.DatetimeIndex(phone["interval_start"]))
    dropped = phone["volume"].to_numpy()[closed].sum()
    share = dropped / phone["volume"].sum()
    expected = f"billing_phone: {dropped:,.0f} contacts ({share:.1%}) forecast outside opening hours dropped"
    assert any(n.startswith(expected) for n in result.notes)
    email = plain[plain["work_type"] == "tech_email"]
    starts = pd.DatetimeIndex(email["interval_start"])
    after_last = starts >= pd.Timestamp("2026-03-08 17:00", tz=TZ)  # Sunday's closing: no opening left this week
    kept = table.loc[table["work_type"] == "tech_email", "volume"].sum()
    assert kept == pytest.approx(email["volume"].sum() - email["volume"].to_numpy()[after_last].sum(), rel=1e-9)
    note = next(n for n in result.notes if n.startswith("tech_email: ") and "opening hours" in n)
    assert "moved to the next opening" in note and "after the last opening of the horizon, dropped" in note
    assert_quantiles_follow(result)


def test_a_work_type_can_drop_deferred_work_or_move_realtime_work(hourly: HourlyHistory) -> None:
    """`outside_hours` on the work type overrides the mode's default: e-mail set to drop loses its closed-hours
    volume (a note says 'dropped')."""
    result = forecast(hourly, centre(BANK_HOURS, outside_hours="drop"))
    note = next(n for n in result.notes if n.startswith("tech_email: ") and "opening hours" in n)
    assert note.endswith("dropped (outside_hours: drop)")


def test_the_forecast_says_which_work_types_take_the_centres_handle_time(hourly: HourlyHistory) -> None:
    """The synthetic history holds counts without handle times: the forecast's aht_s is the centre's, and said."""
    center = centre([])
    result = forecast(hourly, center)
    for work_type in center.work_types:
        rows = result.table[result.table["work_type"] == work_type.id]
        assert (rows["aht_s"] == work_type.aht_s).all()
    assert "no handle times in the history for billing_phone, tech_email: aht_s is the centre's" in result.notes


def test_a_work_type_without_history_is_forecast_zero_with_a_note() -> None:
    """The centre has a work type the history never names (a file of one queue's counts, a misspelt work_type):
    its forecast is 0, and said, so that a planner does not take it for a quiet queue."""
    index = hourly_grid(date(2026, 1, 19), date(2026, 3, 1), TZ)
    frame = pd.DataFrame({"interval_start": index, "work_type": "billing_phone", "volume": 10.0})
    history = History(
        frame=frame, kind="intervals", source="synthetic", timezone=TZ, interval_minutes=60, assumption=None
    )
    result = forecast(aggregate(history, TZ, ["billing_phone", "tech_email"]), centre([]))
    assert result.table.loc[result.table["work_type"] == "tech_email", "volume"].sum() == 0
    assert "no contacts in the history for tech_email: forecast 0" in " ".join(result.notes)
    assert not [note for note in result.notes if "no contacts in the history for billing_phone" in note]


def test_apply_opening_hours_on_a_hand_built_table() -> None:
    """Monday 2 March 2026, hourly, 06:00-10:00, for a centre open Monday 08:00-20:00: phone (drop) loses its
    06:00 and 07:00 volume (3 + 4 of 3 + 4 + 5 + 6 = 18: 7 contacts, 38.9%); e-mail (next opening) gets its 06:00
    and 07:00 volume (1 + 2) added to 08:00 (3 + 3 = 6). The quantile columns move alike. A table with nothing
    in closed hours comes back as it was, with no note."""
    center = centre([{"weekday": "mon", "start_minute": "08:00", "end_minute": "20:00"}])
    starts = pd.date_range("2026-03-02 06:00", periods=4, freq="h", tz=TZ)
    table = pd.DataFrame(
        {
            "interval_start": np.tile(starts, 2),
            "work_type": ["billing_phone"] * 4 + ["tech_email"] * 4,
            "volume": [3.0, 4.0, 5.0, 6.0, 1.0, 2.0, 3.0, 4.0],
            "volume_p90": [5.0, 6.0, 7.0, 8.0, 2.0, 3.0, 4.0, 5.0],
        }
    )
    out, notes = apply_opening_hours(table, center)
    assert out["volume"].tolist() == [0.0, 0.0, 5.0, 6.0, 0.0, 0.0, 6.0, 4.0]
    assert out["volume_p90"].tolist() == [0.0, 0.0, 7.0, 8.0, 0.0, 0.0, 9.0, 5.0]
    assert notes == [
        "billing_phone: 7 contacts (38.9%) forecast outside opening hours dropped (outside_hours: drop)",
        "tech_email: 3 contacts (30.0%) forecast outside opening hours moved to the next opening "
        "(outside_hours: next_opening)",
    ]
    again, none = apply_opening_hours(out, center)
    assert none == [] and again is out


def test_a_closed_day_counts_as_closed_hours() -> None:
    """A special day listed closed for the phone queue only: the phone's volume that day is dropped, the
    e-mail queue's is not touched."""
    center = centre([], [{"date": START, "name": "Training", "closed": True, "work_types": ["billing_phone"]}])
    starts = pd.DatetimeIndex([pd.Timestamp(START, tz=TZ) + timedelta(hours=h) for h in (10, 34)])
    table = pd.DataFrame(
        {"interval_start": np.tile(starts, 2), "work_type": ["billing_phone"] * 2 + ["tech_email"] * 2}
    ).assign(volume=[2.0, 3.0, 4.0, 5.0])
    out, notes = apply_opening_hours(table, center)
    assert out["volume"].tolist() == [0.0, 3.0, 4.0, 5.0]
    assert len(notes) == 1 and notes[0].startswith("billing_phone: 2 contacts (40.0%)")


def test_unknown_model_names_are_an_input_error() -> None:
    with pytest.raises(InputError, match="prophet are not forecasters"):
        ForecastSettings(models=("prophet",))


def test_the_bank_week_of_yom_kippur_with_the_seasonal_naive() -> None:
    """The real bank's 1999 arrivals (6-minute counts, ../shared/data; skipped when absent) up to Saturday
    18 September 1999, forecast for the week from Sunday 19 September with the selection restricted to the
    seasonal naive (the model it picked for the biggest queue on the bank's log), for a centre open Sunday-Thursday
    07:00-24:00, Friday 07:00-14:00 and Saturday from 20:00, closed on Yom Kippur (Monday 20 September) and at
    0.6 on its eve. Yom Kippur gets no calls; the eve is 0.6 x the naive's Sunday; no call is forecast while
    closed, and the note gives the dropped calls."""
    from models import read_history
    from tests.shared_data import shared_data

    path = shared_data("anonbank", "calls_1999_6min.csv")
    history = read_history(path, timezone="Asia/Jerusalem", rename={"volume": "calls"}, work_type="calls")
    frame = history.frame[history.frame["interval_start"] < pd.Timestamp("1999-09-19", tz="Asia/Jerusalem")]
    history = History(frame, history.kind, history.source, history.timezone, history.interval_minutes, None)
    hourly_bank = aggregate(history, "Asia/Jerusalem", ["calls"])
    hours = [
        {"weekday": d, "start_minute": "07:00", "end_minute": "24:00"} for d in ("sun", "mon", "tue", "wed", "thu")
    ]
    hours += [
        {"weekday": "fri", "start_minute": "07:00", "end_minute": "14:00"},
        {"weekday": "sat", "start_minute": "20:00", "end_minute": "24:00"},
    ]
    data = copy.deepcopy(CENTER_DATA) | {"timezone": "Asia/Jerusalem", "country": "IL", "opening_hours": hours}
    data["work_types"] = [data["work_types"][0] | {"id": "calls"}]
    days = [
        {"date": "1999-09-19", "name": "Eve of Yom Kippur", "volume_multiplier": 0.6},
        {"date": "1999-09-20", "name": "Yom Kippur", "closed": True},
    ]
    plain, bank = (
        Center.model_validate(data | {"opening_hours": [], "country": None}),  # no public holidays or their eves
        Center.model_validate(data | {"special_days": days}),
    )
    settings = ForecastSettings(interval_minutes=30, folds=2, models=("seasonal_naive",))
    start = date(1999, 9, 19)
    naive = forecast_centre(hourly_bank, SpecialCalendar.of_center(plain), start, 7, settings, center=plain)
    result = forecast_centre(hourly_bank, SpecialCalendar.of_center(bank), start, 7, settings, center=bank)

    def daily(table: pd.DataFrame) -> pd.Series:
        local = pd.DatetimeIndex(table["interval_start"]).tz_convert("Asia/Jerusalem").tz_localize(None).date
        return table["volume"].groupby(local).sum()

    got, before = daily(result.table), daily(naive.table)
    assert before[date(1999, 9, 20)] > 100  # the naive alone forecasts a normal Monday on Yom Kippur
    assert got[date(1999, 9, 20)] == 0.0
    is_open = bank.is_open("calls", pd.DatetimeIndex(result.table["interval_start"]))
    assert (result.table.loc[~is_open, ["volume", "volume_p90"]].to_numpy() == 0).all()
    sunday = naive.table[pd.DatetimeIndex(naive.table["interval_start"]).tz_convert("Asia/Jerusalem").date == start]
    open_sunday = bank.is_open("calls", pd.DatetimeIndex(sunday["interval_start"]))
    assert got[start] == pytest.approx(0.6 * sunday["volume"].to_numpy()[open_sunday].sum(), rel=1e-9)
    note = next(n for n in result.notes if "outside opening hours" in n)
    assert note.startswith("calls: ") and note.endswith("dropped (outside_hours: drop)")


@settings(max_examples=60, deadline=None)
@given(
    volumes=arrays(np.float64, 7 * 24, elements=st.floats(0.0, 50.0)),
    start_hour=st.integers(0, 22),
    length=st.integers(1, 10),
    days=st.sets(st.sampled_from(["mon", "tue", "wed", "thu", "fri", "sat", "sun"]), min_size=1),
    rule=st.sampled_from(["drop", "next_opening"]),
)
def test_opening_hours_properties(volumes: np.ndarray, start_hour: int, length: int, days: set[str], rule: str) -> None:
    """On any week of hourly volume and any opening hours: nothing is left while closed; open intervals only
    gain (next opening) or keep (drop) their volume; with drop the total falls by exactly the closed volume, with
    next opening only by the closed volume after the last opening; and a second pass changes nothing."""
    end = min(24, start_hour + length)
    hours = [{"weekday": d, "start_minute": f"{start_hour:02d}:00", "end_minute": f"{end:02d}:00"} for d in days]
    center = centre(hours, outside_hours=rule)
    starts = hourly_grid(START, START + timedelta(days=6), TZ)
    table = pd.DataFrame({"interval_start": starts, "work_type": "tech_email", "volume": volumes[: len(starts)]})
    out, notes = apply_opening_hours(table, center)
    is_open = center.is_open("tech_email", starts)
    before, after = table["volume"].to_numpy(), out["volume"].to_numpy()
    assert (after[~is_open] == 0).all()
    assert (after[is_open] >= before[is_open] - 1e-9).all()
    closed_volume = before[~is_open].sum()
    if rule == "drop":
        np.testing.assert_allclose(after[is_open], before[is_open])
        assert after.sum() == pytest.approx(before.sum() - closed_volume, abs=1e-6)
    else:
        last_open = np.flatnonzero(is_open).max()
        past_end = before[last_open + 1 :].sum()
        assert after.sum() == pytest.approx(before.sum() - past_end, abs=1e-6)
    assert (len(notes) == 1) == (closed_volume > 0)
    assert apply_opening_hours(out, center)[1] == []


def test_one_contact_outside_opening_hours_is_said_in_the_singular() -> None:
    assert _note("PE", OutsideHours.DROP, 0.6, 10.0, 0.0).startswith("PE: 1 contact (6.0%) forecast outside")
    assert _note("PE", OutsideHours.DROP, 2.0, 10.0, 0.0).startswith("PE: 2 contacts (20.0%)")

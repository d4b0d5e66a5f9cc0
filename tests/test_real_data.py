"""The history loader on real data: the 1999 arrivals of a bank call centre (see ../shared/data/README.md)."""

from __future__ import annotations

import pandas as pd
import pytest

from models import HistoryFormat, read_history
from tests.shared_data import shared_data


@pytest.fixture(scope="module")
def arrivals_1999() -> pd.DataFrame:
    return pd.read_csv(shared_data("anonbank", "calls_1999_6min.csv"))


def test_six_minute_counts_load_with_mapped_columns(arrivals_1999: pd.DataFrame) -> None:
    history = read_history(
        shared_data("anonbank", "calls_1999_6min.csv"),
        timezone="Asia/Jerusalem",
        rename={"volume": "calls"},
        work_type="all",
    )
    assert history.kind == "intervals"
    assert history.interval_minutes == 6
    assert history.timezone == "Asia/Jerusalem"
    # Every call in the file is kept (1999-05-23 holds interpolated halves, kept as they are).
    assert history.frame["volume"].sum() == pytest.approx(arrivals_1999["calls"].sum())
    assert history.start == pd.Timestamp("1999-01-01 00:00", tz="Asia/Jerusalem")
    assert history.end == pd.Timestamp("1999-12-31 23:54", tz="Asia/Jerusalem")


def test_wall_clock_grid_across_dst(arrivals_1999: pd.DataFrame) -> None:
    """The file lists 240 wall-clock intervals every day, including the hour Israel skipped on 1999-04-02.
    Those skipped intervals are empty, so they are dropped (and said to be); every other row is kept."""
    history = read_history(
        shared_data("anonbank", "calls_1999_6min.csv"),
        timezone="Asia/Jerusalem",
        rename={"volume": "calls"},
        work_type="all",
    )
    skipped = arrivals_1999["interval_start"].str.startswith("1999-04-02 02:")
    assert skipped.sum() == 10 and arrivals_1999.loc[skipped, "calls"].sum() == 0
    assert len(history.frame) == len(arrivals_1999) - 10
    assert any("skip" in note for note in history.notes)
    local = history.frame["interval_start"]
    assert local.is_monotonic_increasing
    assert not local.duplicated().any()


def test_the_august_call_log_is_read_as_it_is() -> None:
    """The bank's ACD log (calls_1999-08.csv) as exported: date and entry time apart, a `priority` of 0-2 that
    the planner's 1-9 would refuse, call ids that repeat, PHANTOM calls and hang-ups in the voice menu."""
    path = shared_data("anonbank", "calls_1999-08.csv")
    log = pd.read_csv(path, dtype=str)
    fmt = HistoryFormat(
        columns={"created_at": "date+vru_entry", "work_type": "type", "ticket_id": "call_id"},
        ignore=("priority",),
        exclude=("outcome=PHANTOM", "outcome=HANG&q_start=0:00:00"),
    )
    history = read_history(path, timezone="Asia/Jerusalem", fmt=fmt)
    phantom = log["outcome"].eq("PHANTOM")
    menu = log["outcome"].eq("HANG") & log["q_start"].eq("0:00:00")
    kept = log[~phantom & ~menu]
    assert len(history.frame) == len(kept)
    assert history.volume_by_work_type().to_dict() == kept["type"].value_counts().astype(float).to_dict()
    said = f"{int((phantom | menu).sum()):,} of {len(log):,} rows were excluded"
    assert any(note.startswith(said) for note in history.notes)
    assert any("repeat an earlier row's ticket_id" in note for note in history.notes)  # ids repeat: said, kept
    assert history.warnings == ()  # no doubled rows, no offsets
    entry = pd.to_datetime(kept["date"] + " " + kept["vru_entry"]).dt.tz_localize("Asia/Jerusalem")
    assert history.start == entry.min() and history.end == entry.max()

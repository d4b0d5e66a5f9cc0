"""The command line says what it did with demand while a work type was closed (a note on stderr)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd
from typer.testing import CliRunner

from tests.conftest import CENTER_DATA
from wfm import cli
from wfm.exit_codes import ExitCode


def test_wfm_requirements_notes_the_calls_it_dropped(write_yaml: Callable[[Any, str], Path], tmp_path: Path) -> None:
    """A forecast made elsewhere (every work type of the centre, calls for billing_phone only) with 10 calls
    in each quarter-hour of Monday 2 March 2026 06:00-09:45; the
    test centre opens at 08:00: the 8 quarter-hours before it (80 of 160 calls) are dropped, need nobody, and
    the command says so."""
    center = write_yaml(CENTER_DATA, "center.yaml")
    starts = pd.date_range("2026-03-02 06:00", periods=16, freq="15min", tz="Europe/London")
    forecast = tmp_path / "forecast.csv"
    work_types = [w["id"] for w in CENTER_DATA["work_types"]]
    pd.concat(
        pd.DataFrame(
            {
                "interval_start": starts,
                "work_type": work_type,
                "volume": 10.0 if work_type == "billing_phone" else 0.0,
                "volume_p10": 8.0 if work_type == "billing_phone" else 0.0,
                "volume_p50": 10.0 if work_type == "billing_phone" else 0.0,
                "volume_p90": 12.0 if work_type == "billing_phone" else 0.0,
                "aht_s": 300.0,
            }
        )
        for work_type in work_types
    ).to_csv(forecast, index=False)
    out = tmp_path / "requirement.csv"
    result = CliRunner().invoke(
        cli.app, ["requirements", "--forecast", str(forecast), "--center", str(center), "--out", str(out)]
    )
    assert result.exit_code == ExitCode.OK, result.stderr
    assert (
        "note: billing_phone: 80 contacts (50.0%) forecast outside opening hours dropped (outside_hours: drop)"
        in result.stdout + result.stderr
    )
    table = pd.read_csv(out)
    table = table[table["work_type"] == "billing_phone"].reset_index(drop=True)
    closed = pd.to_datetime(table["interval_start"], utc=True) < pd.Timestamp("2026-03-02 08:00", tz="Europe/London")
    assert closed.sum() == 8
    assert (table.loc[closed, "required_agents"] == 0).all() and (table.loc[~closed, "required_agents"] > 0).all()

"""The `wfm` command line: exit codes, messages that name the place and the fix, and nothing written on error."""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from forecasting import CANDIDATES
from models import load_center
from wfm import cli, commands, render
from wfm.exit_codes import ExitCode

runner = CliRunner()


def wfm(*args: str | Path) -> tuple[int, str, str]:
    result = runner.invoke(cli.app, [str(a) for a in args])
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """The S demo, its loop and diagnosis kept short: the folder and what it printed."""
    out = tmp_path_factory.mktemp("demo")
    code, stdout, stderr = wfm(
        "demo", "--size", "S", "--history-weeks", "3", "--time-limit", "2", "--loop-budget", "8", "--out", out
    )
    assert code == ExitCode.OK, stderr
    return out, stdout


@pytest.fixture(scope="module")
def demo_dir(demo_run: tuple[Path, str]) -> Path:
    return demo_run[0]


def test_help_lists_the_commands() -> None:
    code, stdout, _ = wfm("--help")
    assert code == ExitCode.OK
    assert "demo" in stdout and "validate" in stdout


def test_demo_writes_a_centre_and_history_that_validate(demo_dir: Path) -> None:
    expected = [
        "assignment",
        "calendars",
        "center.yaml",
        "coverage.csv",
        "coverage.png",
        "forecast.csv",
        "forecast.png",
        "gantt.png",
        "history.csv",
        "intraday",
        "report.html",
        "requirement.csv",
        "requirement.png",
        "roster.csv",
        "simulation",
        "summary.json",
    ]
    assert sorted(p.name for p in demo_dir.iterdir()) == expected
    code, stdout, stderr = wfm("validate", "--center", demo_dir / "center.yaml", "--history", demo_dir / "history.csv")
    assert code == ExitCode.OK, stderr
    assert "center.yaml: OK" in stdout
    assert "history.csv: OK" in stdout
    assert "one row per ticket" in stdout
    assert "billing_phone" in stdout


def test_demo_re_plans_its_tuesday_morning(demo_dir: Path, demo_run: tuple[Path, str]) -> None:
    folder = demo_dir / "intraday"
    assert sorted(p.name for p in folder.iterdir()) == ["absences.csv", "actuals.csv", "open_tickets.csv", "replan"]
    assert sorted(p.name for p in (folder / "replan").iterdir()) == [
        "assignment.csv",
        "changes.csv",
        "coverage.csv",
        "reforecast.csv",
        "roster.csv",
        "summary.json",
    ]
    summary = json.loads((folder / "replan" / "summary.json").read_text())
    assert summary["changes"]["absences"] == 2 and summary["changes"]["count"] <= 15
    assert set(summary["simulated_service_level"]["after"]) == set(summary["reforecast"])
    assert "Intraday re-plan" in demo_run[1]
    # The supervisor's command on the demo's files, as the README shows it.
    code, stdout, stderr = wfm(
        "intraday",
        "--center",
        demo_dir / "center.yaml",
        "--roster",
        demo_dir / "roster.csv",
        "--forecast",
        demo_dir / "forecast.csv",
        "--actuals",
        folder / "actuals.csv",
        "--absences",
        folder / "absences.csv",
        "--at",
        "2026-03-24T10:30",
        "--time-limit",
        "2",
        "--replications",
        "0",
        "--out",
        folder / "again",
    )
    assert code == ExitCode.OK, stderr
    assert "Re-plan of 2026-03-24 from 10:30" in stdout


def test_demo_simulates_its_roster_next_to_the_erlang_estimate(demo_dir: Path) -> None:
    folder = demo_dir / "simulation"
    expected = ["agents.csv", "comparison.csv", "intervals.csv", "priorities.csv", "summary.json", "work_types.csv"]
    assert sorted(p.name for p in folder.iterdir()) == expected
    comparison = pd.read_csv(folder / "comparison.csv")
    realtime = comparison.dropna(subset=["planned_service_level"])
    assert len(realtime) > 0
    assert realtime["simulated_service_level"].between(0, 1).all()
    intervals = pd.read_csv(folder / "intervals.csv")
    total = intervals["answered"] + intervals["abandoned"] + intervals["unresolved"]
    assert np.allclose(total, intervals["offered"])
    assert intervals["offered"].sum() > 100


def test_demo_assigns_the_open_tickets_of_its_snapshot(demo_dir: Path) -> None:
    folder = demo_dir / "assignment"
    assert sorted(p.name for p in folder.iterdir()) == ["assignment.csv", "assignment.json", "open_tickets.csv"]
    tickets = pd.read_csv(folder / "open_tickets.csv")
    table = pd.read_csv(folder / "assignment.csv")
    assert len(tickets) > 0 and table["ticket_id"].tolist() == tickets["ticket_id"].tolist()
    summary = json.loads((folder / "assignment.json").read_text())
    assert summary["method"] == "optimal" and 0 <= summary["gap"] <= 1
    assert set(summary["compared"]) == {"fifo-round-robin", "priority-least-loaded"}


def test_assign_command_compares_the_dispatch_rules_and_rejects_a_bad_moment(demo_dir: Path, tmp_path: Path) -> None:
    folder = demo_dir / "assignment"
    args = ["--tickets", folder / "open_tickets.csv", "--roster", demo_dir / "roster.csv"]
    args += ["--center", demo_dir / "center.yaml", "--time-limit", "2"]
    code, stdout, stderr = wfm("assign", *args, "--at", "2026-03-24T11:00", "--out", tmp_path / "a.csv")
    assert code == ExitCode.OK, stderr
    assert "Assignment (optimal)" in stdout and "priority-least-loaded" in stdout and "fifo-round-robin" in stdout
    assert (tmp_path / "a.csv").is_file() and (tmp_path / "a.json").is_file()
    code, _, stderr = wfm("assign", *args, "--at", "Tuesday late", "--out", tmp_path / "b.csv")
    assert code == ExitCode.BAD_INPUT and "--at" in stderr and "2026-03-23T10:30" in stderr
    assert not (tmp_path / "b.csv").exists()
    code, _, stderr = wfm("assign", *args, "--at", "2026-03-24T11:00", "--method", "magic", "--out", tmp_path / "c.csv")
    assert code == ExitCode.BAD_INPUT and "fifo-round-robin" in stderr


def test_simulate_command_writes_its_tables_and_rejects_a_foreign_agent(demo_dir: Path, tmp_path: Path) -> None:
    args = ["--center", demo_dir / "center.yaml", "--forecast", demo_dir / "forecast.csv", "--replications", "2"]
    code, stdout, stderr = wfm("simulate", "--roster", demo_dir / "roster.csv", *args, "--out", tmp_path / "ok")
    assert code == ExitCode.OK, stderr
    assert "Simulation: 2 replications" in stdout and "billing_phone" in stdout
    summary = json.loads((tmp_path / "ok" / "summary.json").read_text())
    assert summary["replications"] == 2 and 0 <= summary["service_level"] <= 1
    roster = pd.read_csv(demo_dir / "roster.csv")
    roster.loc[0, "agent_id"] = "nobody"
    bad = tmp_path / "bad-roster.csv"
    roster.to_csv(bad, index=False)
    code, _, stderr = wfm("simulate", "--roster", bad, *args, "--out", tmp_path / "bad")
    assert code == ExitCode.BAD_INPUT
    assert "nobody" in stderr and "agent_id" in stderr
    assert not (tmp_path / "bad").exists()


def test_demo_roster_passes_the_independent_check(demo_dir: Path) -> None:
    code, stdout, stderr = wfm(
        "check-roster",
        "--roster",
        demo_dir / "roster.csv",
        "--center",
        demo_dir / "center.yaml",
        "--requirement",
        demo_dir / "requirement.csv",
        "--coverage",
        demo_dir / "coverage.csv",
    )
    assert code == ExitCode.OK, stdout + stderr
    assert "roster valid" in stdout
    agents = {p.stem for p in (demo_dir / "calendars").iterdir()}
    assert agents and agents <= {line.split(",")[0] for line in (demo_dir / "roster.csv").read_text().splitlines()[1:]}


def test_demo_prints_a_summary(demo_run: tuple[Path, str]) -> None:
    stdout = demo_run[1]
    assert "Demo centre size S" in stdout
    assert "agents" in stdout and "work types" in stdout
    assert "Expected volume in the plan week" in stdout
    assert "Forecast 2026-03-23 + 7 days (Europe/London)" in stdout
    assert "Roster: " in stdout and "validator: passed" in stdout
    assert "loop 0:" in stdout and "simulation in the loop:" in stdout
    assert "Capacity diagnosis" in stdout


def test_demo_plan_promises_what_its_check_simulates_and_diagnoses_by_work_type(demo_dir: Path) -> None:
    """summary.json: the promise per work type (the loop's simulation), the loop's iterations, and a diagnosis
    keyed by short work type; the check simulation's comparison sets the promise beside its own figure."""
    summary = json.loads((demo_dir / "summary.json").read_text())
    center = load_center(demo_dir / "center.yaml")
    ids = [w.id for w in center.work_types]
    assert sorted(summary["promised_service_level"]) == sorted(ids)
    loop = summary["simulation_in_the_loop"]
    assert loop["iterations"] and 0 <= loop["chosen_iteration"] < len(loop["iterations"])
    assert set(summary["diagnosis"]) <= set(ids)
    for work_type, entry in summary["diagnosis"].items():
        assert entry["shortfall_agent_hours"] >= 0 and entry["binding"] and entry["reason"]
        assert entry["simulated_service_level"] < center.work_type(work_type).target.service_level
    comparison = pd.read_csv(demo_dir / "simulation" / "comparison.csv")
    promised = {w: v["mean"] for w, v in summary["promised_service_level"].items()}
    assert comparison.set_index("work_type")["planned_service_level"].to_dict() == pytest.approx(
        {w: promised[w] for w in comparison["work_type"]}, nan_ok=True
    )
    requirement = pd.read_csv(demo_dir / "requirement.csv")
    assert "aht_factor" in requirement and (requirement["aht_factor"] > 0).all()
    report = (demo_dir / "report.html").read_text()
    for heading in ("Service level: promised and simulated", "Simulation in the loop", "Capacity diagnosis"):
        assert heading in report


def test_demo_into_a_file_is_bad_input_and_writes_nothing(tmp_path: Path) -> None:
    target = tmp_path / "not-a-folder"
    target.write_text("keep me")
    code, _, stderr = wfm("demo", "--size", "S", "--history-weeks", "3", "--time-limit", "2", "--out", target)
    assert code == ExitCode.BAD_INPUT
    assert "is a file, not a folder" in stderr and "Fix:" in stderr
    assert target.read_text() == "keep me"


def test_history_alone_is_checked_and_the_time_zone_assumption_stated(demo_dir: Path) -> None:
    code, stdout, stderr = wfm("validate", "--history", demo_dir / "history.csv")
    assert code == ExitCode.OK, stderr
    assert "history.csv: OK" in stdout
    # The demo history carries UTC offsets, so no assumption is needed; a naive file states one (below).
    assert "naive" not in stderr


def test_naive_history_states_how_it_was_read(tmp_path: Path) -> None:
    history = tmp_path / "naive.csv"
    history.write_text("created_at,work_type\n2026-03-02 09:00:00,billing\n2026-03-02 09:05:00,billing\n")
    code, stdout, stderr = wfm("validate", "--history", history, "--tz", "Europe/London")
    assert code == ExitCode.OK, stderr
    assert "read as local time in Europe/London" in stderr


def test_unused_agent_skill_is_a_warning_not_an_error(demo_dir: Path, tmp_path: Path) -> None:
    text = (demo_dir / "center.yaml").read_text()
    text = text.replace("skills:\n- id: billing\n", "skills:\n- id: billing\n- id: french\n", 1)
    text = text.replace("  skills:\n  - skill: billing\n", "  skills:\n  - skill: french\n  - skill: billing\n", 1)
    center = tmp_path / "center.yaml"
    center.write_text(text)
    code, stdout, stderr = wfm("validate", "--center", center)
    assert code == ExitCode.OK, stderr
    assert "warning:" in stderr and "'french' that no work type requires" in stderr


@pytest.mark.parametrize(
    ("name", "content", "expected"),
    [
        ("h.csv", "opened,work_type\n2026-03-02 09:00,billing_phone\n", "missing required column"),
        ("h.csv", "created_at,work_type\n2026-03-02 09:00,billing_phone\nyesterday,billing_phone\n", "row 2 (line 3)"),
        ("h.csv", "created_at,work_type\n2026-03-02 09:00,billing_fone\n", "'billing_fone' is not a work type"),
        ("h.csv", "created_at,work_type,handle_time_s\n2026-03-02 09:00,billing_phone,-4\n", "handle_time_s"),
        ("h.csv", "created_at,work_type\n", "has no rows"),
        ("h.xlsx", "created_at,work_type\n", "is not a table format"),
        ("h.csv", "created_at,work_type\n2026-03-29 01:30,billing_phone\n", "does not exist in Europe/London"),
    ],
)
def test_bad_history_exits_2_naming_file_place_and_fix(
    demo_dir: Path, tmp_path: Path, name: str, content: str, expected: str
) -> None:
    history = tmp_path / name
    history.write_text(content)
    code, stdout, stderr = wfm("validate", "--center", demo_dir / "center.yaml", "--history", history)
    assert code == ExitCode.BAD_INPUT
    assert str(history) in stderr
    assert expected in stderr
    assert "Fix:" in stderr
    assert "OK" not in stdout


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("- just\n- a list\n", "must be a YAML mapping"),
        ("", "not an empty file"),
        ("name: [unclosed\n", "line 2, column 1: is not valid YAML"),
    ],
)
def test_bad_center_exits_2(tmp_path: Path, content: str, expected: str) -> None:
    center = tmp_path / "center.yaml"
    center.write_text(content)
    code, _, stderr = wfm("validate", "--center", center)
    assert code == ExitCode.BAD_INPUT
    assert str(center) in stderr and expected in stderr


def test_duplicate_agent_id_names_line_and_path(demo_dir: Path, tmp_path: Path) -> None:
    text = (demo_dir / "center.yaml").read_text().replace("- id: a0002\n", "- id: a0001\n", 1)
    center = tmp_path / "center.yaml"
    center.write_text(text)
    code, _, stderr = wfm("validate", "--center", center)
    assert code == ExitCode.BAD_INPUT
    assert "agents[1].id: duplicate id 'a0001' (also agents[0])" in stderr
    assert "line " in stderr and "Fix:" in stderr


def test_column_mapping_and_single_work_type_flags(tmp_path: Path) -> None:
    history = tmp_path / "calls.csv"
    history.write_text("start,calls\n2026-03-02 09:00,4\n2026-03-02 09:06,5\n2026-03-02 09:12,0\n")
    code, stdout, stderr = wfm(
        "validate", "--history", history, "--tz", "Asia/Jerusalem",
        "--column", "interval_start=start", "--column", "volume=calls", "--work-type", "all",
    )  # fmt: skip
    assert code == ExitCode.OK, stderr
    assert "counts per 6 min" in stdout


@pytest.mark.parametrize(
    "args",
    [
        ("validate",),
        ("validate", "--history", "h.csv", "--column", "no-equals-sign"),
        ("validate", "--history", "h.csv", "--tz", "Mars/Olympus_Mons"),
    ],
)
def test_usage_mistakes_exit_2(tmp_path: Path, args: tuple[str, ...]) -> None:
    (tmp_path / "h.csv").write_text("created_at,work_type\n2026-03-02 09:00,billing\n")
    full = [str(tmp_path / a) if a == "h.csv" else a for a in args]
    code, _, stderr = wfm(*full)
    assert code == ExitCode.BAD_INPUT
    assert "Fix:" in stderr


def test_internal_error_exits_1_with_a_plain_message(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(commands.forecast, "check_inputs", broken)
    code, _, stderr = wfm("validate", "--history", tmp_path / "h.csv")
    assert code == ExitCode.INTERNAL_ERROR
    assert "internal error: RuntimeError: boom" in stderr


def test_forecast_from_a_centre_writes_the_forecast_contract(demo_dir: Path, tmp_path: Path) -> None:
    from models import FORECAST, read_table

    out, picture = tmp_path / "forecast.csv", tmp_path / "forecast.png"
    code, stdout, stderr = wfm(
        "forecast", "--history", demo_dir / "history.csv", "--center", demo_dir / "center.yaml",
        "--days", "2", "--interval-minutes", "30", "--out", out, "--plot", picture,
    )  # fmt: skip
    assert code == ExitCode.OK, stderr
    table = read_table(out, FORECAST, timezone="Europe/London")
    assert table["work_type"].nunique() == 7
    assert len(table) == 2 * 48 * 7  # two ordinary days of 30-min intervals for 7 work types
    assert (table["volume_p10"] <= table["volume_p90"]).all()
    assert picture.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "backtest WAPE" in stdout


def test_forecast_from_history_alone_takes_zone_and_holidays_from_flags(demo_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "forecast.csv"
    code, stdout, stderr = wfm(
        "forecast", "--history", demo_dir / "history.csv", "--tz", "Europe/London", "--country", "GB",
        "--start", "2026-03-23", "--days", "1", "--out", out,
    )  # fmt: skip
    assert code == ExitCode.OK, stderr
    assert out.read_text().startswith("interval_start,work_type,volume,volume_p10,volume_p50,volume_p90,aht_s")
    assert "(Europe/London)" in stdout


@pytest.mark.parametrize(
    ("extra", "expected"),
    [
        (("--start", "2026-03-01"), "is inside the history"),
        (("--start", "next monday"), "is not a date"),
        (("--interval-minutes", "7"), "does not split an hour"),
        (("--tz", "Europe/London"), "given together with --center"),
    ],
)
def test_bad_forecast_requests_exit_2_and_write_nothing(
    demo_dir: Path, tmp_path: Path, extra: tuple[str, ...], expected: str
) -> None:
    out = tmp_path / "forecast.csv"
    args = ["forecast", "--history", demo_dir / "history.csv", "--center", demo_dir / "center.yaml", "--out", out]
    code, _, stderr = wfm(*args, *extra)
    assert code == ExitCode.BAD_INPUT, stderr
    assert expected in stderr and "Fix:" in stderr
    assert not out.exists()


def test_backtest_writes_metrics_per_work_type_and_model(demo_dir: Path, tmp_path: Path) -> None:
    import pandas as pd

    out = tmp_path / "metrics.csv"
    code, stdout, stderr = wfm(
        "backtest", "--history", demo_dir / "history.csv", "--center", demo_dir / "center.yaml",
        "--folds", "1", "--horizon-days", "3", "--out", out,
    )  # fmt: skip
    assert code == ExitCode.OK, stderr
    metrics = pd.read_csv(out)
    models = {*CANDIDATES, "selected"}
    assert set(metrics["model"]) == models
    assert metrics["work_type"].nunique() == 8  # seven work types and the total
    naive = metrics[metrics["model"] == "seasonal_naive"]
    assert (naive["ratio_to_naive"] == 1).all()
    assert metrics.loc[metrics["model"] == "selected", "selected_model"].str.len().gt(0).all()
    assert "Poisson floor" in stdout


@pytest.mark.parametrize(
    ("origins", "expected"),
    [("2026-03-01,someday", "'someday' is not a date"), ("2026-03-20", "runs past the history's end")],
)
def test_bad_backtest_origins_exit_2(demo_dir: Path, tmp_path: Path, origins: str, expected: str) -> None:
    out = tmp_path / "metrics.csv"
    code, _, stderr = wfm(
        "backtest", "--history", demo_dir / "history.csv", "--center", demo_dir / "center.yaml",
        "--origins", origins, "--out", out,
    )  # fmt: skip
    assert code == ExitCode.BAD_INPUT, stderr
    assert expected in stderr
    assert not out.exists()


def test_requirements_from_a_forecast(demo_dir: Path, tmp_path: Path) -> None:
    from models import REQUIREMENT, read_table

    out, picture = tmp_path / "requirement.csv", tmp_path / "requirement.png"
    code, stdout, stderr = wfm(
        "requirements", "--forecast", demo_dir / "forecast.csv", "--center", demo_dir / "center.yaml",
        "--plan-on", "p90", "--shrinkage", "0.2", "--out", out, "--plot", picture,
    )  # fmt: skip
    assert code == ExitCode.OK, stderr
    table = read_table(out, REQUIREMENT, timezone="Europe/London")
    assert set(table["method"]) == {"erlang_a", "chat", "deferred"}
    assert (table["shrinkage"] == 0.2).all()
    assert (table["required_agents_with_shrinkage"] - table["required_agents"] / 0.8).abs().max() < 1e-9
    realtime = table[table["method"] != "deferred"]
    assert (realtime.loc[realtime["volume"] > 0, "expected_service_level"] > 0).all()
    assert picture.read_bytes()[:4] == b"\x89PNG"
    assert "Peak:" in stdout


def test_requirements_refuse_a_forecast_of_another_centre(demo_dir: Path, tmp_path: Path) -> None:
    forecast = tmp_path / "forecast.csv"
    forecast.write_text(
        "interval_start,work_type,volume,volume_p10,volume_p50,volume_p90,aht_s\n"
        "2026-03-23T09:00:00+00:00,parcels,4,2,4,6,300\n2026-03-23T09:15:00+00:00,parcels,4,2,4,6,300\n"
    )
    out = tmp_path / "requirement.csv"
    code, _, stderr = wfm("requirements", "--forecast", forecast, "--center", demo_dir / "center.yaml", "--out", out)
    assert code == ExitCode.BAD_INPUT
    assert "parcels are not work types of the centre" in stderr and "Fix:" in stderr
    assert not out.exists()


# -- history files as exported: the same options wherever history is read -------------------------------------------

HISTORY_OPTIONS = {"--history-tz", "--column", "--ignore-column", "--exclude", "--time-format", "--work-type"}


@pytest.mark.parametrize("command", ["validate", "forecast", "backtest", "plan", "simulate"])
def test_every_command_that_reads_history_takes_the_same_history_options(command: str) -> None:
    import typer

    group = typer.main.get_command(cli.app)
    options = {name for param in group.commands[command].params for name in param.opts}  # type: ignore[attr-defined]
    assert HISTORY_OPTIONS <= options


def _raw_export(demo_dir: Path, path: Path) -> Path:
    """The demo history as an ACD would export it: local date and clock time apart, the queue under another
    name, a priority column of zeros, ids that repeat, and test calls to leave out."""
    history = pd.read_csv(demo_dir / "history.csv", dtype=str)
    local = pd.to_datetime(history["created_at"], format="ISO8601", utc=True).dt.tz_convert("Europe/London")
    raw = pd.DataFrame(
        {
            "call_id": (np.arange(len(history)) % 1_000).astype(str),
            "priority": "0",
            "queue": history["work_type"],
            "day": local.dt.strftime("%d/%m/%Y"),
            "clock": local.dt.strftime("%H:%M:%S.%f"),
            "outcome": "ANSWERED",
            "talk_s": history["handle_time_s"],
        }
    )
    tests = raw.iloc[:25].assign(queue="no_such_queue", outcome="TEST")
    pd.concat([raw, tests]).to_csv(path, index=False)
    return path


RAW_OPTIONS = (
    "--column", "created_at=day+clock", "--column", "work_type=queue", "--column", "ticket_id=call_id",
    "--column", "handle_time_s=talk_s",
    "--time-format", "%d/%m/%Y %H:%M:%S.%f", "--ignore-column", "priority", "--exclude", "outcome=TEST",
)  # fmt: skip


def test_forecast_of_a_raw_export_equals_that_of_the_clean_file(demo_dir: Path, tmp_path: Path) -> None:
    raw = _raw_export(demo_dir, tmp_path / "export.csv")
    center = demo_dir / "center.yaml"
    common = ("--center", center, "--start", "2026-03-23", "--days", "1")
    code, _, stderr = wfm("forecast", "--history", demo_dir / "history.csv", *common, "--out", tmp_path / "clean.csv")
    assert code == ExitCode.OK, stderr
    code, _, stderr = wfm("forecast", "--history", raw, *common, *RAW_OPTIONS, "--out", tmp_path / "raw.csv")
    assert code == ExitCode.OK, stderr
    assert (tmp_path / "raw.csv").read_text() == (tmp_path / "clean.csv").read_text()
    assert "25 of " in stderr and "rows were excluded (25 by outcome=TEST)" in stderr
    assert "repeat an earlier row's ticket_id" in stderr
    # Without ignoring it, the export's priority of 0 is refused, naming the place and the fix.
    options = [o for o in RAW_OPTIONS if o not in ("--ignore-column", "priority")]
    code, _, stderr = wfm("forecast", "--history", raw, *common, *options, "--out", tmp_path / "no.csv")
    assert code == ExitCode.BAD_INPUT
    assert "column 'priority'" in stderr and "Fix:" in stderr


def test_plan_reads_a_raw_export_with_the_same_options(demo_dir: Path, tmp_path: Path) -> None:
    raw = _raw_export(demo_dir, tmp_path / "export.csv")
    out = tmp_path / "plan"
    code, _, stderr = wfm(
        "plan", "--history", raw, "--center", demo_dir / "center.yaml", "--start", "2026-03-23", "--days", "1",
        "--time-limit", "2", "--loop-budget", "0", "--no-remedies", *RAW_OPTIONS, "--out", out,
    )  # fmt: skip
    assert code == ExitCode.OK, stderr
    assert (out / "roster.csv").is_file()
    assert "rows were excluded (25 by outcome=TEST)" in stderr


def test_history_warnings_are_printed(demo_dir: Path, tmp_path: Path) -> None:
    history = pd.read_csv(demo_dir / "history.csv", dtype=str)
    doubled = tmp_path / "doubled.csv"
    pd.concat([history, history.iloc[::8]]).to_csv(doubled, index=False)
    code, stdout, stderr = wfm("validate", "--center", demo_dir / "center.yaml", "--history", doubled)
    assert code == ExitCode.OK, stderr
    assert f"warning: {doubled}: {len(history.iloc[::8]):,} row(s) repeat an earlier row in every column" in stderr


def test_history_options_without_a_replay_are_refused(demo_dir: Path, tmp_path: Path) -> None:
    code, _, stderr = wfm(
        "simulate", "--roster", demo_dir / "roster.csv", "--center", demo_dir / "center.yaml",
        "--forecast", demo_dir / "forecast.csv", "--ignore-column", "priority", "--out", tmp_path / "sim",
    )  # fmt: skip
    assert code == ExitCode.BAD_INPUT
    assert "read a --replay file" in stderr and "Fix: give --replay" in stderr
    assert not (tmp_path / "sim").exists()


def test_simulate_replays_a_raw_export_read_with_the_history_options(demo_dir: Path, tmp_path: Path) -> None:
    """The history's last week moved onto the roster's week, once clean and once as an export: the same replay."""
    history = pd.read_csv(demo_dir / "history.csv", dtype=str)
    created = pd.to_datetime(history["created_at"], format="ISO8601", utc=True).dt.tz_convert("Europe/London")
    week = created >= created.max().normalize() - pd.Timedelta(days=6)
    moved = created[week] + pd.Timedelta(days=7)
    columns = ["created_at", "work_type", "ticket_id", "handle_time_s"]  # what the export below carries
    clean = history.loc[week, columns].assign(created_at=moved.map(pd.Timestamp.isoformat))
    clean.to_csv(tmp_path / "clean.csv", index=False)
    export = pd.DataFrame(
        {
            "call_id": clean["ticket_id"],
            "priority": "0",
            "queue": clean["work_type"],
            "day": moved.dt.strftime("%d/%m/%Y"),
            "clock": moved.dt.strftime("%H:%M:%S.%f"),
            "talk_s": clean["handle_time_s"],
            "outcome": "ANSWERED",
        }
    )
    export.to_csv(tmp_path / "export.csv", index=False)
    args = ["--roster", demo_dir / "roster.csv", "--center", demo_dir / "center.yaml", "--replications", "1"]
    code, _, stderr = wfm("simulate", *args, "--replay", tmp_path / "clean.csv", "--out", tmp_path / "a")
    assert code == ExitCode.OK, stderr
    code, _, stderr = wfm("simulate", *args, "--replay", tmp_path / "export.csv", *RAW_OPTIONS, "--out", tmp_path / "b")
    assert code == ExitCode.OK, stderr
    assert (tmp_path / "b" / "work_types.csv").read_text() == (tmp_path / "a" / "work_types.csv").read_text()


def test_the_roster_summary_gives_deferred_work_its_share_done_in_time(capsys: pytest.CaptureFixture[str]) -> None:
    kpis = {
        "expected_service_level": {"calls": 0.851, "mail": None},
        "deferred_work_in_time": {"mail": 0.97},
        "understaffed_agent_hours": {"phone": 1.0},
        "shifts": 3,
        "agents_rostered": 2,
        "paid_hours": 24.0,
        "paid_cost": 480.0,
    }
    result = SimpleNamespace(
        interrupted=False, status="FEASIBLE", objective=1.0, best_bound=0.5, gap=0.5, solve_time_s=1.0,
        first_solution_s=0.1, breakdown={}, kpis=kpis,
    )  # fmt: skip
    render.print_roster(SimpleNamespace(result=result, files=[]))  # type: ignore[arg-type]
    out = " ".join(capsys.readouterr().out.split())
    assert "Expected service level: calls 85%, mail 97% in time." in out

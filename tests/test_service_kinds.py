"""The service's job kinds other than roster and plan, each run for real in the worker processes through the test
client on a tiny centre (three agents, one phone queue, Europe/London, a 60-min grid, Monday 2026-06-01):
forecast -> requirements, simulate, assign, intraday (and applying its re-plan, which dispatch then uses) and
scenarios; each compared with the command line's job function on the same inputs where it has figures; and the
parameters refused at submission (422 naming the field, nothing queued) and the roles refused (403)."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from fastapi.testclient import TestClient

from models import FORECAST, REQUIREMENT, ROSTER, write_table
from planner.jobs import run_simulation
from planner.simulation import SimulationSettings
from planner.staffing import requirement_table
from service.jobs import FINISHED
from service.store import Store
from service.tables import read_csv_text
from tests.roster_helpers import MONDAY, TZ, agent, at, build_center
from tests.service_helpers import bearer
from tests.test_service_jobs import jobs_stored, upload, wait_for

CENTER = build_center([agent("a"), agent("b"), agent("c")])
#: Monday's calls an hour (06:00-22:00) in the forecast: about one agent busy all day.
CALLS_PER_HOUR = 12.0


def shift(agent_id: str, start: str, end: str, template_id: str) -> dict[str, Any]:
    return {
        "agent_id": agent_id,
        "date": MONDAY.isoformat(),
        "start": at(MONDAY, start).isoformat(),
        "end": at(MONDAY, end).isoformat(),
        "shift_template": template_id,
        "breaks": "[]",
        "paid_minutes": 480,
    }


#: Monday as published: a and b 06:00-14:00, c 14:00-22:00.
ROSTER_CSV = pd.DataFrame(
    [shift("a", "06:00", "14:00", "early"), shift("b", "06:00", "14:00", "early"), shift("c", "14:00", "22:00", "late")]
).to_csv(index=False)


def monday_forecast() -> pd.DataFrame:
    grid = CENTER.horizon(MONDAY, 1).intervals
    hour = grid.tz_convert(TZ).hour
    volume = np.where((hour >= 6) & (hour < 22), CALLS_PER_HOUR, 0.0)
    frame = pd.DataFrame({"interval_start": grid, "work_type": "calls", "volume": volume, "aht_s": 300.0})
    for column in ("volume_p10", "volume_p50", "volume_p90"):
        frame[column] = frame["volume"]
    return frame


def three_weeks_of_calls() -> str:
    """Hourly counts of calls over the three weeks before Monday (seeded Poisson, busier by day), as CSV."""
    grid = CENTER.horizon(MONDAY - pd.Timedelta(days=21), 21).intervals
    hour = grid.tz_convert(TZ).hour
    rate = np.where((hour >= 6) & (hour < 22), 10.0, 1.0)
    counts = np.random.default_rng(7).poisson(rate)
    frame = pd.DataFrame({"interval_start": [t.isoformat() for t in grid], "work_type": "calls", "volume": counts})
    return str(frame.to_csv(index=False))


def actuals_until_ten() -> str:
    """Monday's calls so far at 10:00: one every 4 minutes from 06:00 (15 an hour, a little above forecast)."""
    calls = [at(MONDAY, "06:00") + pd.Timedelta(minutes=4 * k) for k in range(60)]
    return str(pd.DataFrame({"created_at": [c.isoformat() for c in calls], "work_type": "calls"}).to_csv(index=False))


def tickets_csv(created: str, *ids: str) -> str:
    rows = [{"ticket_id": i, "work_type": "calls", "created_at": at(MONDAY, created).isoformat()} for i in ids]
    return str(pd.DataFrame(rows).to_csv(index=False))


class Centre:
    """The tiny centre in the store, with its users' headers and what was uploaded."""

    def __init__(self, client: TestClient, store: Store, tmp: Path) -> None:
        self.client, self.tmp = client, tmp
        self.planner = bearer(store.add_user("pat", "planner"))
        self.supervisor = bearer(store.add_user("sam", "supervisor"))
        self.analyst = bearer(store.add_user("ann", "analyst"))
        self.viewer = bearer(store.add_user("vic", "viewer"))
        self.id = upload(client, self.planner, CENTER)

    def post(self, path: str, headers: dict[str, str], **kwargs: Any) -> Any:
        response = self.client.post(path, headers=headers, **kwargs)
        assert response.status_code in (200, 201, 202), response.text
        return response.json()

    def upload_table(self, kind: str, text: str, name: str) -> int:
        files = {"file": (name, text.encode(), "text/csv")}
        return int(self.post(f"/api/centers/{self.id}/{kind}", self.planner, files=files)["id"])

    def forecast(self) -> int:
        text = write_table(monday_forecast(), FORECAST, self.tmp / "forecast.csv").read_text()
        return self.upload_table("forecasts", text, "forecast.csv")

    def roster(self, publish: bool = False) -> int:
        roster_id = int(self.post(f"/api/centers/{self.id}/rosters", self.planner, json={"csv": ROSTER_CSV})["id"])
        if publish:
            self.post(f"/api/rosters/{roster_id}/publish", self.planner)
        return roster_id

    def run(self, kind: str, params: dict[str, Any], headers: dict[str, str]) -> dict[str, Any]:
        """Submit a job and wait for its end: its status, with its whole result."""
        job_id = self.post(f"/api/jobs/{kind}", headers, json=params)["id"]
        job = wait_for(self.client, job_id, headers, FINISHED)
        assert job["status"] == "done", job
        job["result"] = self.client.get(f"/api/jobs/{job_id}/result", headers=headers).json()["result"]
        for name in self.files(job_id):  # no temporary path of the job's in what it keeps
            assert b"/wfm-" not in self.file(job_id, name), name
        assert "/wfm-" not in json.dumps(job["result"])
        return job

    def file(self, job_id: str, name: str) -> bytes:
        response = self.client.get(f"/api/jobs/{job_id}/files/{name}", headers=self.viewer)
        assert response.status_code == 200, response.text
        return bytes(response.content)

    def files(self, job_id: str) -> list[str]:
        return sorted(self.client.get(f"/api/jobs/{job_id}/files", headers=self.viewer).json()["files"])


@pytest.fixture
def centre(client: TestClient, store: Store, tmp_path: Path) -> Centre:
    return Centre(client, store, tmp_path)


def dataset(centre: Centre, dataset_id: int, kind: str, schema: Any) -> pd.DataFrame:
    described = centre.client.get(f"/api/datasets/{dataset_id}", headers=centre.viewer).json()
    assert (described["kind"], described["center_id"]) == (kind, centre.id)
    text = centre.client.get(f"/api/datasets/{dataset_id}.csv", headers=centre.viewer).text
    return read_csv_text(text, schema, f"{kind} {dataset_id}", TZ)


def test_a_forecast_job_stores_the_forecast_and_a_requirements_job_staffs_it(centre: Centre) -> None:
    history = centre.upload_table("histories", three_weeks_of_calls(), "history.csv")
    params = {"center_id": centre.id, "history_id": history, "start": "2026-06-01", "days": 2}
    job = centre.run("forecast", params, centre.analyst)
    assert job["progress"]["stage"] == "storing"
    result = job["result"]
    assert (result["start"], result["days"], result["interval_minutes"]) == ("2026-06-01", 2, 60)
    forecast = dataset(centre, result["forecast_id"], "forecast", FORECAST)
    starts = pd.DatetimeIndex(forecast["interval_start"]).tz_convert(TZ)
    assert len(forecast) == 48 and set(forecast["work_type"]) == {"calls"}
    assert (starts.min(), starts.max()) == (at(MONDAY, "00:00"), at(MONDAY, "00:00") + pd.Timedelta(hours=47))
    assert (forecast["volume"] >= 0).all() and forecast["volume"].sum() > 0
    assert centre.files(job["id"]) == ["forecast.csv"]
    from_file = read_csv_text(centre.file(job["id"], "forecast.csv").decode(), FORECAST, "forecast.csv", TZ)
    pd.testing.assert_frame_equal(from_file, forecast)

    job = centre.run("requirements", {"center_id": centre.id, "forecast_id": result["forecast_id"]}, centre.planner)
    requirement = dataset(centre, job["result"]["requirement_id"], "requirement", REQUIREMENT)
    expected = requirement_table(forecast, CENTER)  # what `wfm requirements` computes of that forecast
    np.testing.assert_array_equal(requirement["required_agents_int"], expected["required_agents_int"])
    assert requirement["required_agents_int"].sum() > 0
    assert centre.files(job["id"]) == ["requirement.csv"]


def test_a_simulation_job_reports_its_replications_and_keeps_the_command_s_files(
    centre: Centre, tmp_path: Path
) -> None:
    roster_id, forecast_id = centre.roster(), centre.forecast()
    params = {"roster_id": roster_id, "forecast_id": forecast_id, "replications": 4, "seed": 3}
    job = centre.run("simulate", params, centre.supervisor)
    assert job["progress"] == {"replications_done": 4, "replications": 4}
    names = ["agents.csv", "intervals.csv", "priorities.csv", "summary.json", "work_types.csv"]
    assert centre.files(job["id"]) == names == job["result"]["files"]
    # The figures of `wfm simulate` on the same roster, forecast and seed.
    (tmp_path / "roster.csv").write_text(ROSTER_CSV)
    write_table(monday_forecast(), FORECAST, tmp_path / "forecast.csv")
    direct = run_simulation(
        tmp_path / "roster.csv",
        CENTER,
        tmp_path / "out",
        forecast=tmp_path / "forecast.csv",
        settings=SimulationSettings(replications=4, seed=3),
    )
    assert job["result"]["summary"]["replications"] == 4
    assert job["result"]["summary"]["service_level"] == pytest.approx(direct.result.summary["service_level"])
    assert centre.file(job["id"], "work_types.csv") == (tmp_path / "out" / "work_types.csv").read_bytes()


def test_a_simulation_job_replays_a_stored_history_from_a_moment(centre: Centre) -> None:
    history = centre.upload_table("histories", actuals_until_ten(), "history.csv")
    params = {"roster_id": centre.roster(), "history_id": history, "start_at": "2026-06-01T08:00", "replications": 2}
    result = centre.run("simulate", params, centre.analyst)["result"]
    assert pd.Timestamp(result["summary"]["state"]["at"]) == at(MONDAY, "08:00")
    assert result["summary"]["replications"] == 2


def test_a_cancelled_simulation_job_stops_between_replications(centre: Centre) -> None:
    params = {"roster_id": centre.roster(), "forecast_id": centre.forecast(), "replications": 1000}
    job_id = centre.post("/api/jobs/simulate", centre.supervisor, json=params)["id"]
    job = wait_for(centre.client, job_id, centre.supervisor, ("running", *FINISHED))
    while job["status"] == "running" and not job["progress"].get("replications_done"):
        job = centre.client.get(f"/api/jobs/{job_id}", headers=centre.supervisor).json()
    assert centre.client.delete(f"/api/jobs/{job_id}", headers=centre.supervisor).status_code == 202
    job = wait_for(centre.client, job_id, centre.supervisor, FINISHED)
    assert job["status"] == "cancelled" and job["result"] is None, job
    assert "cancelled by sam" in job["error"] and "of 1000 replications" in job["error"]
    assert 0 < job["progress"]["replications_done"] < 1000
    assert centre.files(job_id) == []


def test_a_ticket_that_cannot_be_read_fails_the_job_naming_the_parameter(centre: Centre) -> None:
    centre.roster(publish=True)
    tickets = "ticket_id,work_type,created_at\nt1,calls,half past nine\n"
    params = {"center_id": centre.id, "at": "2026-06-01T10:00", "tickets_csv": tickets}
    job_id = centre.post("/api/jobs/assign", centre.planner, json=params)["id"]
    job = wait_for(centre.client, job_id, centre.planner, FINISHED)
    assert job["status"] == "failed" and job["error"].startswith("tickets_csv: row 1 (line 2), column 'created_at'"), (
        job
    )
    assert "half past nine" in job["error"] and "/tmp" not in job["error"] and "wfm-" not in job["error"]


def test_an_assign_job_assigns_the_open_tickets_on_the_published_roster(centre: Centre) -> None:
    centre.roster(publish=True)
    params = {"center_id": centre.id, "at": "2026-06-01T10:00", "tickets_csv": tickets_csv("09:50", "t1", "t2")}
    job = centre.run("assign", params, centre.supervisor)
    assert centre.files(job["id"]) == ["assignment.csv", "assignment.json"]
    table = pd.read_csv(io.BytesIO(centre.file(job["id"], "assignment.csv")))
    assert sorted(table["ticket_id"]) == ["t1", "t2"] and set(table["agent_id"]) <= {"a", "b"}
    summary = job["result"]["summary"]
    assert summary["kpis"]["assigned"] == 2 and summary["compared"]  # the dispatch rules beside it, as wfm assign


def intraday_params(centre: Centre, **extra: Any) -> dict[str, Any]:
    return {
        "center_id": centre.id,
        "forecast_id": centre.forecast(),
        "actuals_csv": actuals_until_ten(),
        "at": "2026-06-01T10:00",
        "absences_csv": "agent_id,start,end,reason\nb,2026-06-01T09:00,,sick\n",
        "time_limit_s": 3,
        "replications": 2,
        **extra,
    }


def dispatched_on(centre: Centre) -> int:
    body = {
        "at": "2026-06-01T10:30",
        "tickets": [{"ticket_id": "t9", "work_type": "calls", "created_at": "2026-06-01T10:20"}],
    }
    return int(centre.post(f"/api/centers/{centre.id}/dispatch", centre.supervisor, json=body)["roster_id"])


def test_an_intraday_job_re_plans_an_absence_and_applying_it_publishes_the_roster_dispatch_uses(
    centre: Centre,
) -> None:
    published = centre.roster(publish=True)
    job = centre.run("intraday", intraday_params(centre), centre.supervisor)
    result = job["result"]
    assert result["base_roster_id"] == published
    files = centre.files(job["id"])
    for name in ("changes.csv", "coverage.csv", "reforecast.csv", "roster.csv", "summary.json"):
        assert name in files
    assert result["summary"]["changes"]["absences"] == 1
    proposed = [c for c in result["changes"] if c["change"] != "absence"]
    assert proposed, result["changes"]  # b off sick from 09:00 leaves a alone until 14:00: something is proposed
    assert "simulated_service_level" in result["summary"]
    drafts = {r["id"]: r for r in centre.client.get(f"/api/centers/{centre.id}/rosters", headers=centre.viewer).json()}
    assert drafts[result["roster_id"]]["status"] == "draft"
    assert dispatched_on(centre) == published

    assert centre.client.post(f"/api/intraday/{job['id']}/apply", headers=centre.analyst).status_code == 403
    applied = centre.post(f"/api/intraday/{job['id']}/apply", centre.supervisor)
    assert applied["roster_id"] == result["roster_id"] and applied["replaces"] == published
    assert applied["applied"] == [c["id"] for c in proposed] and applied["declined"] == []
    rosters = {r["id"]: r for r in centre.client.get(f"/api/centers/{centre.id}/rosters", headers=centre.viewer).json()}
    assert rosters[result["roster_id"]]["status"] == "published"
    assert rosters[result["roster_id"]]["summary"]["intraday"]["applied"] == applied["applied"]
    assert rosters[published]["summary"]["superseded_by"] == result["roster_id"]
    assert dispatched_on(centre) == result["roster_id"]
    text = centre.client.get(f"/api/rosters/{result['roster_id']}.csv", headers=centre.viewer).text
    assert text == centre.file(job["id"], "roster.csv").decode()
    again = centre.client.post(f"/api/intraday/{job['id']}/apply", headers=centre.supervisor)
    assert again.status_code == 409 and "applied already" in again.text


def test_declining_the_changes_of_a_re_plan_publishes_the_day_with_its_absences_only(centre: Centre) -> None:
    published = centre.roster(publish=True)
    job = centre.run("intraday", intraday_params(centre, replications=0), centre.supervisor)
    proposed = [c for c in job["result"]["changes"] if c["change"] != "absence"]
    assert proposed
    bad = centre.client.post(f"/api/intraday/{job['id']}/apply", headers=centre.planner, json={"changes": [999]})
    assert bad.status_code == 422 and bad.json()["problems"][0]["where"] == "changes[0]"
    applied = centre.post(f"/api/intraday/{job['id']}/apply", centre.planner, json={"changes": []})
    assert applied["applied"] == [] and applied["declined"] == [c["id"] for c in proposed]
    assert applied["roster_id"] not in (published, job["result"]["roster_id"])
    assert dispatched_on(centre) == applied["roster_id"]
    roster = read_csv_text(
        centre.client.get(f"/api/rosters/{applied['roster_id']}.csv", headers=centre.viewer).text, ROSTER, "r", TZ
    )
    as_published = read_csv_text(centre.file(job["id"], "roster_as_published.csv").decode(), ROSTER, "p", TZ)
    pd.testing.assert_frame_equal(roster.reset_index(drop=True), as_published.reset_index(drop=True))
    b = roster[roster["agent_id"] == "b"].iloc[0]
    assert b["absences"] and b["absences"][0][0] == at(MONDAY, "09:00").isoformat()


def test_a_re_plan_is_not_applied_over_a_roster_published_after_it(centre: Centre) -> None:
    centre.roster(publish=True)
    job = centre.run("intraday", intraday_params(centre, replications=0), centre.supervisor)
    newer = centre.roster(publish=True)
    refused = centre.client.post(f"/api/intraday/{job['id']}/apply", headers=centre.supervisor)
    assert refused.status_code == 409 and f"roster {newer}" in refused.text
    assert dispatched_on(centre) == newer


SPEC = """\
roster: {time_limit_s: 2}
loop: {max_iterations: 1}
simulation: {replications: 2, seed: 0}
variants:
  - {name: volume +20%, volume: {all: 1.2}}
  - {name: one fewer agent, headcount: {remove: 1}}
"""


def test_a_scenarios_job_sweeps_the_variants_on_its_own_cluster(centre: Centre) -> None:
    params = {"center_id": centre.id, "forecast_id": centre.forecast(), "spec_yaml": SPEC}
    assert centre.client.post("/api/jobs/scenarios", headers=centre.planner, json=params).status_code == 403
    job = centre.run("scenarios", params, centre.analyst)
    assert job["progress"]["variants_done"] == job["progress"]["variants"] == 3
    finished = {row["name"]: row for row in job["progress"]["finished"]}  # each variant's figures as it finished
    assert set(finished) == {"base", "volume +20%", "one fewer agent"}
    assert finished["base"]["status"] == "done" and set(finished["base"]["work_types"]) == {"calls"}
    result = job["result"]
    assert (result["variants"], result["planned"], result["failed"]) == (3, 3, 0)
    files = centre.files(job["id"])
    assert {"results.csv", "summary.json", "report.html"} <= set(files)
    assert sum(name.endswith("/result.json") for name in files) == 3
    results = pd.read_csv(io.BytesIO(centre.file(job["id"], "results.csv")))
    assert sorted(set(results["variant"])) == ["base", "one fewer agent", "volume +20%"]
    summary = json.loads(centre.file(job["id"], "summary.json"))
    assert "/tmp" not in json.dumps(summary) and summary["spec"] == "spec.yaml"
    headlines = {h["variant"]: h for h in summary["by_variant"]}
    assert {name: row["cost"] for name, row in finished.items()} == {n: h["cost"] for n, h in headlines.items()}


def test_a_scenarios_job_forecasts_a_stored_history_as_its_base(centre: Centre) -> None:
    history = centre.upload_table("histories", three_weeks_of_calls(), "history.csv")
    spec = "base: {start: 2026-06-01, days: 1}\n" + SPEC.split("variants:")[0]
    params = {"center_id": centre.id, "history_id": history, "spec_yaml": spec}
    job = centre.run("scenarios", params, centre.analyst)
    assert (job["result"]["variants"], job["result"]["failed"]) == (1, 0)
    forecast = read_csv_text(centre.file(job["id"], "base_forecast.csv").decode(), FORECAST, "base_forecast", TZ)
    assert pd.DatetimeIndex(forecast["interval_start"]).tz_convert(TZ).min() == at(MONDAY, "00:00")


# -- refused at submission -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "change", "field"),
    [
        ("forecast", {"history_id": None}, "history_id"),
        ("forecast", {"days": 0}, "days"),
        ("requirements", {"forecast_id": "HISTORY"}, "forecast_id"),
        ("simulate", {"history_id": "HISTORY"}, "forecast_id"),
        ("simulate", {"replications": 0}, "replications"),
        ("assign", {"at": "tomorrow"}, "at"),
        ("assign", {"tickets_csv": ""}, "tickets_csv"),
        ("intraday", {"actuals_csv": None}, "actuals_id"),
        ("intraday", {"no": ["teleport"]}, "no"),
        ("scenarios", {"spec_yaml": "base: {center: /etc/passwd}\n" + SPEC}, "line 1, base.center"),
        ("scenarios", {"spec_yaml": "base: {forecast: ../forecast.csv}\n" + SPEC}, "line 1, base.forecast"),
        ("scenarios", {"spec_yaml": SPEC + "  - {name: x, aht: {mail: 1.1}}\n"}, "line 7, variants[2].aht.mail"),
        (
            "scenarios",
            {"spec_yaml": SPEC + "grid: {volume.all: [" + ", ".join(["1"] * 999) + "], shrinkage: [0, 0.1]}"},
            "line 7, grid",
        ),
    ],
)
def test_bad_parameters_are_refused_naming_the_field_and_nothing_is_queued(
    centre: Centre, store: Store, kind: str, change: dict[str, Any], field: str
) -> None:
    centre.roster(publish=True)
    history = centre.upload_table("histories", actuals_until_ten(), "history.csv")
    forecast = centre.forecast()
    good: dict[str, dict[str, Any]] = {
        "forecast": {"center_id": centre.id, "history_id": history, "start": "2026-06-01"},
        "requirements": {"center_id": centre.id, "forecast_id": forecast},
        "simulate": {"center_id": centre.id, "forecast_id": forecast},
        "assign": {"center_id": centre.id, "at": "2026-06-01T10:00", "tickets_csv": tickets_csv("09:00", "t1")},
        "intraday": {"center_id": centre.id, "forecast_id": forecast, "actuals_csv": "x", "at": "2026-06-01T10:00"},
        "scenarios": {"center_id": centre.id, "forecast_id": forecast, "spec_yaml": SPEC},
    }
    params = good[kind] | {k: history if v == "HISTORY" else v for k, v in change.items()}
    users = {"intraday": centre.supervisor, "scenarios": centre.analyst}
    before = jobs_stored(store)
    response = centre.client.post(f"/api/jobs/{kind}", headers=users.get(kind, centre.planner), json=params)
    assert response.status_code == 422, response.text
    assert response.json()["problems"][0]["where"] == field, response.text
    assert jobs_stored(store) == before


@pytest.mark.parametrize(
    ("kind", "refused"),
    [
        ("forecast", ("supervisor", "viewer")),
        ("requirements", ("supervisor", "viewer")),
        ("simulate", ("viewer",)),
        ("assign", ("analyst", "viewer")),
        ("intraday", ("planner", "analyst", "viewer")),
        ("scenarios", ("planner", "supervisor", "viewer")),
    ],
)
def test_each_kind_refuses_the_roles_that_may_not_run_it(
    centre: Centre, store: Store, kind: str, refused: tuple[str, ...]
) -> None:
    headers = {"planner": centre.planner, "supervisor": centre.supervisor, "analyst": centre.analyst}
    headers["viewer"] = centre.viewer
    for role_name in refused:
        response = centre.client.post(f"/api/jobs/{kind}", headers=headers[role_name], json={})
        assert response.status_code == 403, (role_name, response.text)
    assert jobs_stored(store) == 0

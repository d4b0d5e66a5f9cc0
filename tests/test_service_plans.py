"""The service's data and plans: a history uploaded and checked as `wfm validate` checks it (422 naming the
client's file, row and field; nothing stored), kept and fetched back whole; a plan run as a job through the whole
pipeline, its files served, its roster a draft with its own downloads (CSV, Parquet, iCalendar); a body past the
size limit refused with 413."""

from __future__ import annotations

import io
import json
import time
from collections.abc import Iterator
from typing import Any

import pandas as pd
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from models import dump_center
from scenarios.generator import GeneratorSettings, Scenario, generate
from service.app import create_app
from service.store import Dataset, Plan, Store
from tests.service_helpers import bearer

WAIT_S = 300.0


@pytest.fixture(scope="module")
def small() -> Scenario:
    """The S demo centre (20 agents) with three weeks of per-ticket history."""
    return generate(GeneratorSettings(size="S", history_weeks=3))


def _csv(frame: pd.DataFrame) -> bytes:
    return frame.to_csv(index=False).encode()


@pytest.fixture
def planner(store: Store) -> dict[str, str]:
    return bearer(store.add_user("pat", "planner"))


@pytest.fixture
def center_id(client: TestClient, planner: dict[str, str], small: Scenario) -> int:
    response = client.post("/api/centers", json={"yaml": dump_center(small.center)}, headers=planner)
    assert response.status_code == 201, response.text
    return int(response.json()["id"])


def _upload(client: TestClient, headers: dict[str, str], center_id: int, name: str, content: bytes) -> Any:
    return client.post(
        f"/api/centers/{center_id}/histories", files={"file": (name, io.BytesIO(content), "text/csv")}, headers=headers
    )


def _datasets(store: Store) -> int:
    with store.session() as session:
        return int(session.scalar(select(func.count()).select_from(Dataset)) or 0)


def test_a_history_upload_is_checked_kept_and_fetched_back_whole(
    client: TestClient, store: Store, planner: dict[str, str], center_id: int, small: Scenario
) -> None:
    response = _upload(client, planner, center_id, "calls.csv", _csv(small.history))
    assert response.status_code == 201, response.text
    made = response.json()
    assert made["rows"] == len(small.history) and made["kind"] == "history" and made["name"] == "calls.csv"
    assert made["history_kind"] == "tickets" and made["timezone"] == small.center.timezone
    assert set(made["work_types"]) == set(small.history["work_type"])
    listed = client.get(f"/api/centers/{center_id}/histories", headers=planner).json()
    assert [d["id"] for d in listed] == [made["id"]]
    back = pd.read_parquet(io.BytesIO(client.get(f"/api/datasets/{made['id']}.parquet", headers=planner).content))
    assert len(back) == len(small.history)
    assert sorted(back["ticket_id"]) == sorted(small.history["ticket_id"])


def test_a_bad_history_names_the_clients_file_row_and_field_and_stores_nothing(
    client: TestClient, store: Store, planner: dict[str, str], center_id: int, small: Scenario
) -> None:
    bad = small.history.head(50).copy()
    bad["work_type"] = bad["work_type"].astype(object)
    bad.loc[bad.index[2], "work_type"] = "no_such_type"
    response = _upload(client, planner, center_id, "../../secret/calls.csv", _csv(bad))
    assert response.status_code == 422, response.text
    body = response.json()
    assert body["source"] == "calls.csv"  # the client's base name: no folder of theirs, no temporary path of ours
    text = json.dumps(body)
    assert "wfm-upload" not in text and "/tmp" not in text
    assert any("no_such_type" in p["what"] or "no_such_type" in p["where"] for p in body["problems"]), body
    assert all(p["fix"] for p in body["problems"])
    assert _datasets(store) == 0
    refused = _upload(client, planner, center_id, "calls.xlsx", b"a,b\n1,2\n")
    assert refused.status_code == 422 and "csv" in refused.json()["problems"][0]["fix"]
    viewer = bearer(store.add_user("val", "viewer"))
    assert _upload(client, viewer, center_id, "calls.csv", _csv(small.history)).status_code == 403
    assert _datasets(store) == 0


def test_a_body_past_the_size_limit_is_refused_with_413(store: Store, small: Scenario) -> None:
    headers = bearer(store.add_user("pat", "planner"))
    with TestClient(create_app(store, workers=1, max_upload_bytes=64 * 1024)) as client:
        center = client.post("/api/centers", json={"yaml": dump_center(small.center)}, headers=headers)
        assert center.status_code == 201, center.text
        content = _csv(small.history)
        assert len(content) > 64 * 1024
        response = _upload(client, headers, center.json()["id"], "calls.csv", content)
        assert response.status_code == 413, response.text
        assert "--max-upload-mb" in response.json()["detail"]
        assert response.headers["x-content-type-options"] == "nosniff"
    assert _datasets(store) == 0


def _wait(client: TestClient, job_id: str, headers: dict[str, str]) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The job once finished, and the distinct progress reports seen on the way."""
    seen: list[dict[str, Any]] = []
    end = time.monotonic() + WAIT_S
    while time.monotonic() < end:
        job = client.get(f"/api/jobs/{job_id}", headers=headers).json()
        if job["progress"] and (not seen or seen[-1] != job["progress"]):
            seen.append(job["progress"])
        if job["status"] in ("done", "failed", "cancelled"):
            return job, seen
        time.sleep(0.2)
    raise AssertionError(f"plan job {job_id} did not finish in {WAIT_S} s")


@pytest.fixture
def history_id(client: TestClient, planner: dict[str, str], center_id: int, small: Scenario) -> Iterator[int]:
    response = _upload(client, planner, center_id, "history.csv", _csv(small.history))
    assert response.status_code == 201, response.text
    yield int(response.json()["id"])


def test_a_plan_runs_the_whole_pipeline_and_serves_its_files(
    client: TestClient, store: Store, planner: dict[str, str], center_id: int, history_id: int, small: Scenario
) -> None:
    params = {
        "center_id": center_id,
        "history_id": history_id,
        "start": small.settings.plan_start.isoformat(),
        "days": 2,
        "time_limit_s": 3,
        "loop_budget_s": 0,
        "diagnosis_budget_s": 5,
        "remedies": False,
    }
    response = client.post("/api/plans", json=params, headers=planner)
    assert response.status_code == 202, response.text
    job, progress = _wait(client, response.json()["job_id"], planner)
    assert job["status"] == "done", job["error"]
    assert any("objective" in p for p in progress) and {"stage", "plan_elapsed_s"} <= set(progress[-1])
    plan_id, roster_id = job["result"]["plan_id"], job["result"]["roster_id"]

    plan = client.get(f"/api/plans/{plan_id}", headers=planner).json()
    assert plan["status"] == "complete" and plan["roster_id"] == roster_id and plan["history_id"] == history_id
    assert {"roster.csv", "coverage.csv", "summary.json", "report.html", "forecast.csv", "requirement.csv"} <= set(
        plan["files"]
    )
    assert any(name.startswith("calendars/") for name in plan["files"])
    roster_csv = client.get(f"/api/plans/{plan_id}/roster.csv", headers=planner)
    assert roster_csv.status_code == 200 and roster_csv.headers["content-type"].startswith("text/csv")
    roster = pd.read_csv(io.StringIO(roster_csv.text))
    assert roster["date"].nunique() == 2 and set(roster["agent_id"]) <= {a.id for a in small.center.agents}
    stored = pd.read_csv(io.StringIO(client.get(f"/api/rosters/{roster_id}.csv", headers=planner).text))
    pd.testing.assert_frame_equal(stored[["agent_id", "start", "end"]], roster[["agent_id", "start", "end"]])
    summary = client.get(f"/api/plans/{plan_id}/summary.json", headers=planner).json()
    assert "promised_service_level" in summary and summary["validator"].startswith("passed")
    report = client.get(f"/api/plans/{plan_id}/report.html", headers=planner)
    assert report.headers["content-type"].startswith("text/html")
    assert "default-src 'none'" in report.headers["content-security-policy"]
    assert client.get(f"/api/plans/{plan_id}/nothing.csv", headers=planner).status_code == 404
    coverage = pd.read_csv(io.StringIO(client.get(f"/api/plans/{plan_id}/coverage.csv", headers=planner).text))
    assert {"interval_start", "skill", "required", "scheduled"} <= set(coverage.columns)

    parquet = client.get(f"/api/rosters/{roster_id}.parquet", headers=planner)
    assert len(pd.read_parquet(io.BytesIO(parquet.content))) == len(roster)
    calendars = client.get(f"/api/rosters/{roster_id}/calendars", headers=planner).json()["calendars"]
    assert set(calendars) == set(roster["agent_id"])
    first = sorted(calendars)[0]
    ics = client.get(calendars[first], headers=planner)
    assert ics.headers["content-type"].startswith("text/calendar")
    assert ics.text.count("BEGIN:VEVENT") == int((roster["agent_id"] == first).sum())
    with store.session() as session:
        assert session.scalar(select(func.count()).select_from(Plan)) == 1
    listed = client.get(f"/api/plans?center_id={center_id}", headers=planner).json()
    assert [p["id"] for p in listed] == [plan_id]
    files = client.get(f"/api/jobs/{job['id']}/files", headers=planner).json()["files"]
    assert set(files) == set(plan["files"]) and files["roster.csv"] == len(roster_csv.content)
    assert client.get(f"/api/jobs/{job['id']}/files/roster.csv", headers=planner).content == roster_csv.content
    jobs = client.get("/api/jobs?kind=plan&status=done", headers=planner).json()
    assert [j["id"] for j in jobs] == [job["id"]] and jobs[0]["result"]["plan_id"] == plan_id


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"history_id": None}, "history_id"),
        ({"history_id": 999}, "history_id"),
        ({"start": "next monday"}, "start"),
        ({"days": 0}, "days"),
        ({"time_limit_s": -1}, "time_limit_s"),
        ({"plan_on": "p99"}, "plan_on"),
        ({"center_id": 999}, "center_id"),
    ],
)
def test_plan_parameters_are_checked_before_anything_is_queued(
    client: TestClient,
    planner: dict[str, str],
    center_id: int,
    history_id: int,
    small: Scenario,
    change: dict[str, Any],
    field: str,
) -> None:
    params = {"center_id": center_id, "history_id": history_id, "start": small.settings.plan_start.isoformat()}
    response = client.post("/api/plans", json=params | change, headers=planner)
    assert response.status_code == 422, response.text
    assert [p["where"] for p in response.json()["problems"]] == [field]


def test_only_a_planner_runs_a_plan(
    client: TestClient, store: Store, center_id: int, history_id: int, small: Scenario
) -> None:
    params = {"center_id": center_id, "history_id": history_id, "start": small.settings.plan_start.isoformat()}
    for name, role in (("sue", "supervisor"), ("ann", "analyst"), ("val", "viewer")):
        assert client.post("/api/plans", json=params, headers=bearer(store.add_user(name, role))).status_code == 403
    assert client.post("/api/plans", json=params).status_code == 401


def test_a_plan_cancelled_during_its_roster_solve_keeps_its_best_roster(
    client: TestClient, store: Store, planner: dict[str, str], center_id: int, history_id: int, small: Scenario
) -> None:
    params = {
        "center_id": center_id,
        "history_id": history_id,
        "start": small.settings.plan_start.isoformat(),
        "time_limit_s": 600,
        "loop_budget_s": 0,
    }
    job_id = client.post("/api/plans", json=params, headers=planner).json()["job_id"]
    end = time.monotonic() + WAIT_S
    while "objective" not in client.get(f"/api/jobs/{job_id}", headers=planner).json()["progress"]:
        assert time.monotonic() < end, "the plan's roster solve never reported a roster"
        time.sleep(0.2)
    assert client.delete(f"/api/jobs/{job_id}", headers=planner).status_code == 202
    job, _ = _wait(client, job_id, planner)
    assert job["status"] == "cancelled" and job["error"].startswith("cancelled by pat")
    assert job["result"]["interrupted"] and job["result"]["summary"]["interrupted"] is True
    plan = client.get(f"/api/plans/{job['result']['plan_id']}", headers=planner).json()
    assert plan["status"] == "interrupted" and {"roster.csv", "requirement.csv", "report.html"} <= set(plan["files"])
    roster = pd.read_csv(io.StringIO(client.get(f"/api/rosters/{plan['roster_id']}.csv", headers=planner).text))
    assert not roster.empty

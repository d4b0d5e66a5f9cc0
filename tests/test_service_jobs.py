"""The service's asynchronous jobs: a roster job accepted at once (202) and run in a worker process to its roster,
cancelled while queued and while running (keeping its best roster), failed with the input's problem, failed
after a server stopped mid-job, and the job routes' 401 and 403."""

from __future__ import annotations

import io
import os
import subprocess
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pandas as pd
import psutil
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select, update

from models import REQUIREMENT, Center, InputError, dump_center
from models.io import write_table
from service.app import create_app
from service.jobs import FINISHED, JOB_NICE, RECOVERED_ERROR, JobRunner
from service.store import Job, Store, open_store
from service.tables import read_csv_text
from tests.roster_helpers import Need, agent, build_center, contract, requirement, template
from tests.service_helpers import bearer, free_port, start_server, stop_server

TINY = build_center([agent("a1"), agent("a2")])
TINY_NEEDS = [Need("calls", 0, "06:00", "14:00"), Need("calls", 1, "14:00", "22:00")]
#: Bounds of the waits for a job's state (never reached when the service works; a test fails past them).
WAIT_S = 120.0


def requirement_csv(center: Center, needs: list[Need], folder: Path) -> str:
    return write_table(requirement(center, needs), REQUIREMENT, folder / "requirement.csv").read_text()


def upload(client: TestClient, headers: dict[str, str], center: Center) -> int:
    response = client.post("/api/centers", json={"yaml": dump_center(center)}, headers=headers)
    assert response.status_code == 201, response.text
    return int(response.json()["id"])


def wait_for(client: TestClient, job_id: str, headers: dict[str, str], states: tuple[str, ...]) -> dict[str, Any]:
    """The job's status once it is in one of `states` (polled; fails past `WAIT_S`)."""
    end = time.monotonic() + WAIT_S
    while time.monotonic() < end:
        job = client.get(f"/api/jobs/{job_id}", headers=headers).json()
        if job["status"] in states:
            return dict(job)
        time.sleep(0.1)
    raise AssertionError(f"job {job_id} never reached {states}: {job}")


def sixty_agents() -> Center:
    """Sixty agents whose week CP-SAT does not prove optimal within minutes: a job that runs until cancelled."""
    templates = [
        template("early", "06:00", latest="10:00", lengths=(360, 480)),
        template("late", "12:00", latest="16:00", lengths=(360, 480)),
    ]
    return build_center(
        [agent(f"a{i}") for i in range(60)],
        templates=templates,
        contracts=[contract(max_working_days=5, min_paid_minutes_week=4 * 360)],
        name="Sixty agents",
    )


def sixty_needs() -> list[Need]:
    return [
        Need("calls", d, f"{h:02d}:00", f"{h + 1:02d}:00", 6 + (7 * d + 5 * h) % 19)
        for d in range(7)
        for h in range(6, 22)
    ]


def jobs_stored(store: Store) -> int:
    with store.session() as session:
        return int(session.scalar(select(func.count()).select_from(Job)) or 0)


def test_a_roster_job_is_accepted_at_once_and_ends_with_its_roster(
    client: TestClient, store: Store, tmp_path: Path
) -> None:
    headers = bearer(store.add_user("pat", "planner"))
    center_id = upload(client, headers, TINY)
    params = {
        "center_id": center_id,
        "requirement_csv": requirement_csv(TINY, TINY_NEEDS, tmp_path),
        "time_limit_s": 20,
    }
    response = client.post("/api/jobs/roster", json=params, headers=headers)
    assert response.status_code == 202, response.text
    assert response.json()["status"] == "queued"
    job_id = response.json()["id"]
    job = wait_for(client, job_id, headers, FINISHED)
    assert job["status"] == "done", job
    assert job["error"] is None and job["started_at"] is not None and job["finished_at"] is not None
    assert job["result"]["summary"]["status"] == "OPTIMAL" and "roster_csv" not in job["result"]
    assert {"objective", "bound", "gap", "elapsed_s"} <= set(job["progress"])
    result = client.get(f"/api/jobs/{job_id}/result", headers=headers).json()["result"]
    roster = pd.read_csv(io.StringIO(result["roster_csv"]))
    # One shift per needed day: a1 or a2 on Monday's early and Tuesday's late.
    assert len(roster) == 2 and set(roster["agent_id"]) <= {"a1", "a2"}
    assert sorted(roster["shift_template"]) == ["early", "late"]
    # The files wfm roster writes, kept as the job's: the same roster, its report, each agent's calendar.
    files = client.get(f"/api/jobs/{job_id}/files", headers=headers).json()["files"]
    assert {"roster.csv", "coverage.csv", "summary.json", "report.html"} <= set(files)
    assert any(name.startswith("calendars/") for name in files)
    kept = client.get(f"/api/jobs/{job_id}/files/roster.csv", headers=headers).text
    assert kept == result["roster_csv"]
    # The job's roster is kept as a draft of the centre, ready to publish.
    drafts = client.get(f"/api/centers/{center_id}/rosters", headers=headers).json()
    assert [(d["id"], d["status"], d["summary"]["shifts"]) for d in drafts] == [(result["roster_id"], "draft", 2)]
    assert drafts[0]["summary"]["violations"] == []
    published = client.post(f"/api/rosters/{result['roster_id']}/publish", headers=headers)
    assert published.json()["status"] == "published"


def test_a_queued_job_is_cancelled_at_once_and_a_running_one_keeps_its_best_roster(
    client: TestClient, store: Store, tmp_path: Path
) -> None:
    client.app.state.jobs.shutdown()  # type: ignore[attr-defined]
    client.app.state.jobs = JobRunner(store, workers=1)  # type: ignore[attr-defined]  # one job at a time
    headers = bearer(store.add_user("pat", "planner"))
    big = sixty_agents()
    needs = sixty_needs()
    long_params = {"center_id": upload(client, headers, big), "requirement_csv": requirement_csv(big, needs, tmp_path)}
    running = client.post("/api/jobs/roster", json=long_params | {"time_limit_s": 600}, headers=headers).json()["id"]
    tiny = {"center_id": upload(client, headers, TINY), "requirement_csv": requirement_csv(TINY, TINY_NEEDS, tmp_path)}
    queued = client.post("/api/jobs/roster", json=tiny, headers=headers).json()["id"]

    response = client.delete(f"/api/jobs/{queued}", headers=headers)
    assert response.status_code == 202 and response.json()["status"] == "cancelled"
    job = client.get(f"/api/jobs/{queued}", headers=headers).json()
    assert job["status"] == "cancelled" and job["started_at"] is None and "pat" in job["error"]
    assert client.delete(f"/api/jobs/{queued}", headers=headers).status_code == 409

    job = wait_for(client, running, headers, ("running", *FINISHED))
    while job["status"] == "running" and "objective" not in job["progress"]:  # until a roster is found
        time.sleep(0.1)
        job = client.get(f"/api/jobs/{running}", headers=headers).json()
    assert job["status"] == "running", job
    assert client.get(f"/api/jobs/{running}/result", headers=headers).status_code == 409
    assert client.delete(f"/api/jobs/{running}", headers=headers).status_code == 202
    job = wait_for(client, running, headers, FINISHED)
    assert job["status"] == "cancelled" and job["error"] == "cancelled by pat", job
    assert job["result"]["summary"]["interrupted"] is True
    roster = pd.read_csv(
        io.StringIO(client.get(f"/api/jobs/{running}/result", headers=headers).json()["result"]["roster_csv"])
    )
    assert len(roster) > 0 and set(roster["agent_id"]) <= {f"a{i}" for i in range(60)}
    assert client.get(f"/api/jobs/{queued}", headers=headers).json()["started_at"] is None  # it never ran


def _long_roster_job(client: TestClient, store: Store, tmp_path: Path) -> tuple[dict[str, str], str]:
    """A planner's headers and the id of a roster job of the 60-agent centre with a 10-minute limit, submitted."""
    headers = bearer(store.add_user("pat", "planner"))
    big = sixty_agents()
    params = {
        "center_id": upload(client, headers, big),
        "requirement_csv": requirement_csv(big, sixty_needs(), tmp_path),
        "time_limit_s": 600,
    }
    return headers, client.post("/api/jobs/roster", json=params, headers=headers).json()["id"]


def test_a_job_whose_worker_process_dies_fails_and_the_next_job_gets_a_new_pool(
    client: TestClient, store: Store, tmp_path: Path
) -> None:
    headers, job_id = _long_roster_job(client, store, tmp_path)
    assert wait_for(client, job_id, headers, ("running", *FINISHED))["status"] == "running"
    workers = [
        p for p in psutil.Process().children(recursive=True) if any("spawn_main" in part for part in p.cmdline())
    ]
    assert workers
    for worker in workers:
        worker.kill()  # as the kernel's out-of-memory killer would
    job = wait_for(client, job_id, headers, FINISHED)
    assert job["status"] == "failed" and job["error"].startswith("the job's worker process stopped"), job
    tiny = {"center_id": upload(client, headers, TINY), "requirement_csv": requirement_csv(TINY, TINY_NEEDS, tmp_path)}
    again = client.post("/api/jobs/roster", json=tiny, headers=headers).json()["id"]
    assert wait_for(client, again, headers, FINISHED)["status"] == "done"


def test_a_job_runs_below_the_server_s_priority_solver_threads_and_all(
    client: TestClient, store: Store, tmp_path: Path
) -> None:
    # The API's reads are scheduled before the jobs' solves: every thread of a worker process (CP-SAT's search
    # threads, started while the job runs, among them) has a higher nice level than the server.
    headers, job_id = _long_roster_job(client, store, tmp_path)
    deadline = time.monotonic() + 120
    while not (job := client.get(f"/api/jobs/{job_id}", headers=headers).json())["progress"].get("objective"):
        assert job["status"] in ("queued", "running") and time.monotonic() < deadline, job
        time.sleep(0.1)  # the solver has found a roster: its threads run
    workers = [
        p for p in psutil.Process().children(recursive=True) if any("spawn_main" in part for part in p.cmdline())
    ]
    assert workers
    expected = min(19, os.getpriority(os.PRIO_PROCESS, 0) + JOB_NICE)
    for worker in workers:
        threads = [t.id for t in worker.threads()]
        assert len(threads) > 2  # the main thread, the server watch, and the job's (its reporter, the solver's)
        assert {os.getpriority(os.PRIO_PROCESS, t) for t in threads} == {expected}
    client.delete(f"/api/jobs/{job_id}", headers=headers)
    assert wait_for(client, job_id, headers, FINISHED)["status"] == "cancelled"


def test_bad_input_fails_the_job_with_the_problem_and_bad_parameters_are_refused(
    client: TestClient, store: Store, tmp_path: Path
) -> None:
    headers = bearer(store.add_user("pat", "planner"))
    center_id = upload(client, headers, TINY)
    lines = requirement_csv(TINY, TINY_NEEDS, tmp_path).splitlines()
    header = lines[0].split(",")
    row = lines[3].split(",")
    row[header.index("required_agents_int")] = "three"
    lines[3] = ",".join(row)
    text = "\n".join(lines) + "\n"
    with pytest.raises(InputError) as expected:
        read_csv_text(text, REQUIREMENT, "requirement.csv", TINY.timezone)
    response = client.post("/api/jobs/roster", json={"center_id": center_id, "requirement_csv": text}, headers=headers)
    assert response.status_code == 202
    job = wait_for(client, response.json()["id"], headers, FINISHED)
    assert job["status"] == "failed" and job["error"] == str(expected.value) and job["result"] is None
    assert "line 4" in job["error"] and "required_agents_int" in job["error"]
    assert client.get(f"/api/jobs/{job['id']}/result", headers=headers).status_code == 409

    # Parameters that cannot make a job: 422 with the problem, nothing queued.
    before = jobs_stored(store)
    for params, field in [
        ({"center_id": 999, "requirement_csv": text}, "center_id"),
        ({"center_id": center_id}, "requirement_csv"),
        ({"center_id": center_id, "requirement_csv": text, "time_limit_s": -1}, "time_limit_s"),
        ({"center_id": "1; DROP TABLE jobs", "requirement_csv": text}, "center_id"),
    ]:
        response = client.post("/api/jobs/roster", json=params, headers=headers)
        assert response.status_code == 422, response.text
        assert response.json()["problems"][0]["where"] == field
    assert client.post("/api/jobs/nosuchkind", json={}, headers=headers).status_code == 404
    assert jobs_stored(store) == before


def test_jobs_a_stopped_server_left_are_failed_when_the_next_one_starts(store: Store) -> None:
    now = datetime.now(UTC)
    with store.session() as session:
        session.add(Job(id="left-running", kind="roster", status="running", params={}, progress={}, started_at=now))
        session.add(Job(id="left-queued", kind="roster", status="queued", params={}, progress={}))
        session.add(Job(id="finished", kind="roster", status="done", params={}, progress={}, result={"a": 1}))
    with TestClient(create_app(store)) as client:
        headers = bearer(store.add_user("vic", "viewer"))
        for job_id in ("left-running", "left-queued"):
            job = client.get(f"/api/jobs/{job_id}", headers=headers).json()
            assert (job["status"], job["error"]) == ("failed", RECOVERED_ERROR)
            assert job["finished_at"] is not None
        job = client.get("/api/jobs/finished", headers=headers).json()
        assert (job["status"], job["error"], job["result"]) == ("done", None, {"a": 1})


def test_the_job_routes_need_a_token_and_the_right_role(client: TestClient, store: Store, tmp_path: Path) -> None:
    planner = bearer(store.add_user("pat", "planner"))
    viewer = bearer(store.add_user("vic", "viewer"))
    center_id = upload(client, planner, TINY)
    params = {"center_id": center_id, "requirement_csv": requirement_csv(TINY, TINY_NEEDS, tmp_path)}
    with store.session() as session:
        session.add(Job(id="someone-elses", kind="roster", status="queued", params={}, progress={}, created_by=None))
    for method, path in [
        ("POST", "/api/jobs/roster"),
        ("GET", "/api/jobs/someone-elses"),
        ("GET", "/api/jobs/someone-elses/result"),
        ("DELETE", "/api/jobs/someone-elses"),
    ]:
        assert client.request(method, path, json=params).status_code == 401
        assert client.request(method, path, json=params, headers=bearer("wrong")).status_code == 401
    response = client.post("/api/jobs/roster", json=params, headers=viewer)
    assert response.status_code == 403 and "planner" in response.json()["detail"]
    assert client.delete("/api/jobs/someone-elses", headers=viewer).status_code == 403
    assert client.get("/api/jobs/someone-elses", headers=viewer).json()["status"] == "queued"
    assert client.get("/api/jobs/no-such-job", headers=viewer).status_code == 404
    assert jobs_stored(store) == 1


def _serve(url: str, port: int, log: Path) -> subprocess.Popen[bytes]:
    return start_server(["--db", url], port, log)


def _stop(processes: list[psutil.Process]) -> list[psutil.Process]:
    """Kill those of `processes` still alive (by their ids); the ones that were."""
    alive = [p for p in processes if p.is_running() and p.status() != psutil.STATUS_ZOMBIE]
    for process in alive:
        process.kill()
    psutil.wait_procs(alive, timeout=10)
    return alive


def test_a_killed_server_s_workers_stop_and_the_next_start_fails_what_was_left(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'wfm.db'}"
    made = open_store(url)
    headers = bearer(made.add_user("pat", "planner"))
    made.close()
    port, log = free_port(), tmp_path / "serve.log"
    api = f"http://127.0.0.1:{port}/api"
    server = _serve(url, port, log)
    children: list[psutil.Process] = []
    try:
        big = sixty_agents()
        center = httpx.post(f"{api}/centers", json={"yaml": dump_center(big)}, headers=headers, timeout=30).json()
        params = {"center_id": center["id"], "requirement_csv": requirement_csv(big, sixty_needs(), tmp_path)}
        params["time_limit_s"] = 600
        # Two running (the server's two worker processes) and one queued behind them.
        ids = [httpx.post(f"{api}/jobs/roster", json=params, headers=headers, timeout=30).json()["id"] for _ in "abc"]
        end = time.monotonic() + WAIT_S
        while time.monotonic() < end:
            jobs = [httpx.get(f"{api}/jobs/{i}", headers=headers, timeout=10).json() for i in ids]
            if all("objective" in j["progress"] for j in jobs[:2]):
                break
            time.sleep(0.2)
        assert [j["status"] for j in jobs] == ["running", "running", "queued"], jobs
        children = psutil.Process(server.pid).children(recursive=True)
        server.kill()  # as a crash would: no shutdown
        server.wait(timeout=10)
        # Its worker processes see it gone: they stop their jobs, keeping the best rosters, and exit.
        gone, alive = psutil.wait_procs(children, timeout=60)
        assert alive == [], alive
        server = _serve(url, port, log)
        jobs = [httpx.get(f"{api}/jobs/{i}", headers=headers, timeout=10).json() for i in ids]
        for job in jobs[:2]:
            assert (job["status"], job["error"]) == ("cancelled", "cancelled: the server stopped"), job
            assert job["result"]["summary"]["interrupted"] is True
        assert (jobs[2]["status"], jobs[2]["error"]) == ("failed", RECOVERED_ERROR)
        listed = httpx.get(f"{api}/centers", headers=headers, timeout=10).json()
        assert [(c["id"], c["version"]) for c in listed] == [(center["id"], 1)]  # the store is intact
        # What the stopped jobs kept is whole after the restart: each one's draft roster and the files wfm roster
        # writes, the kept roster.csv the same roster as its draft.
        drafts = httpx.get(f"{api}/centers/{center['id']}/rosters", headers=headers, timeout=10).json()
        assert sorted(d["id"] for d in drafts) == sorted(j["result"]["roster_id"] for j in jobs[:2])
        for job in jobs[:2]:
            kept = httpx.get(f"{api}/jobs/{job['id']}/files/roster.csv", headers=headers, timeout=10).text
            draft = httpx.get(f"{api}/rosters/{job['result']['roster_id']}.csv", headers=headers, timeout=10).text
            assert kept == draft and len(pd.read_csv(io.StringIO(kept))) > 0
    finally:
        children += psutil.Process(server.pid).children(recursive=True) if server.poll() is None else []
        stop_server(server, 30)  # stopped by its process id, as Ctrl-C would
        _stop(children)


def test_a_job_ended_by_someone_else_while_it_finished_keeps_none_of_its_files(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A job whose row a stopping server failed while the job was finishing stays failed, and what it would have
    stored with its end (its files, its rows) is not kept: nothing of a job is stored without its end."""
    from service.jobs import _run_job
    from service.kinds import FILES, JOB_KINDS
    from service.store import JobFile

    def ended_meanwhile(params: dict[str, Any], context: Any) -> dict[str, Any]:
        with context.store.session() as session:
            session.execute(update(Job).where(Job.id == "late").values(status="failed", error=RECOVERED_ERROR))
        return {"summary": {}, FILES: {"roster.csv": b"agent_id\n"}}

    monkeypatch.setitem(JOB_KINDS, "late", (lambda params, _: dict(params), ended_meanwhile))
    with store.session() as session:
        session.add(Job(id="late", kind="late", status="queued", params={}, progress={}))
    _run_job(store.url, "late")
    with store.session() as session:
        job = session.get(Job, "late")
        assert job is not None and (job.status, job.error, job.result) == ("failed", RECOVERED_ERROR, None)
        assert session.scalar(select(func.count()).select_from(JobFile)) == 0

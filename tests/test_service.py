"""The planning service's API: tokens and roles (401, 403), centres uploaded and versioned, bad input as 422
with the command line's problems, and `wfm serve` as a real server process on 127.0.0.1."""

from __future__ import annotations

import subprocess
import tempfile
from pathlib import Path

import httpx
import pandas as pd
import pytest
from fastapi.testclient import TestClient

import service.app
from models import ROSTER, dump_center, read_table, write_table
from models.tables import TableSchema
from service.store import Store, open_store
from service.tables import csv_text
from tests.roster_helpers import MONDAY, TZ, agent, at, build_center, work_type
from tests.service_helpers import bearer, free_port, start_server, stop_server

CENTER = dump_center(build_center([agent("a1"), agent("a2")]))


def test_health_needs_no_token_and_everything_else_does(client: TestClient, store: Store) -> None:
    assert client.get("/api/health").json() == {"status": "ok"}
    assert client.get("/api/me").status_code == 401
    assert client.get("/api/me", headers=bearer("not-a-token")).status_code == 401
    token = store.add_user("ann", "viewer")
    assert client.get("/api/me", headers=bearer(token)).json() == {"name": "ann", "role": "viewer"}


def test_a_role_that_may_not_act_gets_403(client: TestClient, store: Store) -> None:
    viewer = store.add_user("vic", "viewer")
    response = client.post("/api/centers", json={"yaml": CENTER}, headers=bearer(viewer))
    assert response.status_code == 403 and "planner" in response.json()["detail"]
    planner = store.add_user("pat", "planner")
    assert client.post("/api/centers", json={"yaml": CENTER}, headers=bearer(planner)).status_code == 201


def test_a_centre_is_versioned_only_when_it_changes(client: TestClient, store: Store) -> None:
    headers = bearer(store.add_user("pat", "planner"))
    first = client.post("/api/centers", json={"yaml": CENTER}, headers=headers).json()
    assert (first["version"], first["versions"], first["agents"]) == (1, 1, 2)
    again = client.post("/api/centers", json={"yaml": CENTER}, headers=headers).json()
    assert (again["id"], again["version"], again["versions"]) == (first["id"], 1, 1)
    grown = dump_center(build_center([agent("a1"), agent("a2"), agent("a3")]))
    second = client.post("/api/centers", json={"yaml": grown}, headers=headers).json()
    assert (second["id"], second["version"], second["versions"], second["agents"]) == (first["id"], 2, 2, 3)
    # Each version stays as it was: a plan keeps the version it was made from.
    old = client.get(f"/api/centers/{first['id']}", params={"version": 1}, headers=headers).json()
    assert (old["version"], old["agents"]) == (1, 2)
    assert client.get(f"/api/centers/{first['id']}/yaml", params={"version": 1}, headers=headers).json()["yaml"] == (
        CENTER
    )
    listed = client.get("/api/centers", headers=headers).json()
    assert [(c["id"], c["version"]) for c in listed] == [(first["id"], 2)]
    assert client.get("/api/centers/999", headers=headers).status_code == 404
    assert client.get(f"/api/centers/{first['id']}", params={"version": 7}, headers=headers).status_code == 404


def test_a_bad_centre_is_422_naming_the_line_and_field_and_nothing_is_stored(client: TestClient, store: Store) -> None:
    headers = bearer(store.add_user("pat", "planner"))
    broken = CENTER.replace("interval_minutes: 60", "interval_minutes: 7")
    assert broken != CENTER
    response = client.post("/api/centers", json={"yaml": broken, "filename": "mine.yaml"}, headers=headers)
    assert response.status_code == 422
    body = response.json()
    assert body["source"] == "mine.yaml"
    assert any(p["where"].startswith("line ") and "interval_minutes" in p["where"] for p in body["problems"])
    not_yaml = client.post("/api/centers", json={"yaml": "name: [unclosed"}, headers=headers)
    assert not_yaml.status_code == 422 and "YAML" in not_yaml.json()["problems"][0]["what"]
    assert client.get("/api/centers", headers=headers).json() == []


def test_a_centre_may_be_sent_as_its_yaml_file(client: TestClient, store: Store) -> None:
    """The contract's `POST /api/centers` with the YAML file as the body (as `curl --data-binary @center.yaml`
    sends it), the same centre as the JSON form; another media type is 415; a bad file names itself."""
    headers = bearer(store.add_user("pat", "planner"))
    raw = client.post(
        "/api/centers", content=CENTER.encode(), headers={**headers, "Content-Type": "application/yaml"}
    ).json()
    assert (raw["version"], raw["agents"]) == (1, 2)
    same = client.post("/api/centers", json={"yaml": CENTER}, headers=headers).json()
    assert (same["id"], same["version"]) == (raw["id"], 1)
    form = client.post("/api/centers", data={"yaml": CENTER}, headers=headers)
    assert form.status_code == 415 and "application/yaml" in form.json()["detail"]
    broken = client.post(
        "/api/centers?filename=mine.yaml",
        content=b"name: [unclosed",
        headers={**headers, "Content-Type": "text/yaml"},
    )
    assert broken.status_code == 422 and broken.json()["source"] == "mine.yaml"
    latin = client.post(
        "/api/centers", content="name: Zürich".encode("latin-1"), headers={**headers, "Content-Type": "text/yaml"}
    )
    assert latin.status_code == 422 and "UTF-8" in latin.json()["problems"][0]["fix"]
    assert [c["id"] for c in client.get("/api/centers", headers=headers).json()] == [raw["id"]]


def test_the_openapi_description_lists_the_routes(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    assert {"/api/health", "/api/me", "/api/centers", "/api/centers/{center_id}"} <= set(paths)


def test_wfm_serve_runs_a_server_on_this_machine_only(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'wfm.db'}"
    made = open_store(url)
    token = made.add_user("ann", "analyst")
    made.close()
    port = free_port()
    server = start_server(["--db", url, "--workers", "1"], port, tmp_path / "serve.log")
    try:
        health = httpx.get(f"http://127.0.0.1:{port}/api/health", timeout=2)
        assert health.json() == {"status": "ok"}
        me = httpx.get(f"http://127.0.0.1:{port}/api/me", headers=bearer(token), timeout=5)
        assert me.json() == {"name": "ann", "role": "analyst"}
        if _has_ss():
            listening = subprocess.run(["ss", "-ltn"], capture_output=True, text=True).stdout
            assert f"127.0.0.1:{port}" in listening and f"0.0.0.0:{port}" not in listening
    finally:
        stop_server(server)  # stopped by its process id, as Ctrl-C would


def _has_ss() -> bool:
    from shutil import which

    return which("ss") is not None


# -- rosters and dispatch ----------------------------------------------------------------------------------------

DESK = dump_center(
    build_center(
        [agent("a1", "phone"), agent("a2", "phone")],
        work_types=[work_type("calls", "phone"), work_type("email", "phone", deferred=True)],
    )
)


def roster_csv(rows: list[tuple[str, str, str]]) -> str:
    """A roster (the contract's CSV) of (agent, start, end) shifts on Monday, template early, no breaks."""
    frame = pd.DataFrame(
        [
            {
                "agent_id": agent_id,
                "date": MONDAY,
                "start": at(MONDAY, start),
                "end": at(MONDAY, end),
                "shift_template": "early",
                "breaks": [],
                "paid_minutes": int((at(MONDAY, end) - at(MONDAY, start)).total_seconds() // 60),
                "pinned": False,
            }
            for agent_id, start, end in rows
        ]
    )
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "roster.csv"
        write_table(frame, ROSTER, path)
        return path.read_text()


def tickets(count: int) -> list[dict[str, str]]:
    return [
        {"ticket_id": f"T{i}", "work_type": "email", "created_at": at(MONDAY, "07:00").isoformat()}
        for i in range(count)
    ]


@pytest.fixture
def desk(client: TestClient, store: Store) -> tuple[int, dict[str, str]]:
    headers = bearer(store.add_user("pat", "planner"))
    made = client.post("/api/centers", json={"yaml": DESK}, headers=headers)
    assert made.status_code == 201, made.json()
    return made.json()["id"], headers


def test_a_roster_is_uploaded_as_a_draft_then_published_by_whom_and_when(
    client: TestClient, desk: tuple[int, dict[str, str]]
) -> None:
    center_id, headers = desk
    text = roster_csv([("a1", "06:00", "14:00"), ("a2", "06:00", "14:00")])
    uploaded = client.post(f"/api/centers/{center_id}/rosters", json={"csv": text}, headers=headers)
    assert uploaded.status_code == 201, uploaded.json()
    draft = uploaded.json()
    assert (draft["status"], draft["summary"]["shifts"], draft["summary"]["violations"]) == ("draft", 2, [])
    published = client.post(f"/api/rosters/{draft['id']}/publish", headers=headers).json()
    assert published["status"] == "published" and published["published_at"] is not None
    listed = client.get(f"/api/centers/{center_id}/rosters", headers=headers).json()
    assert [(r["id"], r["status"]) for r in listed] == [(draft["id"], "published")]
    # The stored roster comes back as the roster contract's CSV, the same shifts.
    back = client.get(f"/api/rosters/{draft['id']}.csv", headers=headers)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "back.csv"
        path.write_text(back.text)
        again = read_table(path, ROSTER, timezone=TZ)
    assert sorted(again["agent_id"]) == ["a1", "a2"]
    assert again["start"].tolist() == [at(MONDAY, "06:00")] * 2


def test_a_roster_s_csv_is_rendered_once_and_served_again_as_it_was(
    client: TestClient, desk: tuple[int, dict[str, str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    # A page polls the roster it shows: its CSV is rendered from the stored table once, not on every read.
    center_id, headers = desk
    rendered: list[int] = []

    def counted(table: pd.DataFrame, schema: TableSchema) -> str:
        rendered.append(len(table))
        return csv_text(table, schema)

    monkeypatch.setattr(service.app, "csv_text", counted)
    ids = []
    for rows in ([("a1", "06:00", "14:00")], [("a1", "06:00", "14:00"), ("a2", "06:00", "14:00")]):
        uploaded = client.post(f"/api/centers/{center_id}/rosters", json={"csv": roster_csv(rows)}, headers=headers)
        ids.append(uploaded.json()["id"])
    first = [client.get(f"/api/rosters/{i}.csv", headers=headers) for i in ids]
    again = [client.get(f"/api/rosters/{i}.csv", headers=headers) for i in ids * 3]
    assert [r.status_code for r in first + again] == [200] * 8
    assert [r.text for r in again] == [r.text for r in first] * 3
    assert [r.text.count("\n") for r in first] == [2, 3]  # each roster's own rows, under the header
    assert rendered == [1, 2]
    assert client.get(f"/api/rosters/{ids[-1] + 1}.csv", headers=headers).status_code == 404


def test_a_roster_breaking_a_rule_is_kept_as_a_draft_and_refused_at_publish(
    client: TestClient, desk: tuple[int, dict[str, str]]
) -> None:
    center_id, headers = desk
    text = roster_csv([("a1", "09:00", "17:00")])  # the early template starts at 06:00
    uploaded = client.post(f"/api/centers/{center_id}/rosters", json={"csv": text}, headers=headers)
    assert uploaded.status_code == 201, uploaded.json()
    violations = uploaded.json()["summary"]["violations"]
    assert violations and all("a1" in v for v in violations)
    refused = client.post(f"/api/rosters/{uploaded.json()['id']}/publish", headers=headers)
    assert refused.status_code == 422


def test_a_roster_file_that_is_not_the_contract_is_422_naming_the_column(
    client: TestClient, desk: tuple[int, dict[str, str]]
) -> None:
    center_id, headers = desk
    response = client.post(
        f"/api/centers/{center_id}/rosters", json={"csv": "agent_id,date\na1,2026-06-01\n"}, headers=headers
    )
    assert response.status_code == 422
    assert any("start" in p["what"] or "start" in p["where"] for p in response.json()["problems"])
    assert client.get(f"/api/centers/{center_id}/rosters", headers=headers).json() == []


def test_dispatch_assigns_every_ticket_on_the_published_roster(
    client: TestClient, store: Store, desk: tuple[int, dict[str, str]]
) -> None:
    center_id, headers = desk
    body = {"at": at(MONDAY, "08:00").isoformat(), "tickets": tickets(6)}
    assert client.post(f"/api/centers/{center_id}/dispatch", json=body, headers=headers).status_code == 409
    text = roster_csv([("a1", "06:00", "14:00"), ("a2", "06:00", "14:00")])
    draft = client.post(f"/api/centers/{center_id}/rosters", json={"csv": text}, headers=headers).json()
    client.post(f"/api/rosters/{draft['id']}/publish", headers=headers)
    supervisor = bearer(store.add_user("sue", "supervisor"))
    response = client.post(f"/api/centers/{center_id}/dispatch", json=body, headers=supervisor)
    assert response.status_code == 200, response.json()
    rows = response.json()["assignment"]
    assert sorted(r["ticket_id"] for r in rows) == sorted(t["ticket_id"] for t in body["tickets"])
    assert {r["agent_id"] for r in rows} <= {"a1", "a2"} and all(r["agent_id"] for r in rows)
    viewer = bearer(store.add_user("vic", "viewer"))
    assert client.post(f"/api/centers/{center_id}/dispatch", json=body, headers=viewer).status_code == 403
    unknown = {**body, "tickets": [{**body["tickets"][0], "work_type": "fax"}]}
    assert client.post(f"/api/centers/{center_id}/dispatch", json=unknown, headers=supervisor).status_code == 422
    night = {**body, "at": at(MONDAY, "23:00").isoformat()}
    assert client.post(f"/api/centers/{center_id}/dispatch", json=night, headers=supervisor).status_code == 422

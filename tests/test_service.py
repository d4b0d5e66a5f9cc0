"""The planning service's API: tokens and roles (401, 403), centres uploaded and versioned, bad input as 422
with the command line's problems, and `wfm serve` as a real server process on 127.0.0.1."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

from models import dump_center
from service.app import create_app
from service.store import Store, open_store
from tests.roster_helpers import agent, build_center

CENTER = dump_center(build_center([agent("a1"), agent("a2")]))


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    opened = open_store(f"sqlite:///{tmp_path / 'wfm.db'}")
    yield opened
    opened.close()


@pytest.fixture
def client(store: Store) -> Iterator[TestClient]:
    with TestClient(create_app(store)) as test_client:
        yield test_client


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


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


def test_the_openapi_description_lists_the_routes(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    assert {"/api/health", "/api/me", "/api/centers", "/api/centers/{center_id}"} <= set(paths)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def test_wfm_serve_runs_a_server_on_this_machine_only(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'wfm.db'}"
    made = open_store(url)
    token = made.add_user("ann", "analyst")
    made.close()
    port = _free_port()
    log = tmp_path / "serve.log"
    with log.open("wb") as sink:
        server = subprocess.Popen(
            [sys.executable, "-m", "wfm", "serve", "--db", url, "--port", str(port)],
            stdout=sink,
            stderr=subprocess.STDOUT,
            env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])},
        )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                health = httpx.get(f"http://127.0.0.1:{port}/api/health", timeout=2)
                break
            except httpx.TransportError:
                if server.poll() is not None or time.monotonic() > deadline:
                    raise AssertionError(f"the server did not start: {log.read_text()}") from None
                time.sleep(0.3)
        assert health.json() == {"status": "ok"}
        me = httpx.get(f"http://127.0.0.1:{port}/api/me", headers=bearer(token), timeout=5)
        assert me.json() == {"name": "ann", "role": "analyst"}
        if _has_ss():
            listening = subprocess.run(["ss", "-ltn"], capture_output=True, text=True).stdout
            assert f"127.0.0.1:{port}" in listening and f"0.0.0.0:{port}" not in listening
    finally:
        server.send_signal(signal.SIGINT)  # stopped by its process id, as Ctrl-C would
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(timeout=10)


def _has_ss() -> bool:
    from shutil import which

    return which("ss") is not None

"""The service against hostile or broken requests, on SQLite and on a real PostgreSQL server: missing, wrong and
misplaced tokens (401), wrong roles (403), oversized bodies (413, with a length and chunked), malformed YAML and
CSV (422 naming the row and field), paths in file names, SQL-looking strings, and the security headers. Every
refused request leaves every table of the store as it was (a snapshot of all rows before and after)."""

from __future__ import annotations

import asyncio
import base64
import gzip
import os
import re
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import MetaData, delete, select, update

from service.app import create_app
from service.store import CenterVersion, Job, JobFile, Plan, Store, User, hash_token, open_store
from tests.service_helpers import bearer, free_port, start_server, stop_server
from tests.test_service import DESK, roster_csv, tickets

#: The body limit of the app the size tests build.
SMALL_LIMIT = 4096
#: Bounds of a request that must not hang (never reached when the service works; a test fails past them).
HANG_S = 60.0

HISTORY = """created_at,work_type,handle_time_s
2026-05-04 09:00,calls,300
2026-05-04 09:05,calls,310
2026-05-04 09:10,email,290
"""


def snapshot(store: Store) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table of the store (the tables as the database lists them, not as the models say)."""
    metadata = MetaData()
    metadata.reflect(store.engine)
    with store.engine.connect() as connection:
        return {
            name: sorted((tuple(row) for row in connection.execute(select(table))), key=repr)
            for name, table in sorted(metadata.tables.items())
        }


@dataclass
class World:
    """A centre with a history, a published roster, a draft roster and a queued job, and a user of each role."""

    tokens: dict[str, str]
    revoked: str
    center_id: int
    history_id: int
    draft_id: int
    job_id: str


@pytest.fixture
def world(client: TestClient, store: Store) -> World:
    tokens = {role: store.add_user(role[:3], role) for role in ("planner", "supervisor", "analyst", "viewer")}
    revoked = store.add_user("old", "planner")
    with store.session() as session:
        session.execute(update(User).where(User.name == "old").values(active=False))
    planner = bearer(tokens["planner"])
    made = client.post("/api/centers", json={"yaml": DESK}, headers=planner)
    assert made.status_code == 201, made.text
    center_id = made.json()["id"]
    history = client.post(
        f"/api/centers/{center_id}/histories", files={"file": ("history.csv", HISTORY.encode())}, headers=planner
    )
    assert history.status_code == 201, history.text
    shifts = roster_csv([("a1", "06:00", "14:00"), ("a2", "06:00", "14:00")])
    published = client.post(f"/api/centers/{center_id}/rosters", json={"csv": shifts}, headers=planner).json()
    assert client.post(f"/api/rosters/{published['id']}/publish", headers=planner).status_code == 200
    draft = client.post(f"/api/centers/{center_id}/rosters", json={"csv": shifts}, headers=planner).json()
    with store.session() as session:
        pat = session.scalars(select(User).where(User.name == "pla")).one()
        session.add(Job(id="job-of-pat", kind="roster", status="queued", params={}, progress={}, created_by=pat.id))
    return World(tokens, revoked, center_id, history.json()["id"], draft["id"], "job-of-pat")


# -- tokens and roles ----------------------------------------------------------------------------------------------

Call = Callable[[World], dict[str, Any]]


def _file(name: str = "history.csv", content: bytes = HISTORY.encode()) -> dict[str, Any]:
    return {"files": {"file": (name, content, "text/csv")}}


#: Every route that changes the store: how to call it (a request the allowed role may make) and the roles that
#: may. Plans and jobs name no stored history or requirement, so that an allowed call is refused (422) before a
#: job is queued.
MUTATING: dict[str, tuple[str, Callable[[World], str], Call, tuple[str, ...]]] = {
    "centre": ("POST", lambda w: "/api/centers", lambda w: {"json": {"yaml": DESK}}, ("planner",)),
    "history": (
        "POST",
        lambda w: f"/api/centers/{w.center_id}/histories",
        lambda w: _file(),
        ("planner", "analyst"),
    ),
    "forecast": (
        "POST",
        lambda w: f"/api/centers/{w.center_id}/forecasts",
        lambda w: _file("forecast.csv"),
        ("planner", "analyst"),
    ),
    "requirement": (
        "POST",
        lambda w: f"/api/centers/{w.center_id}/requirements",
        lambda w: _file("requirement.csv"),
        ("planner", "analyst"),
    ),
    "roster": (
        "POST",
        lambda w: f"/api/centers/{w.center_id}/rosters",
        lambda w: {"json": {"csv": roster_csv([("a1", "06:00", "14:00")])}},
        ("planner",),
    ),
    "publish": ("POST", lambda w: f"/api/rosters/{w.draft_id}/publish", lambda w: {}, ("planner",)),
    "plan": (
        "POST",
        lambda w: "/api/plans",
        lambda w: {"json": {"center_id": w.center_id, "history_id": 10**6, "start": "2026-06-01", "days": 1}},
        ("planner",),
    ),
    "roster job": (
        "POST",
        lambda w: "/api/jobs/roster",
        lambda w: {"json": {"center_id": w.center_id, "requirement_id": 10**6}},
        ("planner",),
    ),
    "dispatch": (
        "POST",
        lambda w: f"/api/centers/{w.center_id}/dispatch",
        lambda w: {"json": {"at": "2026-06-01T08:00", "tickets": tickets(2)}},
        ("planner", "supervisor"),
    ),
    "cancel": ("DELETE", lambda w: f"/api/jobs/{w.job_id}", lambda w: {}, ("planner",)),
    "apply": ("POST", lambda w: f"/api/intraday/{w.job_id}/apply", lambda w: {"json": {}}, ("supervisor", "planner")),
}


def refused_credentials(world: World) -> list[tuple[str, dict[str, str], dict[str, str]]]:
    """(what, headers, query parameters) of requests that carry no usable token, though most carry a good one
    where the service does not look for it."""
    good = world.tokens["planner"]
    basic = base64.b64encode(f"pla:{good}".encode()).decode()
    return [
        ("no token", {}, {}),
        ("an unknown token", bearer("not-a-token"), {}),
        ("an empty token", {"Authorization": "Bearer "}, {}),
        ("the stored hash of a good token", bearer(hash_token(good)), {}),
        ("a revoked user's token", bearer(world.revoked), {}),
        ("a good token with another scheme", {"Authorization": f"Token {good}"}, {}),
        ("a good token without a scheme", {"Authorization": good}, {}),
        ("a good token as basic credentials", {"Authorization": f"Basic {basic}"}, {}),
        ("a good token in the URL", {}, {"token": good}),
        ("a good token in the URL as access_token", {}, {"access_token": good}),
        ("a good token in a cookie", {"Cookie": f"token={good}"}, {}),
        ("a good token in X-API-Key", {"X-API-Key": good}, {}),
    ]


@pytest.mark.parametrize("route", list(MUTATING))
def test_every_mutating_route_refuses_missing_wrong_and_misplaced_tokens_and_wrong_roles(
    client: TestClient, store: Store, world: World, route: str
) -> None:
    method, path, call, allowed = MUTATING[route]
    before = snapshot(store)
    for what, headers, params in refused_credentials(world):
        response = client.request(method, path(world), headers=headers, params=params, **call(world))
        assert response.status_code == 401, f"{what}: {response.status_code} {response.text}"
        assert response.headers["www-authenticate"] == "Bearer", what
    for role in sorted(set(world.tokens) - set(allowed)):
        response = client.request(method, path(world), headers=bearer(world.tokens[role]), **call(world))
        assert response.status_code == 403, f"{role}: {response.status_code} {response.text}"
        assert all(a in response.json()["detail"] for a in allowed), response.text
    assert snapshot(store) == before
    # The same request with the right role's token is served (the refusals were the token's and the role's).
    response = client.request(method, path(world), headers=bearer(world.tokens[allowed[0]]), **call(world))
    assert response.status_code not in (401, 403, 500), response.text


@pytest.mark.parametrize(
    ("what", "content_type", "body"),
    [
        ("broken multipart", "multipart/form-data; boundary=xyz", b"not multipart at all"),
        ("broken JSON", "application/json", b"{not json"),
        ("JSON of the wrong shape", "application/json", b"[1, 2, 3]"),
    ],
)
def test_a_body_from_a_caller_without_a_valid_token_is_refused_401_before_it_is_read(
    client: TestClient, store: Store, world: World, what: str, content_type: str, body: bytes
) -> None:
    """The token is checked before the body is parsed: a stranger gets 401 whatever they send, never a 400 or 422
    that shows the body was read (and a stranger's upload costs the server no parsing)."""
    before = snapshot(store)
    for route in MUTATING.values():
        method, path = route[0], route[1](world)
        for headers in ({}, bearer("not-a-token"), bearer(world.revoked)):
            response = client.request(method, path, content=body, headers={**headers, "Content-Type": content_type})
            assert response.status_code == 401, f"{what} to {method} {path}: {response.status_code} {response.text}"
            assert response.headers["www-authenticate"] == "Bearer"
    assert snapshot(store) == before


#: The route (method, path as the app declares it) each entry of `MUTATING` calls.
TESTED_ROUTES = {
    ("POST", "/api/centers"): "centre",
    ("POST", "/api/centers/{center_id}/histories"): "history",
    ("POST", "/api/centers/{center_id}/forecasts"): "forecast",
    ("POST", "/api/centers/{center_id}/requirements"): "requirement",
    ("POST", "/api/centers/{center_id}/rosters"): "roster",
    ("POST", "/api/rosters/{roster_id}/publish"): "publish",
    ("POST", "/api/plans"): "plan",
    ("POST", "/api/jobs/{kind}"): "roster job",
    ("POST", "/api/centers/{center_id}/dispatch"): "dispatch",
    ("DELETE", "/api/jobs/{job_id}"): "cancel",
    ("POST", "/api/intraday/{job_id}/apply"): "apply",
}


def _api_routes(client: TestClient) -> list[tuple[str, str]]:
    """Every (method, path) the app serves under /api, as its OpenAPI description lists them."""
    paths = client.get("/openapi.json").json()["paths"]
    return sorted((method.upper(), path) for path, item in paths.items() if path.startswith("/api/") for method in item)


def test_every_route_that_changes_the_store_is_in_the_token_and_role_tests(client: TestClient) -> None:
    """A route added later is refused here until `MUTATING` calls it with every wrong token and role."""
    mutating = {(m, p) for m, p in _api_routes(client) if m not in ("GET", "HEAD")}
    assert mutating == set(TESTED_ROUTES), f"untested: {mutating - set(TESTED_ROUTES)}"
    assert set(TESTED_ROUTES.values()) == set(MUTATING)


def test_every_api_route_but_health_needs_a_token(client: TestClient, store: Store) -> None:
    """Each route under /api (read or write, present or added later), its path filled in, without a token or with
    one in the URL: 401."""
    token = store.add_user("pat", "planner")
    before = snapshot(store)
    checked = 0
    for method, template in _api_routes(client):
        if template == "/api/health":
            continue
        path = re.sub(r"\{[^}]+\}", "1", template)
        for params in ({}, {"token": token}):
            response = client.request(method, path, params=params)
            assert response.status_code == 401, f"{method} {template} {params}: {response.status_code}"
        checked += 1
    assert checked >= len(TESTED_ROUTES) + 10
    assert snapshot(store) == before


# -- sizes -------------------------------------------------------------------------------------------------------


@pytest.fixture
def small(store: Store) -> Iterator[TestClient]:
    """The app with a body limit of `SMALL_LIMIT` bytes."""
    with TestClient(create_app(store, workers=1, max_upload_bytes=SMALL_LIMIT)) as test_client:
        yield test_client


def _history_of(rows: int) -> bytes:
    lines = [f"2026-05-04 {9 + i // 60 % 10:02d}:{i % 60:02d},calls,300" for i in range(rows)]
    return ("created_at,work_type,handle_time_s\n" + "\n".join(lines) + "\n").encode()


def _multipart(name: str, content: bytes) -> tuple[bytes, str]:
    """A multipart body of one file and its content type, as httpx encodes it."""
    request = httpx.Request("POST", "http://x/", files={"file": (name, content, "text/csv")})
    return request.read(), request.headers["content-type"]


def test_a_body_past_the_limit_is_413_with_a_length_or_chunked_and_nothing_is_stored(
    small: TestClient, store: Store, world: World
) -> None:
    planner = bearer(world.tokens["planner"])
    url = f"/api/centers/{world.center_id}/histories"
    big = _history_of(400)
    assert len(big) > SMALL_LIMIT
    before = snapshot(store)
    declared = small.post(url, files={"file": ("history.csv", big)}, headers=planner)
    assert declared.status_code == 413, declared.text
    assert "MB" in declared.json()["detail"] and declared.headers["x-content-type-options"] == "nosniff"
    body, content_type = _multipart("history.csv", big)

    def chunks() -> Iterator[bytes]:  # no Content-Length: the body arrives chunked
        for start in range(0, len(body), 512):
            yield body[start : start + 512]

    chunked = small.post(url, content=chunks(), headers={**planner, "Content-Type": content_type})
    assert chunked.status_code == 413, chunked.text
    centre = small.post("/api/centers", json={"yaml": DESK + "#" * SMALL_LIMIT}, headers=planner)
    assert centre.status_code == 413, centre.text
    # Refused before the token is looked at: a stranger's large body costs no more than a planner's.
    assert small.post(url, files={"file": ("history.csv", big)}).status_code == 413
    assert snapshot(store) == before
    fits = _history_of(40)
    assert len(_multipart("history.csv", fits)[0]) < SMALL_LIMIT
    accepted = small.post(url, files={"file": ("history.csv", fits)}, headers=planner)
    assert accepted.status_code == 201, accepted.text
    assert accepted.json()["rows"] == 40


# -- malformed YAML ----------------------------------------------------------------------------------------------

BOMB = """name: &a ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]
b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]
c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]
d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c]
e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d]
f: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e]
g: &g [*f, *f, *f, *f, *f, *f, *f, *f, *f]
h: &h [*g, *g, *g, *g, *g, *g, *g, *g, *g]
i: &i [*h, *h, *h, *h, *h, *h, *h, *h, *h]
agents: [*i, *i, *i, *i, *i, *i, *i, *i, *i]
regions: *i
skills: *i
work_types: *i
"""


def _in_time(call: Callable[[], Any]) -> Any:
    """`call()`'s response, failing the test (instead of hanging it) past `HANG_S`."""
    found: list[Any] = []
    worker = threading.Thread(target=lambda: found.append(call()), daemon=True)
    worker.start()
    worker.join(HANG_S)
    assert found, f"no answer within {HANG_S:g} s"
    return found[0]


@pytest.mark.parametrize(
    ("what", "text", "said"),
    [
        ("a tab for indentation", DESK.replace("\n  ", "\n\t", 1), "YAML"),
        ("an unclosed bracket", "name: [unclosed\nagents: []\n", "YAML"),
        ("an unclosed quote", 'name: "unclosed\n', "YAML"),
        ("a list, not a mapping", "- name: x\n", "mapping"),
        ("nesting past Python's recursion", "a: " + "[" * 5000 + "]" * 5000 + "\n", ""),
        ("a billion laughs of aliases", BOMB, ""),
        ("a Python object tag", "name: !!python/object/apply:os.system ['touch {marker}']\n", "python"),
        ("a Python name tag", "name: !!python/name:os.system\n", "python"),
        ("a Python module tag", "name: !!python/module:os\n", "python"),
    ],
)
def test_malformed_yaml_is_422_with_problems_builds_no_object_and_stores_nothing(
    client: TestClient, store: Store, world: World, tmp_path: Path, what: str, text: str, said: str
) -> None:
    marker = tmp_path / "touched"
    planner = bearer(world.tokens["planner"])
    before = snapshot(store)
    response = _in_time(
        lambda: client.post(
            "/api/centers", json={"yaml": text.replace("{marker}", str(marker)), "filename": "c.yaml"}, headers=planner
        )
    )
    assert response.status_code == 422, f"{what}: {response.text}"
    body = response.json()
    assert body["source"] == "c.yaml" and body["problems"], what
    assert all(p["what"] and p["fix"] for p in body["problems"]), body
    assert said.lower() in response.text.lower(), body
    assert len(response.content) < 100_000, f"{what}: the answer repeats the expanded input"
    assert not marker.exists()
    assert snapshot(store) == before


@pytest.mark.parametrize(
    ("what", "path", "content", "where"),
    [
        ("broken JSON", "/api/centers", b"{not json", "body"),
        ("no yaml field", "/api/centers", b'{"filename": "c.yaml"}', "body.yaml"),
        ("yaml not text", "/api/centers", b'{"yaml": 5}', "body.yaml"),
        ("a list for a body", "/api/centers", b"[1, 2]", "body"),
        ("a centre id that is not a number", "/api/centers/one/rosters", b'{"csv": "x"}', "path.center_id"),
        (
            "a roster version that is not a number",
            "/api/centers/1/rosters",
            b'{"csv": "x", "version": "v2"}',
            "version",
        ),
    ],
)
def test_a_malformed_json_body_is_422_with_problems_as_every_bad_input(
    client: TestClient, store: Store, world: World, what: str, path: str, content: bytes, where: str
) -> None:
    before = snapshot(store)
    headers = {**bearer(world.tokens["planner"]), "Content-Type": "application/json"}
    response = client.post(path, content=content, headers=headers)
    assert response.status_code == 422, f"{what}: {response.text}"
    body = response.json()
    assert body["source"] == "request" and body["problems"], body
    assert any(where in p["where"] for p in body["problems"]), body
    assert all(p["what"] and p["fix"] for p in body["problems"]), body
    assert snapshot(store) == before


# -- malformed tables ----------------------------------------------------------------------------------------------

KINDS = ("histories", "forecasts", "requirements")


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize(
    ("what", "name", "content", "said"),
    [
        ("binary garbage", "x.csv", bytes(range(256)) * 8, ""),
        ("an empty file", "x.csv", b"", "empty"),
        ("a header only", "x.csv", b"created_at,work_type\n", ""),
        ("unknown columns", "x.csv", b"foo,bar\n1,2\n", ""),
        ("garbage named Parquet", "x.parquet", b"PAR1 this is not parquet PAR1", "Parquet"),
        ("garbage named gzip", "x.csv.gz", b"\x1f\x8b not really gzip", ""),
        ("a text suffix", "x.txt", HISTORY.encode(), "not a CSV or Parquet"),
        ("no suffix", "history", HISTORY.encode(), "not a CSV or Parquet"),
        ("a program", "x.exe", b"MZ\x90\x00", "not a CSV or Parquet"),
    ],
)
def test_a_malformed_table_upload_is_422_naming_the_file_and_stores_nothing(
    client: TestClient, store: Store, world: World, kind: str, what: str, name: str, content: bytes, said: str
) -> None:
    before = snapshot(store)
    response = client.post(
        f"/api/centers/{world.center_id}/{kind}",
        files={"file": (name, content)},
        headers=bearer(world.tokens["analyst"]),
    )
    assert response.status_code == 422, f"{what}: {response.status_code} {response.text}"
    body = response.json()
    assert body["source"].startswith(name) and body["problems"], body
    assert all(p["fix"] for p in body["problems"]), body
    assert said in response.text, body
    assert "wfm-upload" not in response.text  # the service's own temporary file is never named
    assert snapshot(store) == before


@pytest.mark.parametrize(
    ("kind", "text", "row", "field"),
    [
        ("histories", HISTORY.replace("2026-05-04 09:10", "2026-05-34 09:10"), 3, "created_at"),
        ("histories", HISTORY.replace("09:05,calls,310", "09:05,calls,abc"), 2, "handle_time_s"),
        ("histories", HISTORY.replace("09:10,email", "09:10,fax"), 3, "work_type"),
        (
            "forecasts",
            "interval_start,work_type,volume,volume_p10,volume_p50,volume_p90,aht_s\n"
            "2026-06-01 08:00,calls,3,2,3,4,300\n2026-06-01 08:15,calls,x,2,3,4,300\n",
            2,
            "volume",
        ),
        (
            "requirements",
            "interval_start,work_type,workload_erlangs,required_agents,required_agents_int,expected_service_level\n"
            "2026-06-01 08:00,calls,1,1.2,2,0.9\n2026-06-01 25:15,calls,1,1.2,2,0.9\n",
            2,
            "interval_start",
        ),
    ],
)
def test_a_bad_value_in_a_row_is_422_naming_the_row_and_field(
    client: TestClient, store: Store, world: World, kind: str, text: str, row: int, field: str
) -> None:
    before = snapshot(store)
    response = client.post(
        f"/api/centers/{world.center_id}/{kind}",
        files={"file": ("mine.csv", text.encode())},
        headers=bearer(world.tokens["planner"]),
    )
    assert response.status_code == 422, response.text
    problems = response.json()["problems"]
    named = [p for p in problems if field in p["where"] + p["what"]]
    assert named, problems
    assert any(f"row {row}" in p["where"] or f"line {row + 1}" in p["where"] for p in named), problems
    assert snapshot(store) == before


# -- paths in fields -----------------------------------------------------------------------------------------------

PATHS = ["../../etc/passwd", "/etc/passwd", "C:\\x\\y.csv", "..%2F..%2Fx.csv", "../../history.csv", "a/../../b.csv"]


def _entries(*folders: Path) -> set[Path]:
    return {entry for folder in folders for entry in folder.iterdir()}


@pytest.mark.parametrize("name", PATHS)
def test_a_path_as_an_uploaded_file_name_reaches_no_file_and_messages_name_its_base_only(
    client: TestClient, store: Store, world: World, tmp_path: Path, name: str
) -> None:
    planner = bearer(world.tokens["planner"])
    watched = (tmp_path.parent, Path.cwd(), tmp_path)
    around = _entries(*watched)
    passwd = Path("/etc/passwd").stat().st_mtime_ns if Path("/etc/passwd").exists() else None
    url = f"/api/centers/{world.center_id}/histories"
    bad = client.post(url, files={"file": (name, b"created_at,work_type\n2026-99-01 09:00,calls\n")}, headers=planner)
    assert bad.status_code == 422, bad.text
    source = bad.json()["source"]
    assert "/" not in source and "\\" not in source and not source.startswith(".."), source
    assert "root:" not in bad.text and "/etc" not in bad.text and "C:" not in bad.text
    stored = client.post(url, files={"file": (name, HISTORY.encode())}, headers=planner)
    if stored.status_code == 201:  # a name with a table's suffix: kept under its base name
        assert "/" not in stored.json()["name"] and "\\" not in stored.json()["name"]
        assert not stored.json()["name"].startswith("..")
        listed = client.get(f"/api/datasets/{stored.json()['id']}.csv", headers=planner)
        assert listed.status_code == 200 and "root:" not in listed.text
        assert "/" not in listed.headers["content-disposition"].split("filename=")[1]
    else:
        assert stored.status_code == 422 and "not a CSV or Parquet" in stored.text, stored.text
    assert _entries(*watched) == around
    assert passwd is None or Path("/etc/passwd").stat().st_mtime_ns == passwd


@pytest.mark.parametrize("name", PATHS)
def test_a_path_in_a_json_filename_field_is_named_by_its_base_only(
    client: TestClient, store: Store, world: World, tmp_path: Path, name: str
) -> None:
    planner = bearer(world.tokens["planner"])
    watched = (tmp_path.parent, Path.cwd(), tmp_path)
    around = _entries(*watched)
    before = snapshot(store)
    centre = client.post("/api/centers", json={"yaml": "name: [", "filename": name}, headers=planner)
    roster = client.post(
        f"/api/centers/{world.center_id}/rosters", json={"csv": "agent_id\na1\n", "filename": name}, headers=planner
    )
    for response in (centre, roster):
        assert response.status_code == 422, response.text
        source = response.json()["source"]
        assert source and "/" not in source and "\\" not in source and not source.startswith(".."), source
        assert "root:" not in response.text
    # A file name that is a path to a readable file is a name, never read: the text sent is what is checked.
    named = client.post("/api/centers", json={"yaml": DESK, "filename": "/etc/passwd"}, headers=planner)
    assert named.status_code == 201 and named.json()["versions"] == 1, named.text
    assert snapshot(store) == before
    assert _entries(*watched) == around


@pytest.mark.parametrize(
    "name", ["..%2F..%2Fetc%2Fpasswd", "%2Fetc%2Fpasswd", "..%5C..%5Cx", "report.html%00.csv", "%2e%2e/%2e%2e/x"]
)
def test_a_path_in_a_file_route_names_a_stored_file_only(
    client: TestClient, store: Store, world: World, name: str
) -> None:
    """A plan's file is looked up by its name among the files its job stored, never on the disk."""
    planner = bearer(world.tokens["planner"])
    plan_id = stored_plan(store, world)
    assert client.get(f"/api/plans/{plan_id}/report.html", headers=planner).status_code == 200
    for path in (f"/api/plans/{plan_id}/{name}", f"/api/plans/{plan_id}/calendars/{name}", f"/api/datasets/{name}"):
        response = client.get(path, headers=planner)
        assert response.status_code in (404, 422), f"{path}: {response.status_code} {response.text}"
        assert "root:" not in response.text


@pytest.mark.parametrize("store", ["sqlite"], indirect=True)  # it starts a worker process: one store is enough
def test_a_roster_job_keeps_the_base_name_of_its_requirement_file(
    client: TestClient, store: Store, world: World
) -> None:
    body = {
        "center_id": world.center_id,
        "requirement_csv": "interval_start,work_type,agents\n",
        "requirement_filename": "..\\..\\x\\req.csv",
    }
    submitted = client.post("/api/jobs/roster", json=body, headers=bearer(world.tokens["planner"]))
    assert submitted.status_code == 202, submitted.text
    client.delete(f"/api/jobs/{submitted.json()['id']}", headers=bearer(world.tokens["planner"]))
    with store.session() as session:
        job = session.get(Job, submitted.json()["id"])
        assert job is not None and job.params["requirement_filename"] == "req.csv"


def test_a_time_zone_or_format_that_is_a_path_is_422(client: TestClient, store: Store, world: World) -> None:
    before = snapshot(store)
    url = f"/api/centers/{world.center_id}/histories"
    planner = bearer(world.tokens["planner"])
    naive = "created_at,work_type\n2026-05-04 09:00,calls\n"
    for field, value in [
        ("history_tz", "../../../../etc/passwd"),
        ("history_tz", "/etc/localtime"),
        ("history_tz", "Europe/../../etc/passwd"),
        ("time_format", "%Y/../../etc/passwd"),
    ]:
        response = client.post(url, files={"file": ("h.csv", naive.encode())}, data={field: value}, headers=planner)
        assert response.status_code == 422, f"{field}={value}: {response.status_code} {response.text}"
        assert "root:" not in response.text
    assert snapshot(store) == before


# -- SQL-looking strings -----------------------------------------------------------------------------------------

INJECTIONS = ["'; DROP TABLE users; --", "1 OR 1=1", "1; DELETE FROM centers", "' OR '1'='1", 'x" OR ""="']


@pytest.mark.parametrize("text", INJECTIONS)
def test_sql_looking_strings_are_stored_as_text_or_refused_and_the_tables_stay(
    client: TestClient, store: Store, world: World, text: str
) -> None:
    planner = bearer(world.tokens["planner"])
    tables = set(snapshot(store))
    # As a centre's name: a name like any other, stored and given back as it was.
    named = client.post("/api/centers", json={"yaml": DESK.replace("name: ", f"name: {text!r} #", 1)}, headers=planner)
    if named.status_code == 201:
        assert named.json()["name"] == text
        assert [c["name"] for c in client.get("/api/centers", headers=planner).json()].count(text) == 1
    else:
        assert named.status_code == 422, named.text
    before = snapshot(store)
    # As a work type: not an id the centre allows.
    work_type = client.post(
        "/api/centers", json={"yaml": DESK.replace("id: calls", f"id: {text!r}", 1)}, headers=planner
    )
    assert work_type.status_code == 422, work_type.text
    # As a history's work type: a work type the centre lacks.
    typed = client.post(
        f"/api/centers/{world.center_id}/histories",
        files={"file": ("h.csv", b"created_at\n2026-05-04 09:00\n")},
        data={"work_type": text},
        headers=planner,
    )
    assert typed.status_code == 422, typed.text
    # As query and path parameters: refused, or nothing found.
    for path, params in [
        (f"/api/centers/{world.center_id}/datasets", {"kind": text}),
        ("/api/plans", {"center_id": text}),
        (f"/api/centers/{world.center_id}", {"version": text}),
        (f"/api/centers/{world.center_id}/yaml", {"version": text}),
    ]:
        response = client.get(path, params=params, headers=planner)
        assert response.status_code == 422, f"{path} {params}: {response.text}"
    for path in (f"/api/jobs/{text}", f"/api/jobs/{text}/result", f"/api/plans/1/{text}", f"/api/datasets/{text}"):
        response = client.get(path, headers=planner)
        assert response.status_code in (404, 422), f"{path}: {response.status_code} {response.text}"
    assert client.delete(f"/api/jobs/{text}", headers=planner).status_code == 404
    assert client.post(f"/api/jobs/{text}", json={}, headers=planner).status_code == 404
    assert snapshot(store) == before
    # As a file name: kept as the base name's letters, a literal.
    stored = client.post(
        f"/api/centers/{world.center_id}/histories", files={"file": (f"{text}.csv", HISTORY.encode())}, headers=planner
    )
    assert stored.status_code == 201, stored.text
    got = client.get(f"/api/datasets/{stored.json()['id']}", headers=planner).json()
    assert got["name"] == stored.json()["name"] and got["name"].endswith(".csv")
    assert set(snapshot(store)) == tables
    assert len(snapshot(store)["users"]) == 5


@pytest.mark.parametrize("number", [2**40, 2**70])
def test_an_id_past_the_store_s_integers_is_404_or_422_never_500(
    client: TestClient, store: Store, world: World, number: int
) -> None:
    """2**40 is past PostgreSQL's integer, 2**70 past SQLite's: a request naming one finds nothing or is refused,
    on either store."""
    planner = bearer(world.tokens["planner"])
    before = snapshot(store)
    for path in (
        f"/api/centers/{number}",
        f"/api/centers/{world.center_id}?version={number}",
        f"/api/centers/{number}/yaml",
        f"/api/centers/{number}/datasets",
        f"/api/centers/{number}/rosters",
        f"/api/datasets/{number}",
        f"/api/datasets/{number}.csv",
        f"/api/plans?center_id={number}",
        f"/api/plans/{number}",
        f"/api/plans/{number}/report.html",
        f"/api/rosters/{number}.csv",
    ):
        response = client.get(path, headers=planner)
        assert response.status_code in (404, 422) or response.json() == [], f"{path}: {response.text}"
    for method, path, call in [
        ("POST", f"/api/centers/{number}/histories", _file()),
        ("POST", f"/api/centers/{number}/rosters", {"json": {"csv": "agent_id\n"}}),
        ("POST", f"/api/rosters/{number}/publish", {}),
        ("POST", f"/api/centers/{number}/dispatch", {"json": {"at": "2026-06-01T08:00", "tickets": []}}),
        ("POST", "/api/jobs/roster", {"json": {"center_id": number, "requirement_csv": "x"}}),
        ("POST", "/api/plans", {"json": {"center_id": world.center_id, "history_id": number, "start": "2026-06-01"}}),
    ]:
        response = client.request(method, path, headers=planner, **call)
        allowed = (404, 409, 422) if path.endswith("dispatch") else (404, 422)  # 409: no published roster
        assert response.status_code in allowed, f"{method} {path}: {response.status_code} {response.text}"
    assert snapshot(store) == before


def test_a_nul_character_is_refused_or_kept_as_text_never_500(client: TestClient, store: Store, world: World) -> None:
    """PostgreSQL keeps no NUL character in text: a request carrying one is refused (or, on SQLite, looked up or
    kept as the text it is), never a server error."""
    planner = bearer(world.tokens["planner"])
    before = snapshot(store)
    plan_id = stored_plan(store, world)
    for method, path in [
        ("GET", "/api/jobs/a%00b"),
        ("GET", "/api/jobs/a%00b/result"),
        ("DELETE", "/api/jobs/a%00b"),
        ("GET", f"/api/plans/{plan_id}/report.html%00"),
        ("GET", f"/api/centers/{world.center_id}/datasets?kind=history%00"),
    ]:
        response = client.request(method, path, headers=planner)
        assert response.status_code in (404, 422), f"{method} {path}: {response.status_code} {response.text}"
    typed = client.post(
        f"/api/centers/{world.center_id}/histories",
        files={"file": ("h.csv", b"created_at\n2026-05-04 09:00\n")},
        data={"work_type": "calls\x00"},
        headers=planner,
    )
    assert typed.status_code == 422, typed.text
    with store.session() as session:  # the plan added above, gone again
        session.execute(delete(Plan))
        session.execute(delete(JobFile))
        session.execute(delete(Job).where(Job.id == "plan-job"))
    assert snapshot(store) == before
    named = client.post("/api/centers", json={"yaml": DESK.replace("name: ", 'name: "x\\0y" #', 1)}, headers=planner)
    assert named.status_code in (201, 422), named.text
    if named.status_code == 201:
        assert named.json()["name"] == "x\x00y"
    else:
        assert named.json()["problems"] and snapshot(store) == before


# -- headers ---------------------------------------------------------------------------------------------------------

HEADERS = {"x-content-type-options": "nosniff", "x-frame-options": "DENY", "referrer-policy": "no-referrer"}


def stored_plan(store: Store, world: World) -> int:
    """A finished plan of the world's centre with one file, `report.html` (with a script), as a plan job stores
    it; its id."""
    with store.session() as session:
        job = Job(id="plan-job", kind="plan", status="done", params={}, progress={}, finished_at=datetime.now(UTC))
        session.add(job)
        session.flush()
        html = b"<!doctype html><html><body><h1>Plan</h1><script>alert(1)</script></body></html>"
        session.add(JobFile(job_id=job.id, name="report.html", media_type="text/html", content=html))
        version = session.scalars(
            select(CenterVersion.id).where(CenterVersion.center_id == world.center_id).order_by(CenterVersion.id)
        ).first()
        assert version is not None
        plan = Plan(
            job_id=job.id,
            center_version_id=version,
            history_id=world.history_id,
            start=datetime(2026, 6, 1).date(),
            days=1,
            status="done",
            summary={},
        )
        session.add(plan)
        session.flush()
        return plan.id


def test_api_responses_carry_the_security_headers_and_served_html_a_content_security_policy(
    client: TestClient, small: TestClient, store: Store, world: World
) -> None:
    planner = bearer(world.tokens["planner"])
    responses = {
        "health": client.get("/api/health"),
        "401": client.get("/api/me"),
        "403": client.post("/api/centers", json={"yaml": DESK}, headers=bearer(world.tokens["viewer"])),
        "404": client.get("/api/centers/999", headers=planner),
        "422": client.post("/api/centers", json={"yaml": "name: ["}, headers=planner),
        "413": small.post("/api/centers", json={"yaml": "#" * SMALL_LIMIT}, headers=planner),
        "a table": client.get(f"/api/datasets/{world.history_id}.csv", headers=planner),
        "a list": client.get("/api/centers", headers=planner),
    }
    for what, response in responses.items():
        for name, value in HEADERS.items():
            assert response.headers.get(name) == value, f"{what}: {name} = {response.headers.get(name)}"
        assert response.headers.get("cache-control") == "no-store", f"{what}: {response.headers}"
    # A plan's HTML report, as a plan job stores it, served with a policy that runs no script and loads nothing.
    plan_id = stored_plan(store, world)
    report = client.get(f"/api/plans/{plan_id}/report.html", headers=planner)
    assert report.status_code == 200 and report.headers["content-type"].startswith("text/html")
    policy = report.headers["content-security-policy"]
    assert "default-src 'none'" in policy and "script-src" not in policy and "frame-ancestors 'none'" in policy
    assert report.headers["x-frame-options"] == "DENY"
    assert "content-security-policy" not in responses["a list"].headers  # JSON needs none


# -- a burst of reads ----------------------------------------------------------------------------------------------


def test_a_burst_of_concurrent_reads_all_succeed(client: TestClient, store: Store, world: World) -> None:
    """Fifty reads at once through one event loop (the app's routes run in its thread pool, each with its own
    store session): every one answered, the same answer."""
    planner = bearer(world.tokens["planner"])
    paths = ["/api/centers", f"/api/centers/{world.center_id}/datasets", f"/api/jobs/{world.job_id}", "/api/me"]

    async def burst() -> list[httpx.Response]:
        transport = httpx.ASGITransport(app=client.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://wfm") as http:
            return await asyncio.gather(*(http.get(paths[i % len(paths)], headers=planner) for i in range(50)))

    responses = asyncio.run(burst())
    assert [r.status_code for r in responses] == [200] * 50, [r.text for r in responses if r.status_code != 200]
    for i, response in enumerate(responses):
        assert response.json() == responses[i % len(paths)].json()


def test_gzip_history_upload_within_the_limit_is_read(client: TestClient, store: Store, world: World) -> None:
    """A compressed history is read as its CSV (the size limit counts the compressed bytes sent)."""
    response = client.post(
        f"/api/centers/{world.center_id}/histories",
        files={"file": ("h.csv.gz", gzip.compress(HISTORY.encode()))},
        headers=bearer(world.tokens["analyst"]),
    )
    assert response.status_code == 201, response.text
    assert response.json()["rows"] == 3 and os.sep not in response.json()["name"]


def _repeated(rows: int) -> bytes:
    return b"created_at,work_type,handle_time_s\n" + b"2026-05-04 09:00,calls,300\n" * rows


@pytest.mark.parametrize("packing", ["gzip", "parquet"])
def test_a_compressed_upload_that_expands_past_the_limit_is_422_and_stores_nothing(
    client: TestClient, store: Store, world: World, monkeypatch: pytest.MonkeyPatch, packing: str
) -> None:
    """A small file that unpacks to a large table (a decompression bomb) is refused before the table is built: by
    its size as it unpacks (gzip), by the rows its own metadata declares (Parquet)."""
    import io

    import pandas as pd

    import service.datasets

    monkeypatch.setattr(service.datasets, "MAX_EXPANDED_BYTES", 200_000)
    monkeypatch.setattr(service.datasets, "MAX_ROWS", 20_000)
    rows = 40_000
    if packing == "gzip":
        name, content = "h.csv.gz", gzip.compress(_repeated(rows))
    else:
        frame = pd.read_csv(io.BytesIO(_repeated(rows)))
        sink = io.BytesIO()
        frame.to_parquet(sink, index=False)
        name, content = "h.parquet", sink.getvalue()
    assert len(content) < 100_000
    before = snapshot(store)
    url = f"/api/centers/{world.center_id}/histories"
    response = client.post(url, files={"file": (name, content)}, headers=bearer(world.tokens["planner"]))
    assert response.status_code == 422, response.text
    said = "200,000 bytes uncompressed" if packing == "gzip" else "40,000 rows"
    assert said in response.text and response.json()["source"] == name, response.text
    assert snapshot(store) == before
    if packing == "gzip":  # one that unpacks within the limit is read
        small = gzip.compress(_repeated(100))
        fits = client.post(url, files={"file": (name, small)}, headers=bearer(world.tokens["planner"]))
        assert fits.status_code == 201 and fits.json()["rows"] == 100, fits.text


# -- a real server -------------------------------------------------------------------------------------------------


@pytest.fixture
def live(store: Store, tmp_path: Path) -> Iterator[tuple[str, str]]:
    """`wfm serve` on the store, on a free port of 127.0.0.1, with a body limit of 0.01 MB: its address and a
    planner's token. Stopped by its process id."""
    token = store.add_user("pat", "planner")
    port = free_port()
    server = start_server(
        ["--db", store.url, "--workers", "1", "--max-upload-mb", "0.01"], port, tmp_path / "serve.log", wait_s=HANG_S
    )
    address = f"http://127.0.0.1:{port}"
    try:
        yield address, token
    finally:
        stop_server(server)


def test_a_real_server_refuses_large_bodies_chunked_or_not_and_serves_a_burst_of_reads(
    live: tuple[str, str], store: Store
) -> None:
    address, token = live
    planner = bearer(token)
    with httpx.Client(base_url=address, timeout=HANG_S) as http:
        made = http.post("/api/centers", json={"yaml": DESK}, headers=planner)
        assert made.status_code == 201, made.text
        url = f"/api/centers/{made.json()['id']}/histories"
        before = snapshot(store)
        big = _history_of(600)
        assert len(big) > 0.01 * 2**20
        declared = http.post(url, files={"file": ("h.csv", big)}, headers=planner)
        assert declared.status_code == 413, declared.text
        body, content_type = _multipart("h.csv", big)

        def chunks() -> Iterator[bytes]:
            for start in range(0, len(body), 1024):
                yield body[start : start + 1024]

        chunked = http.post(url, content=chunks(), headers={**planner, "Content-Type": content_type})
        assert chunked.status_code == 413, chunked.text
        assert chunked.headers["x-content-type-options"] == "nosniff"
        assert snapshot(store) == before
        fits = http.post(url, files={"file": ("h.csv", _history_of(50))}, headers=planner)
        assert fits.status_code == 201, fits.text

    async def burst() -> list[httpx.Response]:
        async with httpx.AsyncClient(base_url=address, timeout=HANG_S) as http:
            paths = ["/api/centers", "/api/me", "/api/health", f"{url.rsplit('/', 1)[0]}/datasets"]
            return await asyncio.gather(*(http.get(paths[i % 4], headers=planner) for i in range(50)))

    responses = asyncio.run(burst())
    assert [r.status_code for r in responses] == [200] * 50, [r.text for r in responses if r.status_code != 200]
    assert all(r.headers["x-frame-options"] == "DENY" for r in responses)


def test_a_parsed_centre_is_reused_only_for_the_same_text(tmp_path: Path) -> None:
    """The service keeps the centres it parsed by the hash of their YAML text: the same version read twice is one
    object; two stores whose centre 1 differs each get their own, and the kept centres stay bounded."""
    import service.app
    from models import dump_center
    from service.app import PARSED_CENTRES, center_at
    from tests.roster_helpers import agent, build_center

    opened = []
    for size in (2, 3):
        store = open_store(f"sqlite:///{tmp_path / f'{size}.db'}")
        opened.append(store)
        token = store.add_user("pat", "planner")
        with TestClient(create_app(store, workers=1)) as client:
            yaml_text = dump_center(build_center([agent(f"a{i}") for i in range(size)]))
            assert client.post("/api/centers", json={"yaml": yaml_text}, headers=bearer(token)).status_code == 201
    first, second = (center_at(store, 1) for store in opened)
    assert (len(first.agents), len(second.agents)) == (2, 3)
    assert center_at(opened[0], 1) is first
    assert len(service.app._parsed) <= PARSED_CENTRES
    for store in opened:
        store.close()

"""The pages' sign-in and protections without a browser: the session cookie's attributes, the CSRF token and the
origin every form must carry, a form without a session refused before its body is read, the pages' content
security policy, tokens never taken from a URL, and the API never taking the session cookie."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select, update

from service.app import create_app
from service.store import Store, WebSession
from service.web.sessions import SESSION_COOKIE


@pytest.fixture
def web(store: Store) -> Iterator[tuple[TestClient, dict[str, str]]]:
    tokens = {role: store.add_user(f"{role}-user", role) for role in ("planner", "viewer")}
    with TestClient(create_app(store, workers=1), base_url="http://127.0.0.1") as client:
        yield client, tokens


def _sign_in(client: TestClient, token: str) -> str:
    response = client.post("/signin", data={"token": token}, follow_redirects=False)
    assert response.status_code == 303, response.text
    return _csrf(client.get(response.headers["location"]).text)


def _csrf(html: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', html)
    assert found is not None, html
    return found.group(1)


def test_signing_in_sets_a_strict_http_only_session_kept_only_as_its_hash(
    web: tuple[TestClient, dict[str, str]], store: Store
) -> None:
    client, tokens = web
    response = client.post("/signin", data={"token": tokens["planner"], "next": "/me"}, follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/me"
    cookie = response.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie and "Path=/" in cookie
    value = client.cookies[SESSION_COOKIE]
    with store.session() as session:
        ids = list(session.scalars(select(WebSession.id)))
    assert len(ids) == 1 and value not in ids and tokens["planner"] not in ids  # the cookie's hash only


@pytest.mark.parametrize("target", ["//evil.example/x", "https://evil.example/", "\\\\evil"])
def test_sign_in_goes_back_to_this_service_only(web: tuple[TestClient, dict[str, str]], target: str) -> None:
    client, tokens = web
    response = client.post("/signin", data={"token": tokens["viewer"], "next": target}, follow_redirects=False)
    assert response.headers["location"] == "/me"


def test_a_token_in_the_url_signs_nobody_in(web: tuple[TestClient, dict[str, str]]) -> None:
    client, tokens = web
    for address in (f"/planner?token={tokens['planner']}", f"/signin?token={tokens['planner']}"):
        response = client.get(address, follow_redirects=False)
        assert SESSION_COOKIE not in client.cookies
        assert response.status_code in (200, 303) and "planner-user" not in response.text


def test_a_form_without_the_sessions_csrf_token_or_from_another_site_is_refused(
    web: tuple[TestClient, dict[str, str]], store: Store
) -> None:
    client, tokens = web
    csrf = _sign_in(client, tokens["planner"])
    assert client.post("/signout", data={}).status_code == 403
    assert client.post("/signout", data={"csrf": "x" * len(csrf)}).status_code == 403
    other = client.post("/signout", data={"csrf": csrf}, headers={"Origin": "https://evil.example"})
    assert other.status_code == 403 and "another site" in other.text
    with store.session() as session:
        assert session.scalar(select(func.count()).select_from(WebSession)) == 1  # still signed in
    by_header = client.post("/signout", headers={"X-CSRF-Token": csrf, "Origin": "http://127.0.0.1"})
    assert by_header.status_code == 200 and "Sign in" in by_header.text
    with store.session() as session:
        assert session.scalar(select(func.count()).select_from(WebSession)) == 0


def test_a_form_without_a_session_is_refused_before_its_body_is_read(web: tuple[TestClient, dict[str, str]]) -> None:
    client, _ = web
    response = client.post("/signout", content=b"x" * 1000, headers={"content-type": "application/octet-stream"})
    assert response.status_code == 401 and "sign in" in response.json()["detail"]
    fragment = client.post("/signout", data={"csrf": "x"}, headers={"HX-Request": "true"})
    assert fragment.status_code == 401 and fragment.headers["HX-Redirect"] == "/signin"  # the page follows


@pytest.mark.parametrize("token", ["", "   ", "x" * 5000])
def test_an_empty_or_overlong_token_gets_the_sign_in_page_again(
    web: tuple[TestClient, dict[str, str]], token: str
) -> None:
    client, _ = web
    response = client.post("/signin", data={"token": token})
    assert response.status_code == 401 and "That token is unknown" in response.text
    assert SESSION_COOKIE not in client.cookies


def test_an_expired_session_goes_back_to_the_sign_in_page(web: tuple[TestClient, dict[str, str]], store: Store) -> None:
    client, tokens = web
    _sign_in(client, tokens["viewer"])
    assert client.get("/me", follow_redirects=False).status_code == 200
    with store.session() as session:
        session.execute(update(WebSession).values(expires_at=datetime.now(UTC) - timedelta(minutes=1)))
    response = client.get("/me", follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/signin?next=/me"
    fragment = client.get("/me", headers={"HX-Request": "true"}, follow_redirects=False)
    assert fragment.status_code == 401 and fragment.headers["HX-Redirect"] == "/signin?next=/me"


def test_pages_carry_a_strict_content_security_policy_and_are_not_cached(
    web: tuple[TestClient, dict[str, str]],
) -> None:
    client, tokens = web
    _sign_in(client, tokens["viewer"])
    response = client.get("/me")
    policy = response.headers["content-security-policy"]
    assert "script-src 'self'" in policy and "style-src 'self'" in policy and "unsafe" not in policy
    assert response.headers["cache-control"] == "no-store" and response.headers["x-frame-options"] == "DENY"
    assert response.headers["referrer-policy"] == "same-origin"
    assert "<script>" not in response.text and " style=" not in response.text and " onclick" not in response.text


def test_the_api_does_not_take_the_session_cookie(web: tuple[TestClient, dict[str, str]]) -> None:
    client, tokens = web
    _sign_in(client, tokens["planner"])
    assert client.get("/api/me").status_code == 401
    assert (
        client.post("/api/centers", content=b"name: x", headers={"content-type": "application/yaml"}).status_code == 401
    )


def test_a_role_is_refused_another_roles_page(web: tuple[TestClient, dict[str, str]]) -> None:
    client, tokens = web
    _sign_in(client, tokens["viewer"])
    response = client.get("/planner")
    assert response.status_code == 403 and "it is for: planner" in response.text

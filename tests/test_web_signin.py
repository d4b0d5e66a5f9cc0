"""The pages' sign-in in a real browser: the token typed once, a session cookie the page's scripts cannot read,
each role on its own page, another role's page refused, signing out."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.web_helpers import WebService, check_page, sign_in, web_service

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[WebService]:
    with web_service(tmp_path_factory.mktemp("web-signin"), workers=1) as running:
        yield running


@pytest.mark.parametrize(
    ("user", "home"), [("pat", "/planner"), ("sam", "/today"), ("ada", "/analyst"), ("a0001", "/me")]
)
def test_each_role_signs_in_with_its_token_and_lands_on_its_page(
    service: WebService, page: Any, user: str, home: str
) -> None:
    sign_in(page, service, user)
    assert page.url == service.url + home
    cookie = next(c for c in page.context.cookies() if c["name"] == "wfm_session")
    assert cookie["httpOnly"] and cookie["sameSite"] == "Strict"
    assert service.tokens[user] not in page.url and service.tokens[user] not in page.content()
    assert page.evaluate("document.cookie") == ""  # the page's scripts see no session


def test_a_wrong_token_stays_on_the_sign_in_page_with_the_reason(service: WebService, page: Any) -> None:
    page.goto(f"{service.url}/planner")
    assert "/signin?next=/planner" in page.url
    page.get_by_label("API token").fill("not-a-token")
    page.get_by_role("button", name="Sign in").click()
    assert page.get_by_role("alert").inner_text().startswith("That token is unknown")
    check_page(page, "sign-in")


def test_a_page_of_another_role_is_refused_and_signing_out_ends_the_session(service: WebService, page: Any) -> None:
    sign_in(page, service, "a0001")
    response = page.goto(f"{service.url}/planner")
    assert response.status == 403 and "it is for: planner" in page.get_by_role("alert").inner_text()
    page.goto(f"{service.url}/me")
    page.keyboard.press("Tab")  # the first stop is the skip link
    assert page.evaluate("document.activeElement.textContent") == "Skip to content"
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url("**/signin")
    page.goto(f"{service.url}/me")
    assert "/signin" in page.url

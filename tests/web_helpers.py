"""Shared by the web pages' tests and benchmark: a real `wfm serve` on a store with one user of each role, the
demo centre written as files a person would upload, Debian's Chromium driven by Playwright, and signing in.

The browser is the system's `chromium` (Debian's package, installed by `.ci/run`), never one Playwright downloads:
`WFM_CHROMIUM` names another executable. Without one the browser tests fail (they never skip): the pages are
only known to work where they were seen working.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from scenarios.generator import GeneratorSettings, generate, write_scenario
from service.store import open_store
from tests.service_helpers import free_port, start_server, stop_server

__all__ = [
    "USERS",
    "DemoFiles",
    "WebService",
    "chromium_path",
    "demo_files",
    "launch_chromium",
    "sign_in",
    "web_service",
]

#: The users of a test service: name -> (role, agent id).
USERS: dict[str, tuple[str, str | None]] = {
    "pat": ("planner", None),
    "sam": ("supervisor", None),
    "ada": ("analyst", None),
    "a0001": ("viewer", "a0001"),
}
#: Where the browser tests save a picture of each page they reach (`make screenshots` sets it to
#: docs/screenshots); unset, no picture is taken.
SCREENSHOTS = "WFM_SCREENSHOTS"
#: The size of the browser's window: the issue's smallest screen the pages must be usable at.
VIEWPORT = {"width": 1280, "height": 800}


@dataclass
class WebService:
    url: str
    db: str
    tokens: dict[str, str] = field(default_factory=dict)  # user name -> API token
    log: Path | None = None


def chromium_path() -> str:
    """The Chromium executable: `WFM_CHROMIUM`, else Debian's `chromium` on the PATH; the test fails without."""
    given = os.environ.get("WFM_CHROMIUM")
    found = given or shutil.which("chromium") or shutil.which("chromium-browser")
    if not found or not Path(found).exists():
        pytest.fail(
            "no Chromium: install Debian's package (`apt-get install chromium`, as .ci/run does) or set WFM_CHROMIUM"
            " to a Chromium executable; the browser tests never skip"
        )
    return found


@contextmanager
def launch_chromium() -> Iterator[object]:
    """Headless Chromium driven by Playwright (sync API), closed at the end."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=chromium_path(),
            headless=True,
            args=["--no-sandbox"] if os.geteuid() == 0 else [],  # Chromium's sandbox refuses to run as root
        )
        try:
            yield browser
        finally:
            browser.close()


@contextmanager
def web_service(tmp: Path, workers: int = 2, extra_args: tuple[str, ...] = ()) -> Iterator[WebService]:
    """`wfm serve` on a new SQLite store in `tmp` with the users of `USERS`; stopped by its process id at the end."""
    db = f"sqlite:///{tmp / 'wfm.db'}"
    store = open_store(db)
    try:
        tokens = {name: store.add_user(name, role, agent) for name, (role, agent) in USERS.items()}
    finally:
        store.close()
    port = free_port()
    log = tmp / "serve.log"
    server: subprocess.Popen[bytes] = start_server(["--db", db, "--workers", str(workers), *extra_args], port, log)
    try:
        yield WebService(f"http://127.0.0.1:{port}", db, tokens, log)
    finally:
        stop_server(server)


@dataclass(frozen=True)
class DemoFiles:
    center: Path
    history: Path
    plan_start: str  # the first day of the week to plan, YYYY-MM-DD


def demo_files(out: Path, size: str = "S", history_weeks: int = 3) -> DemoFiles:
    """The demo centre of `size` written as a person would have it: `center.yaml` and `history.csv` in `out`."""
    scenario = generate(GeneratorSettings(size=size, history_weeks=history_weeks))
    by_name = {path.name: path for path in write_scenario(scenario, out)}
    return DemoFiles(by_name["center.yaml"], by_name["history.csv"], scenario.settings.plan_start.isoformat())


def sign_in(page: object, service: WebService, user: str) -> None:
    """Sign `user` in on the sign-in page, as a person would: the token typed into its field."""
    page.goto(f"{service.url}/signin")  # type: ignore[attr-defined]
    page.get_by_label("API token").fill(service.tokens[user])  # type: ignore[attr-defined]
    page.get_by_role("button", name="Sign in").click()  # type: ignore[attr-defined]
    page.wait_for_load_state()  # type: ignore[attr-defined]


#: What every page must have for a screen reader and the keyboard (run in the page): the problems found.
_ACCESSIBILITY = """() => {
  const problems = [];
  const named = (e) => (e.labels && e.labels.length) || e.getAttribute('aria-label')
    || e.getAttribute('aria-labelledby') || e.getAttribute('title');
  if (!document.documentElement.lang) problems.push('the page has no lang');
  if (document.querySelectorAll('h1').length !== 1) problems.push('the page has not exactly one h1');
  for (const e of document.querySelectorAll('input:not([type=hidden]), select, textarea')) {
    if (!named(e)) problems.push(`a ${e.tagName.toLowerCase()} named '${e.name}' has no label`);
  }
  for (const e of document.querySelectorAll('button, a[href]')) {
    if (!(e.textContent || '').trim() && !e.getAttribute('aria-label') && !e.getAttribute('title'))
      problems.push(`a ${e.tagName.toLowerCase()} has no text: ${e.outerHTML.slice(0, 80)}`);
  }
  for (const e of document.querySelectorAll('img')) {
    if (!e.getAttribute('alt')) problems.push(`an image has no alt: ${e.getAttribute('src')}`);
  }
  for (const e of document.querySelectorAll('[onclick], [style]')) {
    problems.push(`inline handler or style: ${e.outerHTML.slice(0, 80)}`);
  }
  const ids = [...document.querySelectorAll('[id]')].map((e) => e.id);
  for (const id of new Set(ids.filter((id, i) => ids.indexOf(id) !== i))) problems.push(`the id '${id}' is repeated`);
  return problems;
}"""


def check_page(page: object, name: str) -> None:
    """A page a test reached, checked for what a screen reader and the keyboard need (a label for every field,
    text for every button and link, an alt text for every image, one h1, the page's language, ids once, no inline
    style or handler), then saved as a screenshot (`screenshot`)."""
    problems = page.evaluate(_ACCESSIBILITY)  # type: ignore[attr-defined]
    assert not problems, f"{name}: {problems}"
    screenshot(page, name)


def screenshot(page: object, name: str) -> None:
    """Save the whole page as `NAME.png` in the folder `WFM_SCREENSHOTS` names (`make screenshots`); nothing
    without it. The page is shot as the test sees it, at the test's window size."""
    folder = os.environ.get(SCREENSHOTS)
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        # Rows drawn only near the screen (`content-visibility: auto`) are drawn all, for a picture of the whole page.
        page.evaluate(  # type: ignore[attr-defined]
            "document.querySelectorAll('.timeline').forEach(e => e.style.contentVisibility = 'visible')"
        )
        # The whole page: the window made as tall as the page, then set back. (Playwright's `full_page` picture left
        # Chromium 150 ignoring the next click on a form's submit button.)
        window = page.viewport_size  # type: ignore[attr-defined]
        height = page.evaluate("document.documentElement.scrollHeight")  # type: ignore[attr-defined]
        page.set_viewport_size({"width": window["width"], "height": max(window["height"], height)})  # type: ignore[attr-defined]
        try:
            page.screenshot(path=str(Path(folder) / f"{name}.png"))  # type: ignore[attr-defined]
        finally:
            page.set_viewport_size(window)  # type: ignore[attr-defined]

"""What every page shares: the templates, who is looking (the session cookie; a sign-in page otherwise), the role
a page or an action needs (a 403 page otherwise), the CSRF check of every form, and rendering.

A page handler takes a `Viewer` from `page_role(...)`; an action (a POST) takes it from `action_role(...)`, which
also checks the form's CSRF token (the `csrf` field, or the `X-CSRF-Token` header HTMX sends) and, where the
browser gives one, that the request's `Origin` is the service's own.
"""

from __future__ import annotations

import io
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import quote

from fastapi import Request
from fastapi.responses import HTMLResponse, Response
from fastapi.templating import Jinja2Templates

from models import InputError
from service.store import Job, Store
from service.web.sessions import SESSION_COOKIE, Viewer, same_token, viewer_for

__all__ = [
    "HERE",
    "NAV",
    "PageError",
    "SignInNeeded",
    "action_role",
    "job_of_kind",
    "page_role",
    "problems_of",
    "render",
    "store_of",
    "svg_response",
    "templates",
]

HERE = Path(__file__).resolve().parent
templates = Jinja2Templates(directory=HERE / "templates")
#: The pages in the navigation bar: (path, title, the roles that see it).
NAV: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("/planner", "Plans", ("planner",)),
    ("/today", "Today", ("supervisor", "planner")),
    ("/analyst", "What-if", ("analyst", "planner")),
    ("/me", "My week", ("planner", "supervisor", "analyst", "viewer")),
)
#: Where each role lands after signing in.
HOME = {"planner": "/planner", "supervisor": "/today", "analyst": "/analyst", "viewer": "/me"}


class SignInNeeded(Exception):
    """No session (or an expired one): the page answers with the sign-in page's address."""

    def __init__(self, path: str) -> None:
        super().__init__(path)
        self.path = path


class PageError(Exception):
    """A page or action refused: rendered as an error page (or, to HTMX, as the fragment of the message)."""

    def __init__(self, status_code: int, message: str) -> None:
        super().__init__(message)
        self.status_code = status_code
        self.message = message


def store_of(request: Request) -> Store:
    store: Store = request.app.state.store
    return store


def _viewer(request: Request) -> Viewer:
    viewer = viewer_for(store_of(request), request.cookies.get(SESSION_COOKIE))
    if viewer is None:
        raise SignInNeeded(request.url.path)
    return viewer


def page_role(*allowed: str) -> Callable[[Request], Viewer]:
    """A dependency of a page: its viewer, where their role is one of `allowed` (403 otherwise); to the sign-in
    page without a session."""

    def check(request: Request) -> Viewer:
        viewer = _viewer(request)
        if viewer.role not in allowed:
            raise PageError(403, f"A {viewer.role} may not open this page; it is for: {', '.join(allowed)}.")
        return viewer

    return check


def action_role(*allowed: str) -> Callable[[Request], Awaitable[Viewer]]:
    """A dependency of an action (POST): `page_role`, plus the CSRF token of the viewer's session (403 without
    it), plus the request's origin (403 for another site's)."""
    checked = page_role(*allowed)

    async def check(request: Request) -> Viewer:
        viewer = checked(request)
        origin = request.headers.get("origin")
        if origin is not None and origin.rstrip("/") != f"{request.url.scheme}://{request.url.netloc}":
            raise PageError(403, "This form was sent from another site; open the page here and send it again.")
        given = request.headers.get("x-csrf-token")
        form = None
        if given is None and request.headers.get("content-type", "").startswith(
            ("application/x-www-form-urlencoded", "multipart/form-data")
        ):
            form = await request.form()
            value = form.get("csrf")
            given = value if isinstance(value, str) else None
        if not same_token(given, viewer.csrf):
            if form is not None:
                await form.close()  # its files' temporary copies go now: the action will not read them
            raise PageError(403, "The form has expired or did not come from this page; reload the page and retry.")
        return viewer

    return check


def render(
    request: Request, template: str, viewer: Viewer | None, status_code: int = 200, **context: Any
) -> HTMLResponse:
    """The page (or fragment) `template` with `context`, the viewer and the navigation they may use."""
    nav = [] if viewer is None else [(path, title) for path, title, roles in NAV if viewer.role in roles]
    return templates.TemplateResponse(
        request,
        template,
        {"viewer": viewer, "nav": nav, "path": request.url.path, **context},
        status_code=status_code,
        headers={"Cache-Control": "no-store"},
    )


def problems_of(error: InputError) -> list[dict[str, str]]:
    """An input error's problems (where, what, fix), as a page lists them."""
    return [{"where": p.where, "what": p.what, "fix": p.fix} for p in error.problems]


def sign_in_address(path: str) -> str:
    """The sign-in page, returning to `path` (a path of this service only) once signed in."""
    return "/signin" if path in ("", "/", "/signin") else f"/signin?next={quote(path, safe='/')}"


def safe_next(value: str | None, role: str) -> str:
    """Where to go after signing in: `value` where it is a path of this service, else the role's home page."""
    if value and value.startswith("/") and not value.startswith("//") and "\\" not in value:
        return value
    return HOME.get(role, "/me")


def is_htmx(request: Request) -> bool:
    return request.headers.get("hx-request") == "true"


def selected(values: Sequence[str], value: str | None) -> str | None:
    """`value` where it is one of `values` (a filter's choice), else None."""
    return value if value in values else None


def job_of_kind(store: Store, job_id: str, kind: str, what: str) -> Job:
    """The job `job_id` where it is of `kind`, detached from its session; else a 404 page: "There is no WHAT"."""
    with store.sessions() as session:
        job = session.get(Job, job_id)
        if job is None or job.kind != kind:
            raise PageError(404, f"There is no {what} {job_id}.")
        session.expunge(job)
        return job


def svg_response(figure: Any) -> Response:
    """A chart of a page: the matplotlib `Figure` as SVG, trimmed to what is drawn. Pages make their figures with
    matplotlib's object API (`matplotlib.figure.Figure`), never pyplot, whose state the server's threads share."""
    buffer = io.StringIO()
    figure.savefig(buffer, format="svg", bbox_inches="tight", metadata={"Date": None})
    return Response(buffer.getvalue(), media_type="image/svg+xml", headers={"Cache-Control": "no-store"})

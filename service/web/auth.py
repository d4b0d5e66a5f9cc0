"""Signing in and out: the sign-in page takes an API token (from `wfm users add`) in a form (never in the URL),
and sets the session cookie: HttpOnly (no script reads it), SameSite=Strict (no other site's page sends it),
Secure where the service is reached over HTTPS."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from service.web.common import HOME, action_role, render, safe_next, store_of
from service.web.sessions import SESSION_COOKIE, SESSION_HOURS, Viewer, close_session, open_session, viewer_for

__all__ = ["router"]

router = APIRouter(include_in_schema=False)
#: The longest token looked up (those `wfm users add` gives are 43 characters).
MAX_TOKEN = 200
Anyone = Annotated[Viewer, Depends(action_role("planner", "supervisor", "analyst", "viewer"))]


@router.get("/")
def home(request: Request) -> Response:
    """The signed-in user's page (by role), or the sign-in page."""
    viewer = viewer_for(store_of(request), request.cookies.get(SESSION_COOKIE))
    if viewer is None:
        return RedirectResponse("/signin", status_code=303)
    return RedirectResponse(HOME.get(viewer.role, "/me"), status_code=303)


@router.get("/signin")
def sign_in_page(request: Request, next: str | None = None) -> HTMLResponse:
    return render(request, "signin.html", None, next=next or "", error=None)


@router.post("/signin")
def sign_in(request: Request, token: Annotated[str, Form()] = "", next: Annotated[str, Form()] = "") -> Response:
    """A valid token: a new session, then the page asked for (or the role's home). Else the page again, 401."""
    store = store_of(request)
    given = token.strip()
    user = store.user_for_token(given) if 0 < len(given) <= MAX_TOKEN else None
    if user is None:
        error = "That token is unknown or revoked. Ask for one (wfm users add NAME --role ROLE) and paste it."
        return render(request, "signin.html", None, status_code=401, next=next, error=error)
    response = RedirectResponse(safe_next(next, user.role), status_code=303)
    response.set_cookie(
        SESSION_COOKIE,
        open_session(store, user),
        max_age=SESSION_HOURS * 3600,
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
        path="/",
    )
    return response


@router.post("/signout")
def sign_out(request: Request, _: Anyone) -> Response:
    close_session(store_of(request), request.cookies.get(SESSION_COOKIE))
    response = RedirectResponse("/signin", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="strict")
    return response

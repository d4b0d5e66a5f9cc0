"""The web pages of the planning service: server-rendered (Jinja2) with a little HTMX for the parts that change
(progress, filters, forms), no build step. The planner's plans, the supervisor's day, the analyst's what-ifs and
an agent's own week, behind a session cookie set by signing in with an API token."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles

from service.web.common import HERE, PageError, SignInNeeded, is_htmx, render, sign_in_address
from service.web.sessions import SESSION_COOKIE, viewer_for

__all__ = ["install_pages"]


def install_pages(app: FastAPI) -> None:
    """Give `app` the pages, their static files (`/static`) and their error pages."""
    from service.web import agent, analyst, auth, planner, roster_view, supervisor

    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
    for module in (auth, planner, supervisor, analyst, agent, roster_view):
        app.include_router(module.router)

    @app.exception_handler(SignInNeeded)
    async def _sign_in(request: Request, exc: SignInNeeded) -> Response:
        address = sign_in_address(exc.path)
        if is_htmx(request):  # a fragment's request: the whole page goes to the sign-in page
            return Response(status_code=401, headers={"HX-Redirect": address})
        return RedirectResponse(address, status_code=303)

    @app.exception_handler(PageError)
    async def _refused(request: Request, exc: PageError) -> HTMLResponse:
        viewer = viewer_for(request.app.state.store, request.cookies.get(SESSION_COOKIE))
        template = "_message.html" if is_htmx(request) else "error.html"
        return render(request, template, viewer, status_code=exc.status_code, message=exc.message, level="error")

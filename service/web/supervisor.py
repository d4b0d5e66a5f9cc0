"""The supervisor's page (today): actual against forecast so far, the reforecast, absences, the re-plan of the
rest of the day with its changes to accept or reject, the open tickets' assignment."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse

from service.web.common import page_role, render
from service.web.sessions import Viewer

__all__ = ["router"]

router = APIRouter(include_in_schema=False)
Supervisor = Annotated[Viewer, Depends(page_role("supervisor", "planner"))]


@router.get("/today")
def today(request: Request, viewer: Supervisor) -> HTMLResponse:
    return render(request, "supervisor/today.html", viewer)

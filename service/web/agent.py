"""An agent's own week (any signed-in user who is an agent of a centre): their shifts on the latest published
roster, and the address of their calendar."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse

from service.web.common import page_role, render
from service.web.sessions import Viewer

__all__ = ["router"]

router = APIRouter(include_in_schema=False)
Anyone = Annotated[Viewer, Depends(page_role("planner", "supervisor", "analyst", "viewer"))]


@router.get("/me")
def my_week(request: Request, viewer: Anyone) -> HTMLResponse:
    return render(request, "agent/week.html", viewer)

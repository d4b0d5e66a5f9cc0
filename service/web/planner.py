"""The planner's pages: centres and their versions, histories, plans (run, follow, stop), the roster (timeline,
coverage heatmap, service levels, diagnosis), publish and downloads."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse

from service.web.common import page_role, render
from service.web.sessions import Viewer

__all__ = ["router"]

router = APIRouter(include_in_schema=False)
Planner = Annotated[Viewer, Depends(page_role("planner"))]


@router.get("/planner")
def planner_home(request: Request, viewer: Planner) -> HTMLResponse:
    return render(request, "planner/index.html", viewer)

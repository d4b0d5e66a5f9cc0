"""The analyst's pages: a scenario set (a form or YAML), its run, its variants as they finish, and the comparison
(the cost against service level frontier, per work type bars with intervals, differences from the base)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse

from service.web.common import page_role, render
from service.web.sessions import Viewer

__all__ = ["router"]

router = APIRouter(include_in_schema=False)
Analyst = Annotated[Viewer, Depends(page_role("analyst", "planner"))]


@router.get("/analyst")
def analyst_home(request: Request, viewer: Analyst) -> HTMLResponse:
    return render(request, "analyst/index.html", viewer)

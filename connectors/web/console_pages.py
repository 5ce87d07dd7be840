"""Staff consoles: the agent desk (/agent) and the analytics dashboard (/dashboard).

Same conventions as `pages.py`: a template plus a static script calling the JSON APIs with the
signed session cookie; static files are served by `pages.py`'s /static route.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from connectors.web.pages import _gate, _render

router = APIRouter(tags=["pages"], include_in_schema=False)


@router.get("/agent")
def agent_page(request: Request) -> Response:
    """Hotline agents (and admins): live sessions, the handoff queue and call assist."""
    staff = _gate(request, surface="agent")
    return staff if isinstance(staff, Response) else _render(request, "agent.html")


@router.get("/dashboard")
def dashboard_page(request: Request) -> Response:
    """Analysts (and admins): ticket metrics, trends, hotspots, the 四高 lists and reports."""
    staff = _gate(request, surface="analytics")
    return staff if isinstance(staff, Response) else _render(request, "dashboard.html")

"""The merchant dashboard: live room counters, session reports with Plotly charts,
top products, funnel and customer segments. Figures come from the analytics API;
this module renders the pages and serves Plotly's JavaScript from the installed
``plotly`` package (no CDN: nothing is fetched from the internet at run time)."""

from __future__ import annotations

import importlib.resources
from functools import cache
from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, HTMLResponse, Response

from liveshop.accounts.dependencies import OptionalUser
from liveshop.analytics import access
from liveshop.core.dependencies import DbSession, RowId, SettingsDep
from liveshop.core.errors import NotFound
from liveshop.live import service as live
from liveshop.web.pages import _render, login_redirect

router = APIRouter(include_in_schema=False)

PLOTLY_PATH = "/vendor/plotly.min.js"  # outside /static: that mount would shadow it
PLOTLY_CACHE = "public, max-age=604800"  # a week; the ETag revalidates after an upgrade


@cache
def plotly_js() -> Path | None:
    resource = importlib.resources.files("plotly") / "package_data" / "plotly.min.js"
    path = Path(str(resource))
    return path if path.is_file() else None


@router.get(PLOTLY_PATH)
def plotly_bundle() -> Response:
    path = plotly_js()
    if path is None:
        raise NotFound("plotly.min.js is not in the installed plotly package")
    return FileResponse(path, media_type="text/javascript", headers={"Cache-Control": PLOTLY_CACHE})


@router.get("/dashboard", response_class=HTMLResponse)
def dashboard(request: Request, settings: SettingsDep, user: OptionalUser) -> Response:
    if user is None:
        return login_redirect("/dashboard")
    access.require_analyst(user)
    # the rooms are listed by the page's script, a page at a time (GET /api/analytics/rooms)
    return _render(request, "dashboard.html", settings, user, plotly_path=PLOTLY_PATH)


@router.get("/dashboard/rooms/{room_id}", response_class=HTMLResponse)
def room_dashboard(
    room_id: RowId,
    request: Request,
    session: DbSession,
    settings: SettingsDep,
    user: OptionalUser,
) -> Response:
    if user is None:
        return login_redirect(f"/dashboard/rooms/{room_id}")
    room, _own_products = access.require_room_report_reader(session, user=user, room_id=room_id)
    return _render(
        request,
        "dashboard_room.html",
        settings,
        user,
        room=live.room_out(session, room),
        plotly_path=PLOTLY_PATH,
    )

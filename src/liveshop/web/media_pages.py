"""The replay page and each highlight's page: ``/rooms/{id}/replay`` and
``/rooms/{id}/highlights/{product_id}``. The pages load the recording and its
timeline from the API (``/api/rooms/{id}/replay``, ``.../highlights``)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from liveshop.accounts.dependencies import OptionalUser
from liveshop.core.dependencies import DbSession, RowId, SettingsDep
from liveshop.live import service as live
from liveshop.web.pages import _render

router = APIRouter(include_in_schema=False)


@router.get("/rooms/{room_id}/replay", response_class=HTMLResponse)
def replay_page(
    room_id: RowId, request: Request, session: DbSession, settings: SettingsDep, user: OptionalUser
) -> Response:
    room = live.room_out(session, live.get_room(session, room_id=room_id))
    return _render(request, "replay.html", settings, user, room=room, product_id=None)


@router.get("/rooms/{room_id}/highlights/{product_id}", response_class=HTMLResponse)
def highlight_page(
    room_id: RowId,
    product_id: RowId,
    request: Request,
    session: DbSession,
    settings: SettingsDep,
    user: OptionalUser,
) -> Response:
    room = live.room_out(session, live.get_room(session, room_id=room_id))
    return _render(request, "replay.html", settings, user, room=room, product_id=product_id)

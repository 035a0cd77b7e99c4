"""The assistant's pages: the shop's FAQ (merchants and their staff) and the host's
assistant console (replies, corrections, chat insights). Both are thin: the data
comes from the assistant's JSON routes, which check access again."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response

from liveshop.accounts.dependencies import OptionalUser
from liveshop.core.dependencies import MAX_ROW_ID, SettingsDep
from liveshop.web.pages import _render, login_redirect

router = APIRouter(include_in_schema=False)


@router.get("/merchant/faq", response_class=HTMLResponse)
def faq_page(request: Request, settings: SettingsDep, user: OptionalUser) -> Response:
    if user is None:
        return login_redirect("/merchant/faq")
    return _render(request, "assistant_faq.html", settings, user)


@router.get("/host/assistant", response_class=HTMLResponse)
def assistant_console(
    request: Request,
    settings: SettingsDep,
    user: OptionalUser,
    room: Annotated[int, Query(ge=1, le=MAX_ROW_ID)],
) -> Response:
    if user is None:
        return login_redirect(f"/host/assistant%3Froom%3D{room}")
    return _render(request, "assistant_console.html", settings, user, room_id=room)

"""The forgotten-password pages: ``/forgot-password`` (ask for a link by email) and
``/reset-password?token=…`` (set a new password with it)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response

from liveshop.accounts.dependencies import OptionalUser
from liveshop.accounts.password_reset import LINK_MINUTES
from liveshop.core.dependencies import SettingsDep
from liveshop.web.pages import _render

router = APIRouter(include_in_schema=False)


@router.get("/forgot-password", response_class=HTMLResponse)
def forgot_password_page(request: Request, settings: SettingsDep, user: OptionalUser) -> Response:
    return _render(
        request, "forgot_password.html", settings, user, step="ask", link_minutes=LINK_MINUTES
    )


@router.get("/reset-password", response_class=HTMLResponse)
def reset_password_page(
    request: Request,
    settings: SettingsDep,
    user: OptionalUser,
    token: Annotated[str, Query(min_length=20, max_length=100)],
) -> Response:
    """The token is checked when the new password is sent (it is used up only then)."""
    return _render(request, "forgot_password.html", settings, user, step="reset", token=token)

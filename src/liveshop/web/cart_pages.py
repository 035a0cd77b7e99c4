"""The cart page: ``/cart`` (the cart itself is read and changed through /api/cart)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from liveshop.accounts.dependencies import OptionalUser
from liveshop.core.dependencies import SettingsDep
from liveshop.web.pages import _render, login_redirect

router = APIRouter(include_in_schema=False)


@router.get("/cart", response_class=HTMLResponse)
def cart_page(request: Request, settings: SettingsDep, user: OptionalUser) -> Response:
    if user is None:
        return login_redirect("/cart")
    return _render(request, "cart.html", settings, user)

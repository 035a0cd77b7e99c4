"""The product page: ``/products/{id}``."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from liveshop.accounts.dependencies import OptionalUser
from liveshop.core.dependencies import DbSession, RowId, SettingsDep
from liveshop.web import i18n
from liveshop.web.pages import _render
from liveshop.web.product_view import product_page
from liveshop.web.templating import request_locale

router = APIRouter(include_in_schema=False)


@router.get("/products/{product_id}", response_class=HTMLResponse)
def product_detail(
    product_id: RowId,
    request: Request,
    session: DbSession,
    settings: SettingsDep,
    user: OptionalUser,
) -> Response:
    engine = getattr(request.app.state, "recommendations", None)
    translate = i18n.translations(request_locale(request)).gettext
    page = product_page(
        session, viewer=user, product_id=product_id, engine=engine, translate=translate
    )
    return _render(request, "product.html", settings, user, page=page)

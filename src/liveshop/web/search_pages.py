"""The search page: server-rendered result cards, facets as links (no script needed)."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response

from liveshop.accounts.dependencies import OptionalUser
from liveshop.core.dependencies import MAX_ROW_ID, DbSession, SettingsDep
from liveshop.search.schemas import SearchFilters, SearchSort, SearchType
from liveshop.search.service import search
from liveshop.web.i18n import N_
from liveshop.web.pages import _render

router = APIRouter(include_in_schema=False)

PAGE_SIZE = 20
# Chinese msgids, translated in the template (web/i18n.py).
TYPE_LABELS = {
    SearchType.PRODUCT: N_("商品"),
    SearchType.ROOM: N_("直播间"),
    SearchType.SHOP: N_("店铺"),
}
SORT_LABELS = {
    SearchSort.RELEVANCE: N_("综合"),
    SearchSort.SALES: N_("销量"),
    SearchSort.PRICE_ASC: N_("价格从低到高"),
    SearchSort.PRICE_DESC: N_("价格从高到低"),
}


def yuan(minor: int | None) -> str:
    """Chinese-only pages' price (the order detail page); converted pages use ``money``."""
    if minor is None:
        return ""
    return f"¥{minor // 100}.{minor % 100:02d}"


@router.get("/search", response_class=HTMLResponse)
def search_page(
    request: Request,
    session: DbSession,
    settings: SettingsDep,
    user: OptionalUser,
    q: Annotated[str, Query(max_length=100)] = "",
    type: SearchType = SearchType.PRODUCT,
    sort: SearchSort = SearchSort.RELEVANCE,
    category: Annotated[str | None, Query(max_length=60)] = None,
    shop_id: Annotated[int | None, Query(ge=1, le=MAX_ROW_ID)] = None,
    min_price: Annotated[int | None, Query(ge=0)] = None,
    max_price: Annotated[int | None, Query(ge=0)] = None,
    live_now: bool = False,
    page: Annotated[int, Query(ge=1, le=10)] = 1,
) -> Response:
    filters = SearchFilters(
        category=category or None,
        shop_id=shop_id,
        min_price=min_price,
        max_price=max_price,
        live_now=live_now,
    )
    result = None
    if q.strip():
        result = search(
            session,
            query=q,
            kind=type,
            filters=filters,
            sort=sort,
            offset=(page - 1) * PAGE_SIZE,
            limit=PAGE_SIZE,
        )
    state = {
        "q": q,
        "type": type.value,
        "sort": sort.value,
        "category": category or "",
        "shop_id": shop_id or "",
        "min_price": "" if min_price is None else min_price,
        "max_price": "" if max_price is None else max_price,
        "live_now": "1" if live_now else "",
    }

    def link(**changes: object) -> str:
        merged = state | {key: ("" if value is None else value) for key, value in changes.items()}
        return "/search?" + urlencode({key: value for key, value in merged.items() if value != ""})

    return _render(
        request,
        "search.html",
        settings,
        user,
        q=q,
        result=result,
        kind=type,
        sort=sort,
        filters=filters,
        page=page,
        page_size=PAGE_SIZE,
        type_labels=TYPE_LABELS,
        sort_labels=SORT_LABELS,
        link=link,
    )

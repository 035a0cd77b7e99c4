"""``GET /api/search``: public, like the shelves and shops it searches."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from liveshop.core.dependencies import MAX_ROW_ID, DbSession
from liveshop.search.schemas import SearchFilters, SearchOut, SearchSort, SearchType
from liveshop.search.service import search

router = APIRouter(tags=["search"])

MAX_QUERY = 100


@router.get("/api/search", response_model=SearchOut)
def search_route(
    session: DbSession,
    q: Annotated[str, Query(min_length=1, max_length=MAX_QUERY)],
    type: SearchType = SearchType.PRODUCT,
    sort: SearchSort = SearchSort.RELEVANCE,
    min_price: Annotated[int | None, Query(ge=0, description="minor units")] = None,
    max_price: Annotated[int | None, Query(ge=0, description="minor units")] = None,
    category: Annotated[str | None, Query(max_length=60)] = None,
    shop_id: Annotated[int | None, Query(ge=1, le=MAX_ROW_ID)] = None,
    room_id: Annotated[int | None, Query(ge=1, le=MAX_ROW_ID, description="a room's shelf")] = None,
    live_now: bool = False,
    offset: Annotated[int, Query(ge=0, le=10_000)] = 0,
    limit: Annotated[int, Query(ge=1, le=50)] = 20,
) -> SearchOut:
    """Products, rooms or shops matching ``q`` (Chinese words, pinyin, small typos);
    products in a live room's shelf, and live rooms selling a match, come first."""
    filters = SearchFilters(
        min_price=min_price,
        max_price=max_price,
        category=category,
        shop_id=shop_id,
        room_id=room_id,
        live_now=live_now,
    )
    return search(
        session, query=q, kind=type, filters=filters, sort=sort, offset=offset, limit=limit
    )

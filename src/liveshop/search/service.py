"""Searching products, rooms and shops: one use case, ``search``.

The full-text part (which documents match, their order, counts and facets) is
the engine's (:mod:`liveshop.search.engines`): the database's own full-text
search or Tantivy, picked in settings. The live-room boost, the rows shown and
the names are read from the database here, the same for both.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from liveshop.catalog.models import Shop
from liveshop.live.models import Room, RoomStatus, ShelfItem
from liveshop.search.engines import (
    CANDIDATES,
    MATCHING_PRODUCTS,
    PRICE_BOUNDS,
    FacetCounts,
    FullTextEngine,
    Groups,
    current_search_engine,
    live_product_ids,
    live_rooms_selling,
)
from liveshop.search.models import DocumentKind, SearchDocument
from liveshop.search.query import term_groups, vocabulary
from liveshop.search.schemas import (
    FacetCount,
    Facets,
    PriceRange,
    SearchFilters,
    SearchHit,
    SearchOut,
    SearchSort,
    SearchType,
)

MAX_PAGE = 50
FACET_VALUES = 10


def _id_list(ids: Iterable[int]) -> str:
    """Integer ids written into the statement: the hot reads below skip building a
    bound parameter per id (they come from the index or the database, never a user)."""
    return ",".join(str(int(each)) for each in ids)


def shop_names(session: Session, shop_ids: Sequence[int | None]) -> dict[int, str]:
    wanted = {shop_id for shop_id in shop_ids if shop_id is not None}
    if not wanted:
        return {}
    rows = session.execute(
        text(f"SELECT id, name FROM {Shop.__tablename__} WHERE id IN ({_id_list(wanted)})")
    )
    return {int(shop_id): str(name) for shop_id, name in rows}


def _product_hit(row: Any, live_room: int | None) -> SearchHit:
    return SearchHit(
        kind=SearchType.PRODUCT,
        id=row.object_id,
        title=row.title,
        shop_id=row.shop_id,
        category=row.category,
        price_min=row.price_min,
        sales=row.sales,
        image_url=row.image_url,
        live_room_id=live_room,
    )


PRODUCT_ROWS = (
    "SELECT object_id, title, shop_id, category, price_min, sales, image_url "
    f"FROM search_documents WHERE kind = '{DocumentKind.PRODUCT.name}' AND object_id IN "
)


def _product_rows(session: Session, object_ids: Sequence[int]) -> list[Any]:
    """The documents of these products, in this order (one gone since it matched is left out)."""
    if not object_ids:
        return []
    rows = session.execute(text(f"{PRODUCT_ROWS}({_id_list(object_ids)})")).all()
    by_id = {row.object_id: row for row in rows}
    return [by_id[object_id] for object_id in object_ids if object_id in by_id]


def _search_products(
    session: Session,
    engine: FullTextEngine,
    groups: Groups,
    *,
    filters: SearchFilters,
    sort: SearchSort,
    offset: int,
    limit: int,
) -> tuple[int, list[SearchHit], Facets]:
    live_now = frozenset(live_product_ids(session))
    matches = engine.match_products(
        session,
        groups,
        filters=filters,
        sort=sort,
        offset=offset,
        limit=limit,
        facet_values=FACET_VALUES,
        live_now=live_now,
    )
    page = matches.object_ids
    if sort is SearchSort.RELEVANCE:
        ranked = sorted(page, key=lambda object_id: object_id not in live_now)
        page = ranked[offset : offset + limit]  # sorted is stable: live first, by rank
    live = live_rooms_selling(session, [object_id for object_id in page if object_id in live_now])
    hits = [_product_hit(row, live.get(row.object_id)) for row in _product_rows(session, page)]
    names = shop_names(
        session, [*(hit.shop_id for hit in hits), *(shop for shop, _ in matches.facets.shops)]
    )
    for hit in hits:
        hit.shop_name = names.get(hit.shop_id) if hit.shop_id is not None else None
    return matches.total, hits, _facets(matches.facets, names)


def _facets(counts: FacetCounts, names: dict[int, str]) -> Facets:
    bounds: list[int | None] = [*PRICE_BOUNDS, None]
    return Facets(
        categories=[
            FacetCount(value=value, label=value, count=n) for value, n in counts.categories
        ],
        shops=[
            FacetCount(value=str(shop_id), label=names.get(shop_id, str(shop_id)), count=n)
            for shop_id, n in counts.shops
        ],
        price_ranges=[
            PriceRange(min_price=low or 0, max_price=high, count=count)
            for low, high, count in zip(bounds[:-1], bounds[1:], counts.price_ranges, strict=True)
            if count
        ],
        live_now=counts.live_now,
    )


def _search_rooms(
    session: Session,
    engine: FullTextEngine,
    groups: Groups,
    *,
    filters: SearchFilters,
    offset: int,
    limit: int,
) -> tuple[int, list[SearchHit], Facets]:
    """Rooms named like the query or selling a matching product; a live room selling
    one comes first, then other live rooms, then scheduled ones. Ended rooms are
    not offered."""
    own = engine.ranked_ids(session, groups, kind=DocumentKind.ROOM, limit=CANDIDATES)
    product_ids = engine.matching_product_ids(
        session, groups, filters=filters, limit=MATCHING_PRODUCTS
    )
    selling: dict[int, int] = {}
    if product_ids:
        for room_id in session.scalars(
            select(ShelfItem.room_id).where(ShelfItem.product_id.in_(product_ids))
        ):
            selling[room_id] = selling.get(room_id, 0) + 1
    query = select(Room).where(
        Room.id.in_(set(own) | set(selling)), Room.status != RoomStatus.ENDED
    )
    if filters.live_now:
        query = query.where(Room.status == RoomStatus.LIVE)
    rooms = {room.id: room for room in session.scalars(query)}
    position = {room_id: index for index, room_id in enumerate(own)}

    def order(room_id: int) -> tuple[bool, bool, int, int, int]:
        live = rooms[room_id].status is RoomStatus.LIVE
        sells = room_id in selling
        return (
            not (live and sells),
            not live,
            -selling.get(room_id, 0),
            position.get(room_id, len(position)),
            room_id,
        )

    ordered = sorted(rooms, key=order)
    page = ordered[offset : offset + limit]
    names = _host_shops(session, [rooms[room_id] for room_id in page])
    hits = [
        SearchHit(
            kind=SearchType.ROOM,
            id=room_id,
            title=rooms[room_id].title,
            shop_id=names.get(room_id, (None, None))[0],
            shop_name=names.get(room_id, (None, None))[1],
            live_room_id=room_id if rooms[room_id].status is RoomStatus.LIVE else None,
            status=rooms[room_id].status.value,
            matching_products=selling.get(room_id, 0),
        )
        for room_id in page
    ]
    live_now = sum(1 for room in rooms.values() if room.status is RoomStatus.LIVE)
    return len(ordered), hits, Facets(live_now=live_now)


def _host_shops(session: Session, rooms: Sequence[Room]) -> dict[int, tuple[int, str]]:
    """Each room's shop (its host's, as the index recorded it), by room id."""
    if not rooms:
        return {}
    shop_by_room = dict(
        session.execute(
            select(SearchDocument.object_id, SearchDocument.shop_id).where(
                SearchDocument.kind == DocumentKind.ROOM,
                SearchDocument.object_id.in_([room.id for room in rooms]),
            )
        ).all()
    )
    names = shop_names(session, list(shop_by_room.values()))
    return {
        room_id: (shop_id, names[shop_id])
        for room_id, shop_id in shop_by_room.items()
        if shop_id in names
    }


def _search_shops(
    session: Session,
    engine: FullTextEngine,
    groups: Groups,
    *,
    filters: SearchFilters,
    offset: int,
    limit: int,
) -> tuple[int, list[SearchHit], Facets]:
    """Shops named like the query first, then shops by how many matching products they sell."""
    own = engine.ranked_ids(session, groups, kind=DocumentKind.SHOP, limit=CANDIDATES)
    counts = engine.products_by_shop(session, groups, filters=filters, limit=CANDIDATES)
    ordered = list(dict.fromkeys([*own, *sorted(counts, key=lambda shop: -counts[shop])]))
    page = ordered[offset : offset + limit]
    names = shop_names(session, page)
    hits = [
        SearchHit(
            kind=SearchType.SHOP,
            id=shop_id,
            title=names[shop_id],
            shop_id=shop_id,
            shop_name=names[shop_id],
            matching_products=int(counts.get(shop_id, 0)),
        )
        for shop_id in page
        if shop_id in names
    ]
    return len(ordered), hits, Facets()


def search(
    session: Session,
    *,
    query: str,
    kind: SearchType = SearchType.PRODUCT,
    filters: SearchFilters | None = None,
    sort: SearchSort = SearchSort.RELEVANCE,
    offset: int = 0,
    limit: int = 20,
    engine: FullTextEngine | None = None,
) -> SearchOut:
    """Everyone may search; only published products and rooms not ended are found.
    ``engine``: the full-text engine to ask, else the one in use (settings)."""
    filters = filters or SearchFilters()
    limit = max(1, min(limit, MAX_PAGE))
    offset = max(0, min(offset, CANDIDATES - limit)) if sort is SearchSort.RELEVANCE else offset
    groups = term_groups(query, vocabulary(session))
    empty = SearchOut(
        query=query, type=kind, sort=sort, total=0, results=[], facets=Facets(), terms=groups
    )
    if not groups:
        return empty
    engine = engine or current_search_engine()
    if kind is SearchType.PRODUCT:
        total, hits, facets = _search_products(
            session, engine, groups, filters=filters, sort=sort, offset=offset, limit=limit
        )
    elif kind is SearchType.ROOM:
        total, hits, facets = _search_rooms(
            session, engine, groups, filters=filters, offset=offset, limit=limit
        )
    else:
        total, hits, facets = _search_shops(
            session, engine, groups, filters=filters, offset=offset, limit=limit
        )
    return empty.model_copy(update={"total": total, "results": hits, "facets": facets})

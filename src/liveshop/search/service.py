"""Searching products, rooms and shops: one use case, ``search``.

The full-text part is the database's own: FTS5's ``MATCH`` ranked by ``bm25()``
on SQLite, ``tsv @@ tsquery`` ranked by ``ts_rank`` on PostgreSQL, over the
same pre-segmented tokens (see :mod:`liveshop.search.indexer`). Filters,
sorting, facets and the live-room boost are plain SQL beside it.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from liveshop.catalog.models import Shop
from liveshop.live.models import Room, RoomStatus, ShelfItem
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

CANDIDATES = 200  # best-ranked matches re-ordered so products live now come first
MAX_PAGE = 50
FACET_VALUES = 10
PRICE_BOUNDS = (0, 5000, 10000, 20000, 50000, 100000)  # minor units: 50, 100, 200, 500, 1000
LIVE = RoomStatus.LIVE.name
ENDED = RoomStatus.ENDED.name


@dataclass(frozen=True)
class Match:
    """The full-text part of a query on one backend: FROM, WHERE and rank (lower first)."""

    source: str
    condition: str
    rank: str
    params: dict[str, Any]


def _quoted(token: str) -> str:
    return '"' + token.replace('"', '""') + '"'


def full_text_match(session: Session, groups: Sequence[Sequence[str]]) -> Match:
    if session.get_bind().dialect.name == "sqlite":
        expression = " AND ".join(
            "(" + " OR ".join(_quoted(token) for token in group) + ")" for group in groups
        )
        return Match(
            # CROSS JOIN keeps the index as the outer loop: SQLite's planner would
            # otherwise walk every document of the kind and probe the index for each.
            source="search_fts CROSS JOIN search_documents d ON d.id = search_fts.rowid",
            condition="search_fts MATCH :match",
            rank="bm25(search_fts)",
            params={"match": expression},
        )
    params: dict[str, Any] = {}
    ands = []
    for group_number, group in enumerate(groups):
        ors = []
        for token_number, token in enumerate(group):
            name = f"t{group_number}_{token_number}"
            params[name] = token
            ors.append(f"plainto_tsquery('simple', :{name})")
        ands.append("(" + " || ".join(ors) + ")")
    return Match(
        source=f"search_documents d CROSS JOIN (SELECT {' && '.join(ands)} AS q) query",
        condition="d.tsv @@ query.q",
        rank="-ts_rank(d.tsv, query.q)",
        params=params,
    )


LIVE_SHELF = (
    "EXISTS (SELECT 1 FROM shelf_items s JOIN rooms r ON r.id = s.room_id "
    f"WHERE s.product_id = d.object_id AND r.status = '{LIVE}')"
)


def _product_filters(filters: SearchFilters) -> tuple[str, dict[str, Any]]:
    conditions = [f"d.kind = '{DocumentKind.PRODUCT.name}'"]
    params: dict[str, Any] = {}
    if filters.min_price is not None:
        conditions.append("d.price_min >= :min_price")
        params["min_price"] = filters.min_price
    if filters.max_price is not None:
        conditions.append("d.price_min <= :max_price")
        params["max_price"] = filters.max_price
    if filters.category:
        conditions.append("d.category = :category")
        params["category"] = filters.category
    if filters.shop_id is not None:
        conditions.append("d.shop_id = :shop_id")
        params["shop_id"] = filters.shop_id
    if filters.live_now:
        conditions.append(LIVE_SHELF)
    if filters.room_id is not None:
        conditions.append(
            "EXISTS (SELECT 1 FROM shelf_items s WHERE s.product_id = d.object_id "
            "AND s.room_id = :room_id)"
        )
        params["room_id"] = filters.room_id
    return " AND ".join(conditions), params


ORDER = {
    SearchSort.PRICE_ASC: "d.price_min ASC, d.id",
    SearchSort.PRICE_DESC: "d.price_min DESC, d.id",
    SearchSort.SALES: "d.sales DESC, d.id",
}


def _rows(session: Session, sql: str, params: dict[str, Any]) -> list[Any]:
    return list(session.execute(text(sql), params).all())


def live_rooms_selling(session: Session, product_ids: Sequence[int]) -> dict[int, int]:
    """A live room (the lowest id) selling each of these products, by product id."""
    if not product_ids:
        return {}
    rows = session.execute(
        select(ShelfItem.product_id, ShelfItem.room_id)
        .join(Room, Room.id == ShelfItem.room_id)
        .where(ShelfItem.product_id.in_(product_ids), Room.status == RoomStatus.LIVE)
        .order_by(ShelfItem.room_id)
    ).all()
    selling: dict[int, int] = {}
    for product_id, room_id in rows:
        selling.setdefault(product_id, room_id)
    return selling


def shop_names(session: Session, shop_ids: Sequence[int | None]) -> dict[int, str]:
    wanted = {shop_id for shop_id in shop_ids if shop_id is not None}
    if not wanted:
        return {}
    return dict(session.execute(select(Shop.id, Shop.name).where(Shop.id.in_(wanted))).all())


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


COLUMNS = "d.object_id, d.title, d.shop_id, d.category, d.price_min, d.sales, d.image_url"


def _search_products(
    session: Session,
    match: Match,
    *,
    filters: SearchFilters,
    sort: SearchSort,
    offset: int,
    limit: int,
) -> tuple[int, list[SearchHit], Facets]:
    where, params = _product_filters(filters)
    params |= match.params
    base = f"FROM {match.source} WHERE {match.condition} AND {where}"
    total = _rows(session, f"SELECT count(*) {base}", params)[0][0]
    if sort is SearchSort.RELEVANCE:
        rows = _rows(
            session,
            f"SELECT {COLUMNS} {base} ORDER BY {match.rank}, d.id LIMIT {CANDIDATES}",
            params,
        )
        live = live_rooms_selling(session, [row.object_id for row in rows])
        ranked = sorted(rows, key=lambda row: row.object_id not in live)  # stable: live first
        page = ranked[offset : offset + limit]
    else:
        page = _rows(
            session,
            f"SELECT {COLUMNS} {base} ORDER BY {ORDER[sort]} LIMIT {limit} OFFSET {offset}",
            params,
        )
        live = live_rooms_selling(session, [row.object_id for row in page])
    hits = [_product_hit(row, live.get(row.object_id)) for row in page]
    return total, hits, _facets(session, base, params)


def _facets(session: Session, base: str, params: dict[str, Any]) -> Facets:
    categories = _rows(
        session,
        f"SELECT d.category, count(*) AS n {base} AND d.category <> '' "
        f"GROUP BY d.category ORDER BY n DESC, d.category LIMIT {FACET_VALUES}",
        params,
    )
    shops = _rows(
        session,
        f"SELECT d.shop_id, count(*) AS n {base} "
        f"GROUP BY d.shop_id ORDER BY n DESC, d.shop_id LIMIT {FACET_VALUES}",
        params,
    )
    bounds = [*PRICE_BOUNDS, None]
    cases = ", ".join(
        f"sum(CASE WHEN d.price_min >= {low}"
        + (f" AND d.price_min < {high}" if high is not None else "")
        + " THEN 1 ELSE 0 END)"
        for low, high in itertools.pairwise(bounds)
    )
    prices = _rows(
        session, f"SELECT {cases}, sum(CASE WHEN {LIVE_SHELF} THEN 1 ELSE 0 END) {base}", params
    )[0]
    names = shop_names(session, [shop_id for shop_id, _ in shops])
    return Facets(
        categories=[FacetCount(value=value, label=value, count=n) for value, n in categories],
        shops=[
            FacetCount(value=str(shop_id), label=names.get(shop_id, str(shop_id)), count=n)
            for shop_id, n in shops
            if shop_id is not None
        ],
        price_ranges=[
            PriceRange(min_price=low or 0, max_price=high, count=int(count or 0))
            for low, high, count in zip(bounds[:-1], bounds[1:], prices[:-1], strict=True)
            if count
        ],
        live_now=int(prices[-1] or 0),
    )


def _ranked_documents(
    session: Session, match: Match, *, kind: DocumentKind, extra: str = "", limit: int
) -> list[Any]:
    return _rows(
        session,
        f"SELECT d.object_id, d.title, d.shop_id {'' if not extra else ', ' + extra} "
        f"FROM {match.source} WHERE {match.condition} AND d.kind = '{kind.name}' "
        f"ORDER BY {match.rank}, d.id LIMIT {limit}",
        match.params,
    )


def _matching_product_ids(session: Session, match: Match, filters: SearchFilters) -> list[int]:
    where, params = _product_filters(filters.model_copy(update={"live_now": False}))
    rows = _rows(
        session,
        f"SELECT d.object_id FROM {match.source} WHERE {match.condition} AND {where} "
        f"ORDER BY {match.rank}, d.id LIMIT 1000",
        params | match.params,
    )
    return [row[0] for row in rows]


def _search_rooms(
    session: Session, match: Match, *, filters: SearchFilters, offset: int, limit: int
) -> tuple[int, list[SearchHit], Facets]:
    """Rooms named like the query or selling a matching product; a live room selling
    one comes first, then other live rooms, then scheduled ones. Ended rooms are
    not offered."""
    own = [
        row[0]
        for row in _ranked_documents(session, match, kind=DocumentKind.ROOM, limit=CANDIDATES)
    ]
    product_ids = _matching_product_ids(session, match, filters)
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
    session: Session, match: Match, *, filters: SearchFilters, offset: int, limit: int
) -> tuple[int, list[SearchHit], Facets]:
    """Shops named like the query first, then shops by how many matching products they sell."""
    own = [
        row[0]
        for row in _ranked_documents(session, match, kind=DocumentKind.SHOP, limit=CANDIDATES)
    ]
    where, params = _product_filters(filters)
    counts = dict(
        _rows(
            session,
            f"SELECT d.shop_id, count(*) AS n FROM {match.source} WHERE {match.condition} "
            f"AND {where} AND d.shop_id IS NOT NULL GROUP BY d.shop_id "
            f"ORDER BY n DESC LIMIT {CANDIDATES}",
            params | match.params,
        )
    )
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
) -> SearchOut:
    """Everyone may search; only published products and rooms not ended are found."""
    filters = filters or SearchFilters()
    limit = max(1, min(limit, MAX_PAGE))
    offset = max(0, min(offset, CANDIDATES - limit)) if sort is SearchSort.RELEVANCE else offset
    groups = term_groups(query, vocabulary(session))
    empty = SearchOut(
        query=query, type=kind, sort=sort, total=0, results=[], facets=Facets(), terms=groups
    )
    if not groups:
        return empty
    match = full_text_match(session, groups)
    if kind is SearchType.PRODUCT:
        total, hits, facets = _search_products(
            session, match, filters=filters, sort=sort, offset=offset, limit=limit
        )
        names = shop_names(session, [hit.shop_id for hit in hits])
        for hit in hits:
            hit.shop_name = names.get(hit.shop_id) if hit.shop_id is not None else None
    elif kind is SearchType.ROOM:
        total, hits, facets = _search_rooms(
            session, match, filters=filters, offset=offset, limit=limit
        )
    else:
        total, hits, facets = _search_shops(
            session, match, filters=filters, offset=offset, limit=limit
        )
    return empty.model_copy(update={"total": total, "results": hits, "facets": facets})

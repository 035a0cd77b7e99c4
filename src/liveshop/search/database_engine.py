"""The database's own full-text search as the search engine.

FTS5's ``MATCH`` ranked by ``bm25()`` on SQLite, ``tsv @@ tsquery`` ranked by
``ts_rank`` on PostgreSQL, over the pre-segmented tokens of
``search_documents`` (see :mod:`liveshop.search.indexer`). Filters, sorting
and facets are plain SQL beside it. Exact and always current, but it ranks and
counts every match: a broad query over a large catalogue takes hundreds of
milliseconds (``benchmarks/search.py``).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from liveshop.live.models import RoomStatus
from liveshop.search.engines import (
    CANDIDATES,
    PRICE_BOUNDS,
    FacetCounts,
    Groups,
    ProductMatches,
)
from liveshop.search.models import DocumentKind
from liveshop.search.schemas import SearchFilters, SearchSort

LIVE = RoomStatus.LIVE.name


@dataclass(frozen=True)
class Match:
    """The full-text part of a query on one backend: FROM, WHERE and rank (lower first)."""

    source: str
    condition: str
    rank: str
    params: dict[str, Any]


def _quoted(token: str) -> str:
    return '"' + token.replace('"', '""') + '"'


def full_text_match(session: Session, groups: Groups) -> Match:
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


def _facet_counts(session: Session, base: str, params: dict[str, Any], values: int) -> FacetCounts:
    categories = _rows(
        session,
        f"SELECT d.category, count(*) AS n {base} AND d.category <> '' "
        f"GROUP BY d.category ORDER BY n DESC, d.category LIMIT {values}",
        params,
    )
    shops = _rows(
        session,
        f"SELECT d.shop_id, count(*) AS n {base} AND d.shop_id IS NOT NULL "
        f"GROUP BY d.shop_id ORDER BY n DESC, d.shop_id LIMIT {values}",
        params,
    )
    bounds = [*PRICE_BOUNDS, None]
    cases = ", ".join(
        f"sum(CASE WHEN d.price_min >= {low}"
        + (f" AND d.price_min < {high}" if high is not None else "")
        + " THEN 1 ELSE 0 END)"
        for low, high in itertools.pairwise(bounds)
    )
    sums = _rows(
        session, f"SELECT {cases}, sum(CASE WHEN {LIVE_SHELF} THEN 1 ELSE 0 END) {base}", params
    )[0]
    return FacetCounts(
        categories=[(value, int(n)) for value, n in categories],
        shops=[(int(shop_id), int(n)) for shop_id, n in shops],
        price_ranges=[int(count or 0) for count in sums[:-1]],
        live_now=int(sums[-1] or 0),
    )


class DatabaseEngine:
    """SQLite FTS5 or PostgreSQL text search, whichever the session is on."""

    name = "database"

    def match_products(
        self,
        session: Session,
        groups: Groups,
        *,
        filters: SearchFilters,
        sort: SearchSort,
        offset: int,
        limit: int,
        facet_values: int,
        live_now: frozenset[int],
    ) -> ProductMatches:
        del live_now  # read in SQL, in the same statements (LIVE_SHELF)
        match = full_text_match(session, groups)
        where, params = _product_filters(filters)
        params |= match.params
        base = f"FROM {match.source} WHERE {match.condition} AND {where}"
        total = _rows(session, f"SELECT count(*) {base}", params)[0][0]
        if sort is SearchSort.RELEVANCE:
            order, window = f"{match.rank}, d.id", f"LIMIT {CANDIDATES}"
        else:
            order, window = ORDER[sort], f"LIMIT {limit} OFFSET {offset}"
        rows = _rows(session, f"SELECT d.object_id {base} ORDER BY {order} {window}", params)
        return ProductMatches(
            total=int(total),
            object_ids=[row[0] for row in rows],
            facets=_facet_counts(session, base, params, facet_values),
        )

    def ranked_ids(
        self, session: Session, groups: Groups, *, kind: DocumentKind, limit: int
    ) -> list[int]:
        match = full_text_match(session, groups)
        rows = _rows(
            session,
            f"SELECT d.object_id FROM {match.source} WHERE {match.condition} "
            f"AND d.kind = '{kind.name}' ORDER BY {match.rank}, d.id LIMIT {limit}",
            match.params,
        )
        return [row[0] for row in rows]

    def matching_product_ids(
        self, session: Session, groups: Groups, *, filters: SearchFilters, limit: int
    ) -> list[int]:
        match = full_text_match(session, groups)
        where, params = _product_filters(filters.model_copy(update={"live_now": False}))
        rows = _rows(
            session,
            f"SELECT d.object_id FROM {match.source} WHERE {match.condition} AND {where} "
            f"ORDER BY {match.rank}, d.id LIMIT {limit}",
            params | match.params,
        )
        return [row[0] for row in rows]

    def products_by_shop(
        self, session: Session, groups: Groups, *, filters: SearchFilters, limit: int
    ) -> dict[int, int]:
        match = full_text_match(session, groups)
        where, params = _product_filters(filters)
        rows = _rows(
            session,
            f"SELECT d.shop_id, count(*) AS n FROM {match.source} WHERE {match.condition} "
            f"AND {where} AND d.shop_id IS NOT NULL GROUP BY d.shop_id "
            f"ORDER BY n DESC, d.shop_id LIMIT {limit}",
            params | match.params,
        )
        return {int(shop_id): int(n) for shop_id, n in rows}

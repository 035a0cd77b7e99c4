"""Tantivy as the search engine: BM25 over the indexer's tokens, filters, counts and
facets from fast fields, one index per database (:mod:`liveshop.search.tantivy_index`).

Tantivy stops ranking at the page (a top-k collector) and counts and
aggregates in native code, where the database's full-text search ranks and
counts every match in SQL; that is what brings a broad query over a million
products from hundreds of milliseconds to a few (``benchmarks/search.py``).
Facets are Tantivy aggregations (terms on category and shop, a range on the
price) over the same query, exact: each segment returns every term
(``segment_size``), not its top few.
"""

from __future__ import annotations

import hashlib
import itertools
import threading
from pathlib import Path
from typing import Any

import tantivy
from sqlalchemy.orm import Session

from liveshop.search.engines import (
    CANDIDATES,
    PRICE_BOUNDS,
    FacetCounts,
    Groups,
    ProductMatches,
    live_product_ids,
    shelf_product_ids,
)
from liveshop.search.models import DocumentKind
from liveshop.search.schemas import SearchFilters, SearchSort
from liveshop.search.tantivy_index import KIND_CODES, SCHEMA_VERSION, TantivyIndex

EVERY_TERM = 20_000  # terms a facet counts per segment (Tantivy allows 65,000 buckets)
SORT_FIELDS = {
    SearchSort.PRICE_ASC: ("price_min", tantivy.Order.Asc),
    SearchSort.PRICE_DESC: ("price_min", tantivy.Order.Desc),
    SearchSort.SALES: ("sales", tantivy.Order.Desc),
}


def _filter(query: tantivy.Query) -> tantivy.Query:
    """A clause that selects without adding to the score."""
    return tantivy.Query.const_score_query(query, 0.0)


class TantivyEngine:
    """Indexes under ``directory``, one per database URL."""

    name = "tantivy"

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self._indexes: dict[str, TantivyIndex] = {}
        self._lock = threading.Lock()

    def index_for(self, session: Session) -> TantivyIndex:
        url = session.get_bind().engine.url.render_as_string(hide_password=False)
        with self._lock:
            index = self._indexes.get(url)
            if index is None:
                digest = hashlib.sha256(url.encode()).hexdigest()[:16]
                path = self.directory / f"v{SCHEMA_VERSION}-{digest}"
                index = self._indexes[url] = TantivyIndex(path)
            return index

    def _text(self, schema: tantivy.Schema, groups: Groups) -> tantivy.Query:
        return tantivy.Query.boolean_query(
            [
                (
                    tantivy.Occur.Must,
                    tantivy.Query.boolean_query(
                        [
                            (
                                tantivy.Occur.Should,
                                tantivy.Query.term_query(schema, "tokens", token.lower()),
                            )
                            for token in group
                        ]
                    ),
                )
                for group in groups
            ]
        )

    def _kind(self, schema: tantivy.Schema, kind: DocumentKind) -> tantivy.Query:
        return _filter(tantivy.Query.term_query(schema, "kind", KIND_CODES[kind]))

    def _products(
        self,
        session: Session,
        schema: tantivy.Schema,
        groups: Groups,
        filters: SearchFilters,
        live_now: frozenset[int] | None = None,
    ) -> tantivy.Query:
        clauses = [self._text(schema, groups), self._kind(schema, DocumentKind.PRODUCT)]
        if filters.min_price is not None or filters.max_price is not None:
            clauses.append(
                _filter(
                    tantivy.Query.range_query(
                        schema,
                        "price_min",
                        tantivy.FieldType.Integer,
                        filters.min_price if filters.min_price is not None else -(2**62),
                        filters.max_price if filters.max_price is not None else 2**62,
                    )
                )
            )
        if filters.category:
            clauses.append(_filter(tantivy.Query.term_query(schema, "category", filters.category)))
        if filters.shop_id is not None:
            clauses.append(_filter(tantivy.Query.term_query(schema, "shop_id", filters.shop_id)))
        if filters.live_now:
            live = live_now if live_now is not None else live_product_ids(session)
            clauses.append(_among(schema, sorted(live)))
        if filters.room_id is not None:
            clauses.append(_among(schema, shelf_product_ids(session, room_id=filters.room_id)))
        return tantivy.Query.boolean_query([(tantivy.Occur.Must, clause) for clause in clauses])

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
        index = self.index_for(session)
        searcher = index.searcher(session)
        query = self._products(session, index.schema, groups, filters, live_now)
        if sort is SearchSort.RELEVANCE:
            result = searcher.search(query, CANDIDATES, count=True)
            object_ids = _ranked(searcher, result.hits)
        else:
            field, order = SORT_FIELDS[sort]
            result = searcher.search(
                query, limit, count=True, order_by_field=field, offset=offset, order=order
            )
            object_ids = _sorted(searcher, result.hits, descending=order is tantivy.Order.Desc)
        facets = _facet_counts(index.schema, searcher, query, facet_values, live_now)
        return ProductMatches(total=_count(result), object_ids=object_ids, facets=facets)

    def ranked_ids(
        self, session: Session, groups: Groups, *, kind: DocumentKind, limit: int
    ) -> list[int]:
        index = self.index_for(session)
        searcher = index.searcher(session)
        query = tantivy.Query.boolean_query(
            [
                (tantivy.Occur.Must, self._text(index.schema, groups)),
                (tantivy.Occur.Must, self._kind(index.schema, kind)),
            ]
        )
        return _ranked(searcher, searcher.search(query, limit, count=False).hits)

    def matching_product_ids(
        self, session: Session, groups: Groups, *, filters: SearchFilters, limit: int
    ) -> list[int]:
        index = self.index_for(session)
        searcher = index.searcher(session)
        unfiltered_live = filters.model_copy(update={"live_now": False})
        query = self._products(session, index.schema, groups, unfiltered_live)
        return _ranked(searcher, searcher.search(query, limit, count=False).hits)

    def products_by_shop(
        self, session: Session, groups: Groups, *, filters: SearchFilters, limit: int
    ) -> dict[int, int]:
        index = self.index_for(session)
        searcher = index.searcher(session)
        query = self._products(session, index.schema, groups, filters)
        answer = searcher.aggregate(query, {"shops": _terms("shop_id")})
        return dict(_most(answer["shops"], limit))


def _count(result: tantivy.SearchResult) -> int:
    """The number of matches a ``count=True`` search found (tantivy-py's stub omits it)."""
    count: int | None = getattr(result, "count", None)
    return count or 0


def _among(schema: tantivy.Schema, object_ids: list[int]) -> tantivy.Query:
    if not object_ids:
        return tantivy.Query.empty_query()
    return _filter(tantivy.Query.term_set_query(schema, "object_id", object_ids))


def _ranked(searcher: tantivy.Searcher, hits: list[tuple[Any, tantivy.DocAddress]]) -> list[int]:
    """Object ids by score, equal scores by id (the database engine's order)."""
    ids = searcher.fast_field_values("object_id", [address for _, address in hits])
    scored = sorted(zip(hits, ids, strict=True), key=lambda pair: (-pair[0][0], pair[1] or 0))
    return [int(object_id or 0) for _, object_id in scored]


def _sorted(
    searcher: tantivy.Searcher, hits: list[tuple[Any, tantivy.DocAddress]], *, descending: bool
) -> list[int]:
    """Object ids in the field's order, equal values by id."""
    ids = searcher.fast_field_values("object_id", [address for _, address in hits])
    sign = -1 if descending else 1
    pairs = [(value, int(object_id or 0)) for (value, _), object_id in zip(hits, ids, strict=True)]
    present = sorted(
        (pair for pair in pairs if pair[0] is not None), key=lambda p: (sign * p[0], p[1])
    )
    return [object_id for _, object_id in present] + [
        object_id for value, object_id in pairs if value is None
    ]


def _terms(field: str) -> dict[str, Any]:
    return {"terms": {"field": field, "size": EVERY_TERM, "segment_size": EVERY_TERM}}


def _most(aggregation: dict[str, Any], limit: int) -> list[tuple[Any, int]]:
    counts = [(bucket["key"], int(bucket["doc_count"])) for bucket in aggregation["buckets"]]
    counts.sort(key=lambda pair: (-pair[1], pair[0]))
    return counts[:limit]


def _facet_counts(
    schema: tantivy.Schema,
    searcher: tantivy.Searcher,
    query: tantivy.Query,
    values: int,
    live: frozenset[int],
) -> FacetCounts:
    bounds: list[int | None] = [*PRICE_BOUNDS, None]
    ranges = [
        {"from": low} if high is None else {"from": low, "to": high}
        for low, high in itertools.pairwise(bounds)
    ]
    answer = searcher.aggregate(
        query,
        {
            "categories": _terms("category"),
            "shops": _terms("shop_id"),
            "prices": {"range": {"field": "price_min", "ranges": ranges}},
        },
    )
    by_start = {
        int(bucket["from"]): int(bucket["doc_count"])
        for bucket in answer["prices"]["buckets"]
        if "from" in bucket
    }
    live_now = 0
    if live:
        with_live = tantivy.Query.boolean_query(
            [(tantivy.Occur.Must, query), (tantivy.Occur.Must, _among(schema, sorted(live)))]
        )
        live_now = _count(searcher.search(with_live, 1, count=True))
    categories = [
        (str(value), n) for value, n in _most(answer["categories"], EVERY_TERM) if value != ""
    ]
    return FacetCounts(
        categories=categories[:values],
        shops=[(int(shop_id), n) for shop_id, n in _most(answer["shops"], values)],
        price_ranges=[by_start.get(low or 0, 0) for low in bounds[:-1]],
        live_now=live_now,
    )


_engines: dict[Path, TantivyEngine] = {}
_engines_lock = threading.Lock()


def tantivy_engine_at(directory: Path) -> TantivyEngine:
    """The process's engine for indexes under ``directory`` (connecting again keeps it)."""
    with _engines_lock:
        engine = _engines.get(directory)
        if engine is None:
            engine = _engines[directory] = TantivyEngine(directory)
        return engine

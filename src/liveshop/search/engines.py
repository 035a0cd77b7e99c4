"""The full-text engine behind search: what it answers, and which one is in use.

``search_documents`` is the record either way. :class:`FullTextEngine` is the
part of a query that needs an index: which documents match the term groups
(ANDed groups of alternative tokens, see :mod:`liveshop.search.query`) under
the filters, in which order, how many, and the facet counts over all of them.
Two implementations: the database's own full-text search
(:mod:`liveshop.search.database_engine`) and Tantivy
(:mod:`liveshop.search.tantivy_engine`), picked by ``LIVESHOP_SEARCH_ENGINE``
in ``liveshop.wiring``. The live-room boost, the page's rows and the names are
the service's, the same for both.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from liveshop.live.models import Room, RoomStatus, ShelfItem
from liveshop.search.models import DocumentKind
from liveshop.search.schemas import SearchFilters, SearchSort

CANDIDATES = 200  # best-ranked matches re-ordered so products live now come first
MATCHING_PRODUCTS = 1000  # the best matches whose rooms a room search looks for
PRICE_BOUNDS = (0, 5000, 10000, 20000, 50000, 100000)  # minor units: 50, 100, 200, 500, 1000

Groups = Sequence[Sequence[str]]


@dataclass(frozen=True)
class FacetCounts:
    """Counts over every matching product: (value, count), most first, then by value."""

    categories: list[tuple[str, int]] = field(default_factory=list)
    shops: list[tuple[int, int]] = field(default_factory=list)
    price_ranges: list[int] = field(default_factory=list)  # one per PRICE_BOUNDS step, and above
    live_now: int = 0


@dataclass(frozen=True)
class ProductMatches:
    """``object_ids``: the best CANDIDATES by relevance, or the page asked for when
    sorted by price or sales."""

    total: int
    object_ids: list[int]
    facets: FacetCounts


class FullTextEngine(Protocol):
    name: str

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
        """``live_now``: the products on a live room's shelf at the moment."""
        ...

    def ranked_ids(
        self, session: Session, groups: Groups, *, kind: DocumentKind, limit: int
    ) -> list[int]:
        """Object ids of matching documents of ``kind``, best first."""
        ...

    def matching_product_ids(
        self, session: Session, groups: Groups, *, filters: SearchFilters, limit: int
    ) -> list[int]:
        """The best matching products' ids (``filters.live_now`` is ignored)."""
        ...

    def products_by_shop(
        self, session: Session, groups: Groups, *, filters: SearchFilters, limit: int
    ) -> dict[int, int]:
        """How many matching products each shop sells: the ``limit`` shops with most."""
        ...


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


LIVE_PRODUCTS = text(
    "SELECT DISTINCT s.product_id FROM shelf_items s JOIN rooms r ON r.id = s.room_id "
    f"WHERE r.status = '{RoomStatus.LIVE.name}'"
)  # every query asks: a constant statement, built once


def live_product_ids(session: Session) -> list[int]:
    """Every product on a live room's shelf."""
    return [int(product_id) for product_id in session.scalars(LIVE_PRODUCTS)]


def shelf_product_ids(session: Session, *, room_id: int) -> list[int]:
    return list(session.scalars(select(ShelfItem.product_id).where(ShelfItem.room_id == room_id)))


_engine: list[FullTextEngine] = []
_engine_lock = threading.Lock()


def use_search_engine(engine: FullTextEngine) -> None:
    """Make ``engine`` the one :func:`liveshop.search.service.search` asks
    (``liveshop.wiring`` does, from the settings)."""
    with _engine_lock:
        _engine[:] = [engine]


def current_search_engine() -> FullTextEngine:
    """The engine in use; the database's own until one is chosen."""
    with _engine_lock:
        if not _engine:
            from liveshop.search.database_engine import DatabaseEngine

            _engine.append(DatabaseEngine())
        return _engine[0]

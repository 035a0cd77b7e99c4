"""Keeping the index in step: one document per product, room and shop.

The write functions take a session and flush; :class:`SearchIndexer` runs them
in a thread of its own, a few objects per transaction, after the catalogue's or
the room's change has committed (``liveshop.wiring`` subscribes it to their
events), so a change is searchable within about a second and no request waits
for jieba.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from liveshop.accounts.models import User
from liveshop.catalog.events import ProductChanged, ShopChanged
from liveshop.catalog.models import ListingStatus, Product, Shop, Sku
from liveshop.catalog.shops import shop_of
from liveshop.core.bus import DomainEvent
from liveshop.core.clock import utcnow
from liveshop.core.db import rows_changed, unit_of_work
from liveshop.live.events import RoomChanged, RoomStatusChanged
from liveshop.live.models import Room
from liveshop.orders.events import OrderPaid
from liveshop.orders.models import Order, OrderItem, OrderStatus
from liveshop.search import text
from liveshop.search.models import (
    DocumentKind,
    SearchChange,
    SearchDocument,
    SearchTerm,
    new_stamp,
)

logger = logging.getLogger(__name__)

SOLD_STATUSES = (
    OrderStatus.PAID,
    OrderStatus.SHIPPED,
    OrderStatus.DELIVERED,
    OrderStatus.COMPLETED,
)
BATCH = 200  # objects indexed per transaction by the background indexer
# The change log keeps its newest CHANGES_KEPT rows; an index that stopped further
# back finds its watermark row gone and rebuilds from search_documents. It is trimmed
# by the write whose change number is a multiple of TRIM_EVERY.
CHANGES_KEPT = 100_000
TRIM_EVERY = 1_000


@dataclass(frozen=True)
class DocumentFields:
    title: str
    shop_id: int | None
    category: str
    price_min: int | None
    image_url: str | None
    texts: tuple[str, ...]


def add_terms(session: Session, vocabulary: dict[str, str]) -> None:
    """Add new words to the vocabulary (a word already there is left alone)."""
    if not vocabulary:
        return
    rows = [{"term": term, "pinyin": pinyin[:200]} for term, pinyin in vocabulary.items()]
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    session.execute(insert(SearchTerm).values(rows).on_conflict_do_nothing())


def record_changes(session: Session, *, kind: DocumentKind, object_ids: Iterable[int]) -> None:
    """Log that these documents changed, in the caller's transaction (derived indexes
    replay the log; see :mod:`liveshop.search.tantivy_index`)."""
    rows = [
        {"kind": kind, "object_id": object_id, "stamp": new_stamp()} for object_id in object_ids
    ]
    if not rows:
        return
    numbers = session.scalars(insert(SearchChange).returning(SearchChange.seq), rows).all()
    if any(number % TRIM_EVERY == 0 for number in numbers):
        trim_changes(session, newest=max(numbers), kept=CHANGES_KEPT)


def trim_changes(session: Session, *, newest: int, kept: int) -> int:
    """Remove the log's rows more than ``kept`` changes behind ``newest``; how many."""
    cut = session.execute(delete(SearchChange).where(SearchChange.seq <= newest - kept))
    return rows_changed(cut)


def _write_document(
    session: Session, *, kind: DocumentKind, object_id: int, fields: DocumentFields
) -> None:
    tokens, vocabulary = text.index_tokens(*fields.texts)
    values = {
        "shop_id": fields.shop_id,
        "title": fields.title[:200],
        "category": fields.category[:60],
        "price_min": fields.price_min,
        "image_url": fields.image_url,
        "tokens": tokens,
        "updated_at": utcnow(),
    }
    changed = session.execute(
        update(SearchDocument)
        .where(SearchDocument.kind == kind, SearchDocument.object_id == object_id)
        .values(**values)
    )
    if getattr(changed, "rowcount", 0) == 0:
        session.add(SearchDocument(kind=kind, object_id=object_id, sales=0, **values))
    add_terms(session, vocabulary)
    record_changes(session, kind=kind, object_ids=[object_id])
    session.flush()


def remove_document(session: Session, *, kind: DocumentKind, object_id: int) -> None:
    session.execute(
        delete(SearchDocument).where(
            SearchDocument.kind == kind, SearchDocument.object_id == object_id
        )
    )
    record_changes(session, kind=kind, object_ids=[object_id])


def units_sold(session: Session, *, product_id: int) -> int:
    return int(
        session.scalar(
            select(func.coalesce(func.sum(OrderItem.quantity), 0))
            .join(Order, Order.id == OrderItem.order_id)
            .where(OrderItem.product_id == product_id, Order.status.in_(SOLD_STATUSES))
        )
        or 0
    )


def index_product(session: Session, *, product_id: int) -> None:
    """Index a published product (title, brand, category, description, attribute
    values, SKU options); a missing or held one leaves the index."""
    product = session.get(Product, product_id)
    if product is None or product.listing_status is not ListingStatus.PUBLISHED:
        remove_document(session, kind=DocumentKind.PRODUCT, object_id=product_id)
        return
    skus = session.scalars(select(Sku).where(Sku.product_id == product_id)).all()
    options = " ".join(str(value) for sku in skus for value in sku.options.values())
    attributes = " ".join(f"{key} {value}" for key, value in product.attributes.items())
    fields = DocumentFields(
        title=product.title,
        shop_id=product.shop_id,
        category=product.category,
        price_min=min((sku.price for sku in skus), default=None),
        image_url=product.images[0] if product.images else None,
        texts=(
            product.title,
            product.brand,
            product.category,
            attributes,
            options,
            product.description[:500],
        ),
    )
    _write_document(session, kind=DocumentKind.PRODUCT, object_id=product.id, fields=fields)
    session.execute(
        update(SearchDocument)
        .where(SearchDocument.kind == DocumentKind.PRODUCT, SearchDocument.object_id == product.id)
        .values(sales=units_sold(session, product_id=product.id))
    )


def index_room(session: Session, *, room_id: int) -> None:
    room = session.get(Room, room_id)
    if room is None:
        remove_document(session, kind=DocumentKind.ROOM, object_id=room_id)
        return
    host = session.get(User, room.host_id)
    shop = shop_of(session, user=host) if host is not None else None
    fields = DocumentFields(
        title=room.title,
        shop_id=shop.id if shop else None,
        category="",
        price_min=None,
        image_url=None,
        texts=(room.title, room.description[:500], shop.name if shop else ""),
    )
    _write_document(session, kind=DocumentKind.ROOM, object_id=room.id, fields=fields)


def index_shop(session: Session, *, shop_id: int) -> None:
    shop = session.get(Shop, shop_id)
    if shop is None:
        remove_document(session, kind=DocumentKind.SHOP, object_id=shop_id)
        return
    fields = DocumentFields(
        title=shop.name,
        shop_id=shop.id,
        category="",
        price_min=None,
        image_url=None,
        texts=(shop.name,),
    )
    _write_document(session, kind=DocumentKind.SHOP, object_id=shop.id, fields=fields)


def add_sales(session: Session, *, sold: dict[int, int]) -> None:
    for product_id, quantity in sold.items():
        session.execute(
            update(SearchDocument)
            .where(
                SearchDocument.kind == DocumentKind.PRODUCT,
                SearchDocument.object_id == product_id,
            )
            .values(sales=SearchDocument.sales + quantity)
        )
    record_changes(session, kind=DocumentKind.PRODUCT, object_ids=sold)


def rebuild_index(session: Session) -> dict[str, int]:
    """Index every shop, published product and room (``liveshop search reindex``)."""
    counts: dict[str, int] = {}
    for kind, column in (
        (DocumentKind.SHOP, Shop.id),
        (DocumentKind.PRODUCT, Product.id),
        (DocumentKind.ROOM, Room.id),
    ):
        object_ids = session.scalars(select(column).order_by(column)).all()
        index_objects(session, [(kind, object_id) for object_id in object_ids])
        counts[kind.value] = len(object_ids)
    return counts


def index_objects(session: Session, objects: Iterable[tuple[DocumentKind, int]]) -> None:
    for kind, object_id in dict.fromkeys(objects):
        if kind is DocumentKind.PRODUCT:
            index_product(session, product_id=object_id)
        elif kind is DocumentKind.ROOM:
            index_room(session, room_id=object_id)
        else:
            index_shop(session, shop_id=object_id)


class SearchIndexer:
    """The bus listener: queues changed objects and indexes them in a daemon thread."""

    def __init__(self, database_url: str) -> None:
        self.database_url = database_url
        self._queue: queue.Queue[tuple[DocumentKind, int] | dict[int, int]] = queue.Queue()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self._idle = threading.Event()
        self._idle.set()

    def listeners(self) -> list[tuple[type[DomainEvent], Callable[[Any], None]]]:
        """What ``liveshop.wiring`` subscribes: the changes that move a document."""
        return [
            (ProductChanged, self.on_product_changed),
            (ShopChanged, self.on_shop_changed),
            (RoomChanged, self.on_room_changed),
            (RoomStatusChanged, self.on_room_changed),
            (OrderPaid, self.on_order_paid),
        ]

    def on_product_changed(self, event: ProductChanged) -> None:
        self._put((DocumentKind.PRODUCT, event.product_id))

    def on_shop_changed(self, event: ShopChanged) -> None:
        self._put((DocumentKind.SHOP, event.shop_id))

    def on_room_changed(self, event: RoomChanged | RoomStatusChanged) -> None:
        self._put((DocumentKind.ROOM, event.room_id))

    def on_order_paid(self, event: OrderPaid) -> None:
        sold: dict[int, int] = {}
        for line in event.lines:
            sold[line.product_id] = sold.get(line.product_id, 0) + line.quantity
        self._put(sold)

    def _put(self, item: tuple[DocumentKind, int] | dict[int, int]) -> None:
        self._idle.clear()
        self._queue.put(item)
        with self._lock:
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(
                    target=self._run, name="search-indexer", daemon=True
                )
                self._thread.start()

    def wait_idle(self, timeout: float = 10.0) -> bool:
        """Until everything queued so far is indexed (tests, the demo)."""
        return self._idle.wait(timeout)

    def _run(self) -> None:
        text.warm_up()
        while True:
            batch = [self._queue.get()]
            while len(batch) < BATCH:
                try:
                    batch.append(self._queue.get_nowait())
                except queue.Empty:
                    break
            try:
                self._index(batch)
            except Exception:
                logger.exception("indexing %d changed objects failed", len(batch))
            if self._queue.empty():
                self._idle.set()

    def _index(self, batch: list[tuple[DocumentKind, int] | dict[int, int]]) -> None:
        with unit_of_work(self.database_url) as session:
            index_objects(session, [item for item in batch if isinstance(item, tuple)])
            for item in batch:
                if isinstance(item, dict):
                    add_sales(session, sold=item)

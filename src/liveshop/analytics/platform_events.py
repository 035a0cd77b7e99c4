"""The platform's sales in the behaviour log: paid orders and gifts become events.

Orders and payments sit below analytics and may not call it; they publish domain
events after commit, and this subscriber turns them into what the reports read
(``analytics.reports.common``): one ``purchase`` event per line of a paid order,
its ``amount`` the line's paid total after discounts (the order's pricing spreads
each discount over the lines exactly, so the lines add up to what the buyer paid
for goods), and one ``gift`` event per gift send, with its cost in ``coins``.
Buyers and senders are recorded under the recorder's pseudonymous ids only.

Refunds are not recorded: no report reads them yet.

Handlers run on the thread that committed; they hand the event to a worker
thread, which reads what the event lacks (one query) and feeds the recorder on
its event loop (the recorder is not thread-safe).
"""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from liveshop.accounts.models import User
from liveshop.catalog.models import Product
from liveshop.core.db import unit_of_work
from liveshop.core.rooms import RoomNotice
from liveshop.events.recorder import EventRecorder, EventType
from liveshop.orders.events import OrderStatusChanged
from liveshop.orders.models import OrderItem, OrderStatus

logger = logging.getLogger(__name__)

GIFT_TOPIC = "gift"  # the RoomNotice payments publishes for every gift send


@dataclass(frozen=True)
class PaidLine:
    product_id: int
    quantity: int
    amount: int  # minor units: the line's subtotal less its share of the discounts
    discounted: bool  # a coupon took part of this line
    category: str
    brand: str


def paid_lines(session: Session, *, order_id: int) -> list[PaidLine]:
    """The order's lines with their products' category and brand, in one query."""
    rows = session.execute(
        select(
            OrderItem.product_id,
            OrderItem.quantity,
            OrderItem.total,
            OrderItem.discount,
            Product.category,
            Product.brand,
        )
        .join(Product, Product.id == OrderItem.product_id)
        .where(OrderItem.order_id == order_id)
        .order_by(OrderItem.id)
    ).all()
    return [
        PaidLine(
            product_id=row.product_id,
            quantity=row.quantity,
            amount=row.total,
            discounted=row.discount > 0,
            category=row.category,
            brand=row.brand,
        )
        for row in rows
    ]


def purchase_fields(event: OrderStatusChanged, line: PaidLine) -> dict[str, Any]:
    """The recorder's arguments for one paid line (empty category or brand left out)."""
    labels = {"category": line.category, "brand": line.brand}
    return {
        "user": event.buyer_id,
        "room_id": event.room_id,
        "product_id": line.product_id,
        "amount": line.amount,
        "order_id": event.order_id,
        "quantity": line.quantity,
        "coupon": line.discounted,
        "flash_sale": event.flash_sale_id is not None,
        **{name: value for name, value in labels.items() if value},
    }


def sender_id(session: Session, *, username: str) -> int | None:
    """The gift notice names its sender for the room to show; the id is looked up."""
    return session.scalar(select(User.id).where(User.username == username))


class RecordPlatformSales:
    """Subscribed (by ``liveshop.wiring``) to OrderStatusChanged (``on_order_status``:
    paid orders) and RoomNotice (``on_room_notice``: gifts); feeds ``recorder`` on
    ``loop``.

    The database reads run on one worker thread of this subscriber's own, in order:
    never on the event loop, and never on the committing thread, which still holds
    its pooled connection (a burst of purchases would otherwise wait on the pool for
    a second connection each).
    """

    def __init__(
        self, recorder: EventRecorder, *, database_url: str, loop: asyncio.AbstractEventLoop
    ) -> None:
        self.recorder = recorder
        self.database_url = database_url
        self.loop = loop
        self._worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="sales-events")

    def close(self) -> None:
        """Finish what was handed over (blocks: call off the loop, before the recorder
        stops, so its last flush has every sale)."""
        self._worker.shutdown(wait=True)

    def drain(self) -> None:
        """Wait until every event handed over so far has reached the recorder's loop."""
        self._worker.submit(lambda: None).result()

    def on_order_status(self, event: OrderStatusChanged) -> None:
        if event.status == OrderStatus.PAID.value:
            self._worker.submit(self._logged, self._record_order, event)

    def on_room_notice(self, notice: RoomNotice) -> None:
        if notice.topic == GIFT_TOPIC and notice.payload is not None:
            self._worker.submit(self._logged, self._record_gift, notice, notice.payload)

    def _record_order(self, event: OrderStatusChanged) -> None:
        with unit_of_work(self.database_url, writes=False) as session:
            lines = paid_lines(session, order_id=event.order_id)
        for line in lines:
            self._record_soon(EventType.PURCHASE, purchase_fields(event, line))

    def _record_gift(self, notice: RoomNotice, payload: dict[str, Any]) -> None:
        with unit_of_work(self.database_url, writes=False) as session:
            user = sender_id(session, username=str(payload["user"]))
        if user is None:
            logger.warning("gift %s: no user named as its sender", payload.get("id"))
            return
        self._record_soon(
            EventType.GIFT,
            {
                "user": user,
                "room_id": notice.room_id,
                "gift": payload["gift"],
                "quantity": payload["count"],
                "coins": payload["coins"],
            },
        )

    def _record_soon(self, event_type: EventType, fields: dict[str, Any]) -> None:
        if not self.loop.is_closed():
            self.loop.call_soon_threadsafe(
                functools.partial(self.recorder.record, event_type, **fields)
            )

    @staticmethod
    def _logged(work: Callable[..., None], *arguments: Any) -> None:
        try:
            work(*arguments)
        except Exception:
            logger.exception("recording a sale in the behaviour log failed")

"""The platform's sales in the behaviour log: paid orders and gifts become events.

Orders and payments sit below analytics and may not call it; they publish domain
events after commit, and this subscriber turns them into what the reports read
(``analytics.reports.common``): one ``purchase`` event per line of a paid order
(``OrderPaid``), its ``amount`` the line's paid total after discounts (the order's
pricing spreads each discount over the lines exactly, so the lines add up to what
the buyer paid for goods), and one ``gift`` event per gift send (``GiftSent``), with
its cost in ``coins``. Buyers and senders are recorded under the recorder's
pseudonymous ids only.

The events carry every fact recorded, so this subscriber never reads the database.
Refunds are not recorded: no report reads them yet.

Handlers run on the thread that committed; they hand the fields to the recorder on
its event loop (the recorder is not thread-safe).
"""

from __future__ import annotations

import asyncio
import functools
from typing import Any

from liveshop.events.recorder import EventRecorder, EventType
from liveshop.orders.events import OrderPaid, PaidLine
from liveshop.payments.gifts import GiftSent


def purchase_fields(event: OrderPaid, line: PaidLine) -> dict[str, Any]:
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


def gift_fields(event: GiftSent) -> dict[str, Any]:
    """The recorder's arguments for one gift send."""
    return {
        "user": event.sender_id,
        "room_id": event.room_id,
        "gift": event.gift,
        "quantity": event.count,
        "coins": event.coins,
    }


class RecordPlatformSales:
    """Subscribed (by ``liveshop.wiring``) to OrderPaid (``on_order_paid``) and
    GiftSent (``on_gift_sent``); feeds ``recorder`` on ``loop``, in the order the
    events were published, without a database."""

    def __init__(self, recorder: EventRecorder, *, loop: asyncio.AbstractEventLoop) -> None:
        self.recorder = recorder
        self.loop = loop
        self._open = True

    def close(self) -> None:
        """Stop handing events over (call before the recorder stops; what was handed
        over already is queued on the loop ahead of the recorder's last flush)."""
        self._open = False

    def drain(self) -> None:
        """Wait until the loop has recorded every event handed over so far (call from
        another thread than the loop's)."""
        if self.loop.is_running():
            asyncio.run_coroutine_threadsafe(asyncio.sleep(0), self.loop).result()

    def on_order_paid(self, event: OrderPaid) -> None:
        for line in event.lines:
            self._record_soon(EventType.PURCHASE, purchase_fields(event, line))

    def on_gift_sent(self, event: GiftSent) -> None:
        self._record_soon(EventType.GIFT, gift_fields(event))

    def _record_soon(self, event_type: EventType, fields: dict[str, Any]) -> None:
        if self._open and not self.loop.is_closed():
            self.loop.call_soon_threadsafe(
                functools.partial(self.recorder.record, event_type, **fields)
            )

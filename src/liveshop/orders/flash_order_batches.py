"""Flash-sale winners' orders (Redis engine), written many to a transaction.

Redis decides who won; what is left is writing the winners' orders. One by one,
each took about fifteen statements and 10 ms of the worker's CPU (profiled
under ``benchmarks/flash_sale.py``), so 300 winners cost more than the 10,000
sold-out answers around them. Here the winners that arrive while a batch is
being written wait for the next batch, and a batch is one transaction of a few
multi-row statements. A batch that fails (another writer, such as claims
recovery, placed one of its orders first) is written again one order at a time,
as before, so one claim never fails the others.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from liveshop.accounts.models import User
from liveshop.core.batching import BatchedCalls
from liveshop.core.bus import call_after_commit, publish_after_commit
from liveshop.core.clock import utcnow
from liveshop.core.db import unit_of_work
from liveshop.core.errors import Conflict
from liveshop.orders import service as orders
from liveshop.orders.addresses import default_address_snapshots
from liveshop.orders.models import Order, OrderItem, OrderOrigin, OrderStatus, OrderTransition
from liveshop.orders.schemas import OrderIn, OrderItemIn, OrderOut
from liveshop.promotions.flash_sales import SaleTerms
from liveshop.promotions.models import FlashSaleAdmission
from liveshop.promotions.pricing import PriceBreakdown, price_lines
from liveshop.promotions.stock_engines import Claim, RedisStockEngine, mirror_sold

MAX_BATCH = 200


class AttemptInProgress(Conflict):
    code = "attempt_in_progress"


@dataclass(frozen=True)
class Win:
    """A claimed unit whose order is still to be written."""

    buyer: User
    terms: SaleTerms
    quantity: int
    attempt_key: str
    claim: Claim
    payment_minutes: int


def order_key(sale_id: int, attempt_key: str) -> str:
    return f"flash-{sale_id}-{attempt_key}"


def order_body(terms: SaleTerms, quantity: int) -> OrderIn:
    """The order a flash-sale attempt places (its fingerprint must match every writer's)."""
    return OrderIn(
        items=[OrderItemIn(sku_id=terms.sku_id, quantity=quantity)], room_id=terms.room_id
    )


def write_orders(session: Session, wins: Sequence[Win]) -> list[OrderOut]:
    """The orders, admissions and mirrored ``sold`` of one sale's wins, in the caller's
    transaction. Raises IntegrityError when one of the orders exists already."""
    terms = wins[0].terms
    room_id, host_id = orders.room_and_host(session, room_id=terms.room_id)
    addresses = default_address_snapshots(session, user_ids=[win.buyer.id for win in wins])
    now = utcnow()
    breakdowns: dict[int, PriceBreakdown] = {}
    order_rows, outs = [], []
    for win in wins:
        breakdown = breakdowns.get(win.quantity) or _breakdown(session, terms, win.quantity)
        breakdowns[win.quantity] = breakdown
        order_rows.append(
            {
                "buyer_id": win.buyer.id,
                "shop_id": terms.shop_id,
                "room_id": room_id,
                "host_id": host_id,
                "flash_sale_id": terms.id,
                "origin": OrderOrigin.FLASH_SALE,
                "status": OrderStatus.PENDING_PAYMENT,
                "currency": breakdown.currency,
                "items_total": breakdown.items_total,
                "discount_total": breakdown.discount_total,
                "shipping_fee": breakdown.shipping_fee,
                "total": breakdown.total,
                "pricing": breakdown.model_dump(mode="json"),
                "idempotency_key": order_key(terms.id, win.attempt_key),
                "request_fingerprint": orders.request_fingerprint(
                    order_body(terms, win.quantity).model_dump(mode="json")
                ),
                "address": addresses.get(win.buyer.id),
                "expires_at": now + timedelta(minutes=win.payment_minutes),
                "created_at": now,
                "updated_at": now,
            }
        )
    # Matched back by key: SQLite returns multi-row RETURNING in no promised order, and
    # asking SQLAlchemy to sort it makes it send one INSERT per row.
    inserted = session.execute(
        insert(Order).returning(Order.idempotency_key, Order.id), order_rows
    ).tuples()
    id_by_key = dict(inserted.all())
    order_ids = [id_by_key[order_key(terms.id, win.attempt_key)] for win in wins]
    item_rows, transition_rows, admission_rows = [], [], []
    for win, order_id, row in zip(wins, order_ids, order_rows, strict=True):
        items = [_item_row(order_id, line) for line in breakdowns[win.quantity].lines]
        transition = {
            "order_id": order_id,
            "from_status": None,
            "to_status": OrderStatus.PENDING_PAYMENT.value,
            "actor_id": win.buyer.id,
            "note": "placed",
            "at": now,
        }
        item_rows += items
        transition_rows.append(transition)
        admission_rows.append(
            {
                "sale_id": terms.id,
                "user_id": win.buyer.id,
                "attempt_key": win.attempt_key,
                "quantity": win.quantity,
                "order_id": order_id,
                "admitted_at": now,
            }
        )
        outs.append(
            orders.order_out_of(
                Order(id=order_id, **row),
                [OrderItem(**item) for item in items],
                [OrderTransition(**transition)],
            )
        )
    session.execute(insert(OrderItem), item_rows)
    session.execute(insert(OrderTransition), transition_rows)
    session.execute(insert(FlashSaleAdmission), admission_rows)
    mirror_sold(session, sale_id=terms.id, change=sum(win.quantity for win in wins))
    publish_after_commit(session, terms.notice(min(win.claim.remaining for win in wins)))
    return outs


def _breakdown(session: Session, terms: SaleTerms, quantity: int) -> PriceBreakdown:
    lines, _shop_id, currency = orders.priced_lines(
        session, order_body(terms, quantity).items, terms.price
    )
    return price_lines(lines, currency=currency, discounts=[])


def _item_row(order_id: int, line: Any) -> dict[str, Any]:
    return {
        "order_id": order_id,
        "sku_id": line.sku_id,
        "product_id": line.product_id,
        "title": line.title,
        "unit_price": line.unit_price,
        "quantity": line.quantity,
        "discount": line.discount,
        "total": line.total,
    }


class ClaimedOrderWriter:
    """Writes the wins of one database in batches, from the event loop's side."""

    def __init__(self, database_url: str, engine: RedisStockEngine) -> None:
        self.database_url = database_url
        self.engine = engine
        self.calls: BatchedCalls[Win, OrderOut] = BatchedCalls(self._write, max_batch=MAX_BATCH)

    async def order_for(self, win: Win) -> OrderOut:
        return await self.calls.call(win)

    def _write(self, wins: list[Win]) -> list[OrderOut | Exception]:
        by_sale: dict[int, list[int]] = {}
        for index, win in enumerate(wins):
            by_sale.setdefault(win.terms.id, []).append(index)
        results: list[OrderOut | Exception] = [RuntimeError("not written")] * len(wins)
        for indexes in by_sale.values():
            sale_wins = [wins[index] for index in indexes]
            for index, result in zip(indexes, self._write_sale(sale_wins), strict=True):
                results[index] = result
        return results

    def _write_sale(self, wins: list[Win]) -> list[OrderOut | Exception]:
        try:
            return list(self._commit(wins))
        except Exception:
            return [self._write_one(win) for win in wins]

    def _write_one(self, win: Win) -> OrderOut | Exception:
        try:
            return self._commit([win])[0]
        except IntegrityError:
            # Another writer (claims recovery, a retry) placed this attempt's order first.
            return AttemptInProgress("this attempt was already processed; retry to get its order")
        except Exception as error:
            return error

    def _commit(self, wins: list[Win]) -> list[OrderOut]:
        with unit_of_work(self.database_url) as session:
            outs = write_orders(session, wins)
            entries = [win.claim.stream_entry for win in wins if win.claim.stream_entry]
            if entries:
                call_after_commit(session, lambda: self.engine.acknowledge(*entries))
        return outs


_writers: dict[tuple[asyncio.AbstractEventLoop, str], ClaimedOrderWriter] = {}


def writer_for(database_url: str, engine: RedisStockEngine) -> ClaimedOrderWriter:
    key = (asyncio.get_running_loop(), database_url)
    writer = _writers.get(key)
    if writer is None:
        for stale in [known for known in _writers if known[0].is_closed()]:
            del _writers[stale]
        writer = _writers[key] = ClaimedOrderWriter(database_url, engine)
    return writer

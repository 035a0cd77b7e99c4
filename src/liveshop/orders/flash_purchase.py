"""Buying in a flash sale: claim a unit from promotions, then place the order.

A sold-out or not-yet-open sale is answered from memory, without the database.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from liveshop.accounts.models import User
from liveshop.core.bus import call_after_commit, publish_after_commit
from liveshop.core.errors import Conflict
from liveshop.orders import service as orders
from liveshop.orders.models import Order
from liveshop.orders.schemas import OrderIn, OrderItemIn
from liveshop.promotions import flash_sales
from liveshop.promotions.flash_sales import PurchaseLimitReached, SaleTerms, SoldOut
from liveshop.promotions.stock_engines import ClaimOutcome, RedisStockEngine, StockEngine


class AttemptInProgress(Conflict):
    code = "attempt_in_progress"


def order_key(sale_id: int, attempt_key: str) -> str:
    return f"flash-{sale_id}-{attempt_key}"


def buy_flash_sale(
    session: Session,
    *,
    buyer: User,
    sale_id: int,
    quantity: int,
    attempt_key: str,
    engine: StockEngine,
    payment_minutes: int,
    may_be_retry: bool = True,
) -> tuple[Order, bool]:
    """Claim ``quantity`` units and place their order; (order, created).

    Retrying with the same attempt key returns the first order and claims nothing,
    also after the sale sold out. An attempt that cannot be a retry (the client
    sent no key of its own) is refused from memory once the sale is sold out.
    """
    terms = flash_sales.sale_terms(session, sale_id=sale_id)
    flash_sales.check_open(terms)
    sold_out = engine.known_sold_out(sale_id)
    if sold_out and not may_be_retry:
        raise SoldOut("sold out")
    existing = find_attempt_order(session, buyer_id=buyer.id, sale_id=sale_id, key=attempt_key)
    if existing is not None:
        return existing, False
    if sold_out:
        if engine.was_claimed(sale_id, buyer.id, attempt_key):
            raise AttemptInProgress("this attempt holds a unit; its order is on its way")
        raise SoldOut("sold out")
    sale = flash_sales.get_sale(session, sale_id=sale_id)
    claim = engine.claim(
        session, sale=sale, user_id=buyer.id, quantity=quantity, attempt_key=attempt_key
    )
    if claim.outcome is ClaimOutcome.SOLD_OUT:
        raise SoldOut("sold out")
    if claim.outcome is ClaimOutcome.OVER_LIMIT:
        raise PurchaseLimitReached(f"at most {sale.per_user_limit} per buyer in this sale")
    if claim.outcome is ClaimOutcome.DUPLICATE:
        # Claimed before, but its order is not written yet: the first request is
        # still running, or died and the claims stream will write the order.
        raise AttemptInProgress("this attempt is being processed; retry in a moment")
    publish_after_commit(session, terms.notice(claim.remaining))
    if claim.stream_entry is not None:
        entry = claim.stream_entry
        call_after_commit(session, lambda: _acknowledge(engine, entry))
    return place_claimed_order(
        session,
        buyer=buyer,
        terms=terms,
        quantity=quantity,
        attempt_key=attempt_key,
        payment_minutes=payment_minutes,
    ), True


def place_claimed_order(
    session: Session,
    *,
    buyer: User,
    terms: SaleTerms,
    quantity: int,
    attempt_key: str,
    payment_minutes: int,
) -> Order:
    order, created = orders.place_order(
        session,
        buyer=buyer,
        body=OrderIn(
            items=[OrderItemIn(sku_id=terms.sku_id, quantity=quantity)], room_id=terms.room_id
        ),
        idempotency_key=order_key(terms.id, attempt_key),
        payment_minutes=payment_minutes,
        flash_sale_id=terms.id,
        unit_price_override=terms.price,
    )
    if not created:
        # Another writer placed it first; undo this transaction's claim bookkeeping.
        raise AttemptInProgress("this attempt was already processed; retry to get its order")
    flash_sales.record_admission(
        session,
        sale_id=terms.id,
        user_id=buyer.id,
        attempt_key=attempt_key,
        quantity=quantity,
        order_id=order.id,
    )
    return order


def find_attempt_order(session: Session, *, buyer_id: int, sale_id: int, key: str) -> Order | None:
    return session.scalars(
        select(Order).where(
            Order.buyer_id == buyer_id, Order.idempotency_key == order_key(sale_id, key)
        )
    ).first()


def _acknowledge(engine: StockEngine, entry: str) -> None:
    if isinstance(engine, RedisStockEngine):
        engine.acknowledge(entry)

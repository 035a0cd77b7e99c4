"""Orders held by the risk engine for an analyst's review (``Order.risk_hold``).

A placed order the engine answers REVIEW is kept but held (``risk_requests``
sets the hold in the order's transaction): payments refuse it
until the analyst's decision. The risk domain, which owns the review cases, calls
these when a case on an order is decided: cleared, the order may be paid; abuse
confirmed, an unpaid order is cancelled and its stock returned as any cancellation
returns it. A held order does not expire while it waits (the analyst decides);
released, it gets its payment time again.

An appeal may put a confirmed case back in front of an analyst; cleared then, the
order the review had cancelled is reopened for payment with a fresh window when
its units can be taken again (``restore_refused_order``), and the buyer is told
either way (``RefusedOrderReconsidered``).
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from liveshop.catalog.service import InsufficientStock
from liveshop.core.bus import publish_after_commit
from liveshop.core.clock import as_utc, utcnow
from liveshop.core.errors import Conflict
from liveshop.orders.events import RefusedOrderReconsidered
from liveshop.orders.models import Order, OrderStatus, OrderTransition
from liveshop.orders.service import IllegalTransition, transition
from liveshop.promotions.stock_engines import StockEngine

REFUSED_NOTE = "refused by the risk review"
# Why an order cleared on appeal stays cancelled, as a code the buyer's notice words
# (notifications.words); any other refusal is "order_changed".
NOT_RESTORED = frozenset(
    {"insufficient_stock", "order_not_reopenable", "auction_order_not_reopenable"}
)


class OrderHeldForReview(Conflict):
    code = "order_held_for_review"


def require_not_held(order: Order) -> None:
    """Payments ask before charging: a held order waits for the analyst (409)."""
    if order.risk_hold:
        raise OrderHeldForReview(
            "this order is held for a security review; it can be paid once the review releases it"
        )


def release_hold(session: Session, *, order_id: int) -> None:
    """The buyer gets the order's whole payment time again, counted from now."""
    order = session.get(Order, order_id)
    if order is None:
        return
    order.risk_hold = False
    if order.status is OrderStatus.PENDING_PAYMENT and order.expires_at is not None:
        order.expires_at = utcnow() + (as_utc(order.expires_at) - as_utc(order.created_at))
    session.flush()


def cancel_rejected_order(
    session: Session, *, order_id: int, analyst_id: int, engine: StockEngine
) -> None:
    """The review found abuse: an unpaid held order is cancelled (the hold stays)."""
    order = session.get(Order, order_id)
    if order is None or order.status is not OrderStatus.PENDING_PAYMENT:
        return
    transition(
        session,
        order=order,
        to=OrderStatus.CANCELLED,
        actor_id=analyst_id,
        note=REFUSED_NOTE,
        engine=engine,
        expires_at=None,
    )


def _cancelled_by_the_review(session: Session, order: Order) -> bool:
    """The order's last move was the review's cancellation (not the buyer's, nor an
    expiry before the hold)."""
    last = session.scalars(
        select(OrderTransition)
        .where(OrderTransition.order_id == order.id)
        .order_by(OrderTransition.id.desc())
        .limit(1)
    ).first()
    return (
        order.status is OrderStatus.CANCELLED
        and last is not None
        and last.to_status == OrderStatus.CANCELLED.value
        and last.note == REFUSED_NOTE
    )


def restore_refused_order(
    session: Session, *, order_id: int, analyst_id: int, payment_minutes: int
) -> bool | None:
    """The review cleared on appeal an order it had cancelled: back to pending payment
    with ``payment_minutes`` from now if its units can be taken again (True), else it
    stays cancelled (False); None when the order is not one the review cancelled.
    The buyer is told after commit either way."""
    order = session.get(Order, order_id)
    if order is None or not _cancelled_by_the_review(session, order):
        return None
    reason = ""
    try:
        with session.begin_nested():
            transition(
                session,
                order=order,
                to=OrderStatus.PENDING_PAYMENT,
                actor_id=analyst_id,
                note="cleared on appeal by the risk review",
                expires_at=utcnow() + timedelta(minutes=payment_minutes),
                risk_hold=False,
            )
    except (InsufficientStock, IllegalTransition) as error:
        session.refresh(order)
        reason = error.code if error.code in NOT_RESTORED else "order_changed"
    restored = not reason
    publish_after_commit(
        session,
        RefusedOrderReconsidered(
            order_id=order.id, buyer_id=order.buyer_id, restored=restored, reason=reason
        ),
    )
    return restored

"""Orders held by the risk engine for an analyst's review (``Order.risk_hold``).

A placed order the engine answers REVIEW is kept but held (``risk_requests``
sets the hold in the order's transaction): payments refuse it
until the analyst's decision. The risk domain, which owns the review cases, calls
these when a case on an order is decided: cleared, the order may be paid; abuse
confirmed, an unpaid order is cancelled and its stock returned as any cancellation
returns it. A held order does not expire while it waits (the analyst decides);
released, it gets its payment time again.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from liveshop.core.clock import as_utc, utcnow
from liveshop.core.errors import Conflict
from liveshop.orders.models import Order, OrderStatus
from liveshop.orders.service import transition
from liveshop.promotions.stock_engines import StockEngine


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
        note="refused by the risk review",
        engine=engine,
        expires_at=None,
    )

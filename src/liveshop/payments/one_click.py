"""One click in the room: place the pinned product's order and pay it with the
buyer's default card, in one unit of work."""

from __future__ import annotations

from sqlalchemy.orm import Session

from liveshop.accounts.models import User
from liveshop.core.errors import Conflict
from liveshop.orders.models import Order
from liveshop.orders.room_buying import buy_now
from liveshop.orders.schemas import BuyNowIn
from liveshop.payments import access, charges, methods
from liveshop.payments.charges import MethodChoice, PaymentContext
from liveshop.payments.models import MethodKind, Payment


def buy_and_pay(
    session: Session,
    *,
    buyer: User,
    room_id: int,
    body: BuyNowIn,
    idempotency_key: str,
    payment_minutes: int,
    context: PaymentContext,
) -> tuple[Order, Payment]:
    """The same key again returns the same order and payment (a retried click)."""
    access.require_money_mover(buyer)
    saved = methods.list_payment_methods(session, user=buyer)
    if not saved:
        raise Conflict("add a card first: one click pays with the default card", code="no_card")
    order, _created = buy_now(
        session,
        buyer=buyer,
        room_id=room_id,
        body=body,
        idempotency_key=idempotency_key,
        payment_minutes=payment_minutes,
    )
    payment = charges.pay_order(
        session,
        buyer=buyer,
        order_id=order.id,
        method=MethodChoice(MethodKind.CARD, saved[0].id),  # the default comes first
        idempotency_key=f"one-click:{idempotency_key}"[:100],
        context=context,
    )
    return order, payment

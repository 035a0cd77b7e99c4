"""Money back through the gateway: approved after-sales, and late successes.

Refunds go only to the original method, never exceed what was captured, and
are idempotent on their reason (an after-sale, or a late payment).
"""

from __future__ import annotations

import logging

from sqlalchemy import select
from sqlalchemy.orm import Session

from liveshop.core.errors import Conflict
from liveshop.orders import service as orders
from liveshop.payments.gateway import Gateway
from liveshop.payments.models import GatewayRefund, MethodKind, Payment, PaymentStatus
from liveshop.payments.order_ledger import record_refund

logger = logging.getLogger(__name__)


def refund_late_payment(
    session: Session, *, payment: Payment, gateway: Gateway, paid_elsewhere: bool
) -> None:
    """Money arrived for an order that expired (or was paid by another payment)."""
    assert payment.gateway_reference is not None  # a success carries its reference
    key = f"late-payment-{payment.id}"
    result = gateway.refund(
        reference=payment.gateway_reference, amount=payment.amount, idempotency_key=key
    )
    session.add(
        GatewayRefund(
            payment_id=payment.id,
            reason_key=key,
            amount=payment.amount,
            gateway_reference=result.reference,
        )
    )
    payment.status = PaymentStatus.REFUNDED
    logger.warning(
        "payment %s succeeded for order %s that was %s; refunded",
        payment.id,
        payment.order_id,
        "paid already" if paid_elsewhere else "cancelled",
    )


def refund_after_sale(
    session: Session, *, after_sale_id: int, order_id: int, amount: int, gateway: Gateway
) -> GatewayRefund | None:
    """Send an approved after-sale's money back to the original method, once, and book it:
    through the gateway for a card or third-party wallet, in the ledger for the wallet."""
    key = f"after-sale-{after_sale_id}"
    done = session.scalars(select(GatewayRefund).where(GatewayRefund.reason_key == key)).first()
    if done is not None:
        return done
    payment = session.scalars(
        select(Payment).where(
            Payment.order_id == order_id, Payment.status == PaymentStatus.SUCCEEDED
        )
    ).first()
    if payment is None:
        return None  # nothing was paid (a prize)
    order = orders.get_order(session, order_id=order_id)
    if payment.method_kind is MethodKind.WALLET:
        record_refund(session, order=order, amount=amount, after_sale_id=after_sale_id)
        return None
    assert payment.gateway_reference is not None  # a gateway success carries its reference
    refunded = sum(
        refund.amount
        for refund in session.scalars(
            select(GatewayRefund).where(GatewayRefund.payment_id == payment.id)
        )
    )
    if refunded + amount > payment.amount:
        raise Conflict("refunds may not exceed what was captured", code="refund_exceeds_capture")
    result = gateway.refund(reference=payment.gateway_reference, amount=amount, idempotency_key=key)
    refund = GatewayRefund(
        payment_id=payment.id, reason_key=key, amount=amount, gateway_reference=result.reference
    )
    session.add(refund)
    record_refund(session, order=order, amount=amount, after_sale_id=after_sale_id)
    session.flush()
    return refund

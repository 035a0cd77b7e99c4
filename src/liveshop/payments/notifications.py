"""Gateway notifications (webhooks): verified, taken in once, applied once."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from liveshop.payments.charges import PaymentContext, succeed
from liveshop.payments.gateway import WebhookEvent
from liveshop.payments.models import Payment, PaymentStatus, WebhookReceipt

# A timed-out card charge, or a third-party wallet payment the buyer was sent to.
AWAITING_OUTCOME = (PaymentStatus.PENDING, PaymentStatus.REQUIRES_ACTION)


def handle_notification(
    session: Session, *, headers: dict[str, str], body: bytes, context: PaymentContext
) -> str:
    """Verify and apply a gateway notification; a repeated event changes nothing."""
    event = context.gateway.verify_webhook(headers=headers, body=body)
    try:
        with session.begin_nested():
            session.add(
                WebhookReceipt(
                    gateway=context.gateway.name, event_id=event.event_id, kind=event.kind
                )
            )
            session.flush()
    except IntegrityError:
        return "duplicate"
    payment = _payment_for(session, event)
    if payment is None:
        return "unknown_payment"
    if event.kind == "payment.succeeded":
        payment.gateway_reference = payment.gateway_reference or event.reference
        succeed(session, payment=payment, context=context)
    elif event.kind == "payment.failed" and payment.status in AWAITING_OUTCOME:
        payment.status = PaymentStatus.FAILED
        payment.decline_code = str(event.data.get("decline_code") or "declined")
    session.flush()
    return "applied"


def _payment_for(session: Session, event: WebhookEvent) -> Payment | None:
    """The payment, locked: a notification that arrives while the charge's own
    transaction is still open waits for it, then sees what it decided."""
    if event.payment_id is not None:
        query = select(Payment).where(Payment.id == event.payment_id)
    else:
        query = select(Payment).where(Payment.gateway_reference == event.reference).limit(1)
    return session.scalars(
        query.with_for_update().execution_options(populate_existing=True)
    ).first()

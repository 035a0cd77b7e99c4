"""Paying an order through the gateway, its challenge, its notifications, its refunds.

A payment is idempotent on the buyer's key; an order is paid once whatever
arrives (a synchronous success, a notification delivered a hundred times, a
late success for an order that expired meanwhile, which is refunded).
"""

from __future__ import annotations

import hashlib
import hmac
import logging
from dataclasses import dataclass

import orjson
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from liveshop.accounts.models import User
from liveshop.core.errors import Conflict, NotFound, PermissionDenied
from liveshop.orders import service as orders
from liveshop.orders.models import Order, OrderStatus
from liveshop.payments import methods
from liveshop.payments.gateway import Gateway, GatewayResult, GatewayStatus, WebhookEvent
from liveshop.payments.models import GatewayRefund, Payment, PaymentStatus, WebhookReceipt
from liveshop.payments.order_ledger import FeeRates, PaymentSource, record_order_paid, record_refund
from liveshop.payments.vault import MasterKey, reveal_number

logger = logging.getLogger(__name__)

CHALLENGE_ATTEMPTS = 5  # then the challenge is void and the payment fails


@dataclass(frozen=True)
class PaymentContext:
    """What every payment use case needs from outside the database."""

    gateway: Gateway
    master: MasterKey
    rates: FeeRates
    step_up_amount: int  # 分: payments from this amount up need a second factor


def _fingerprint(order_id: int, method_id: int) -> str:
    return hashlib.sha256(orjson.dumps([order_id, method_id])).hexdigest()


def _existing(session: Session, *, buyer: User, key: str, fingerprint: str) -> Payment | None:
    payment = session.scalars(
        select(Payment).where(Payment.buyer_id == buyer.id, Payment.idempotency_key == key)
    ).first()
    if payment is not None and payment.request_fingerprint != fingerprint:
        raise Conflict(
            "this Idempotency-Key was used with another payment", code="idempotency_conflict"
        )
    return payment


def pay_order(
    session: Session,
    *,
    buyer: User,
    order_id: int,
    method_id: int,
    idempotency_key: str,
    context: PaymentContext,
) -> Payment:
    """Charge the order to a saved card. Returns the payment: succeeded, failed (with
    its decline code), requires_action (a challenge) or pending (await the notification)."""
    fingerprint = _fingerprint(order_id, method_id)
    existing = _existing(session, buyer=buyer, key=idempotency_key, fingerprint=fingerprint)
    if existing is not None:
        return existing
    order = orders.order_for(session, user=buyer, order_id=order_id)
    if order.buyer_id != buyer.id:
        raise PermissionDenied("only the buyer pays for an order", code="not_buyer")
    if order.status is not OrderStatus.PENDING_PAYMENT:
        raise Conflict(f"the order is {order.status.value}", code="order_not_payable")
    method = methods.own_method(session, user=buyer, method_id=method_id)
    payment = Payment(
        order_id=order.id,
        buyer_id=buyer.id,
        method_id=method.id,
        amount=order.total,
        currency=order.currency,
        payee_shop_id=order.shop_id,
        status=PaymentStatus.PENDING,
        gateway=context.gateway.name,
        idempotency_key=idempotency_key,
        request_fingerprint=fingerprint,
    )
    try:
        with session.begin_nested():
            session.add(payment)
            session.flush()
    except IntegrityError as error:
        raise Conflict(
            "a payment with this key is under way", code="payment_in_progress"
        ) from error
    if order.total >= context.step_up_amount:
        return _require_challenge(payment)
    return _charge(session, payment=payment, order=order, context=context, challenge_passed=False)


def _require_challenge(payment: Payment) -> Payment:
    """A one-time code from the sandbox (in production: the issuer's or TOTP)."""
    payment.status = PaymentStatus.REQUIRES_ACTION
    payment.challenge_code_hash = _code_hash(payment, sandbox_code(payment))
    return payment


def sandbox_code(payment: Payment) -> str:
    """The sandbox's one-time code, bound to the order, the amount and the payee:
    changing any of them gives another code, so an old challenge is void."""
    material = f"{payment.id}:{payment.order_id}:{payment.amount}:{payment.payee_shop_id}"
    digest = hashlib.sha256(f"sandbox-otp:{material}:{payment.created_at}".encode()).digest()
    return f"{int.from_bytes(digest[:4], 'big') % 1_000_000:06d}"


def _code_hash(payment: Payment, code: str) -> str:
    return hashlib.sha256(f"{payment.id}:{payment.amount}:{code}".encode()).hexdigest()


@dataclass(frozen=True)
class ChallengeAnswer:
    payment: Payment
    accepted: bool


def confirm_challenge(
    session: Session, *, buyer: User, payment_id: int, code: str, context: PaymentContext
) -> ChallengeAnswer:
    """Check the code; a wrong one is counted (the caller commits it), and the fifth
    wrong one fails the payment."""
    payment = session.get(Payment, payment_id)
    if payment is None or payment.buyer_id != buyer.id:
        raise NotFound(f"payment {payment_id} not found", code="payment_not_found")
    if payment.status is not PaymentStatus.REQUIRES_ACTION or payment.challenge_code_hash is None:
        raise Conflict(f"the payment is {payment.status.value}", code="no_challenge")
    order = orders.get_order(session, order_id=payment.order_id)
    if order.total != payment.amount or order.shop_id != payment.payee_shop_id:
        payment.status = PaymentStatus.FAILED
        raise Conflict("the order changed: the challenge is void", code="challenge_void")
    if not hmac.compare_digest(_code_hash(payment, code), payment.challenge_code_hash):
        payment.challenge_attempts += 1
        if payment.challenge_attempts >= CHALLENGE_ATTEMPTS:
            payment.status = PaymentStatus.FAILED
            payment.decline_code = "challenge_failed"
        session.flush()
        return ChallengeAnswer(payment, accepted=False)
    payment.challenge_code_hash = None  # once only
    charged = _charge(session, payment=payment, order=order, context=context, challenge_passed=True)
    return ChallengeAnswer(charged, accepted=True)


def _charge(
    session: Session,
    *,
    payment: Payment,
    order: Order,
    context: PaymentContext,
    challenge_passed: bool,
) -> Payment:
    method = methods.own_method(
        session, user=session.get_one(User, payment.buyer_id), method_id=payment.method_id
    )
    number = reveal_number(
        session,
        master=context.master,
        token=method.vault_token,
        actor=f"user:{payment.buyer_id}",
        reason=f"charge payment {payment.id}",
    )
    result = context.gateway.charge(
        payment_id=payment.id,
        amount=payment.amount,
        currency=payment.currency,
        card_number=number,
        cvc=None,
        challenge_passed=challenge_passed,
    )
    del number
    payment.gateway_reference = result.reference
    return _apply_result(session, payment=payment, order=order, result=result, context=context)


def _apply_result(
    session: Session,
    *,
    payment: Payment,
    order: Order,
    result: GatewayResult,
    context: PaymentContext,
) -> Payment:
    if result.status is GatewayStatus.SUCCEEDED:
        _succeed(session, payment=payment, order=order, context=context)
    elif result.status is GatewayStatus.FAILED:
        payment.status = PaymentStatus.FAILED
        payment.decline_code = result.decline_code
    elif result.status is GatewayStatus.REQUIRES_ACTION:
        _require_challenge(payment)
    else:
        payment.status = PaymentStatus.PENDING
    session.flush()
    return payment


def _succeed(session: Session, *, payment: Payment, order: Order, context: PaymentContext) -> None:
    """Mark paid and book the capture, once; a success for a dead order is refunded."""
    if payment.status is PaymentStatus.SUCCEEDED or payment.status is PaymentStatus.REFUNDED:
        return
    if order.status is not OrderStatus.PENDING_PAYMENT:
        paid_elsewhere = order.status is not OrderStatus.CANCELLED
        _refund_late(session, payment=payment, context=context, paid_elsewhere=paid_elsewhere)
        return
    payment.status = PaymentStatus.SUCCEEDED
    orders.mark_paid(session, order_id=order.id, payment_ref=f"payment:{payment.id}")
    record_order_paid(
        session, order=order, amount=payment.amount, method=PaymentSource.CARD, rates=context.rates
    )


def _refund_late(
    session: Session, *, payment: Payment, context: PaymentContext, paid_elsewhere: bool
) -> None:
    """Money arrived for an order that expired (or was paid by another payment)."""
    assert payment.gateway_reference is not None  # a success carries its reference
    key = f"late-payment-{payment.id}"
    result = context.gateway.refund(
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
    order = orders.get_order(session, order_id=payment.order_id)
    if event.kind == "payment.succeeded":
        payment.gateway_reference = payment.gateway_reference or event.reference
        _succeed(session, payment=payment, order=order, context=context)
    elif event.kind == "payment.failed" and payment.status is PaymentStatus.PENDING:
        payment.status = PaymentStatus.FAILED
        payment.decline_code = str(event.data.get("decline_code") or "declined")
    session.flush()
    return "applied"


def _payment_for(session: Session, event: WebhookEvent) -> Payment | None:
    if event.payment_id is not None:
        return session.get(Payment, event.payment_id)
    return session.scalars(
        select(Payment).where(Payment.gateway_reference == event.reference)
    ).first()


def refund_after_sale(
    session: Session, *, after_sale_id: int, order_id: int, amount: int, context: PaymentContext
) -> GatewayRefund | None:
    """Send an approved after-sale's money back to the original card, once, and book it."""
    key = f"after-sale-{after_sale_id}"
    done = session.scalars(select(GatewayRefund).where(GatewayRefund.reason_key == key)).first()
    if done is not None:
        return done
    payment = session.scalars(
        select(Payment).where(
            Payment.order_id == order_id, Payment.status == PaymentStatus.SUCCEEDED
        )
    ).first()
    if payment is None or payment.gateway_reference is None:
        return None  # not paid through the gateway (a prize, or paid another way)
    refunded = sum(
        refund.amount
        for refund in session.scalars(
            select(GatewayRefund).where(GatewayRefund.payment_id == payment.id)
        )
    )
    if refunded + amount > payment.amount:
        raise Conflict("refunds may not exceed what was captured", code="refund_exceeds_capture")
    result = context.gateway.refund(
        reference=payment.gateway_reference, amount=amount, idempotency_key=key
    )
    refund = GatewayRefund(
        payment_id=payment.id, reason_key=key, amount=amount, gateway_reference=result.reference
    )
    session.add(refund)
    record_refund(
        session,
        order=orders.get_order(session, order_id=order_id),
        amount=amount,
        after_sale_id=after_sale_id,
    )
    session.flush()
    return refund

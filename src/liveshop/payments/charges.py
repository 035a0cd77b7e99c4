"""Paying an order or a top-up: by card through the gateway, from the wallet, or
through a third-party wallet; answering the step-up challenge (set by
``challenges``); booking the success.

A payment is idempotent on the buyer's key; an order is paid once whatever
arrives (a synchronous success, a notification delivered a hundred times, a
late success for an order that expired meanwhile, which is refunded).

An order that costs nothing (coupons covered it) is paid at 0 by the ledger
alone, whatever method was chosen: no gateway, no card, no second factor.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass

import orjson
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from liveshop.accounts import totp
from liveshop.accounts.models import User
from liveshop.core.db import rows_changed
from liveshop.core.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from liveshop.core.risk import RiskDecision, assess_risk, record_risk_outcome
from liveshop.orders import risk_holds
from liveshop.orders import service as orders
from liveshop.orders.models import OrderStatus
from liveshop.payments import cash_on_delivery, challenges, methods, refunds, seamless, wallets
from liveshop.payments.gateway import Gateway, GatewayResult, GatewayStatus
from liveshop.payments.ledger import InsufficientFunds
from liveshop.payments.models import (
    PLATFORM_OWNER_ID,
    MethodKind,
    Payment,
    PaymentStatus,
    TopUp,
    TopUpKind,
)
from liveshop.payments.order_ledger import FeeRates, PaymentSource, record_order_paid
from liveshop.payments.risk_requests import counts_as_card_attempt, payment_risk_request
from liveshop.payments.step_up import step_up_reason
from liveshop.payments.vault import MasterKey, reveal_number

CHALLENGE_ATTEMPTS = 5  # then the challenge is void and the payment fails
ISSUER_STEP_UP = "card issuer asked"  # the gateway answered requires_action (3-D Secure)
NO_GATEWAY = "none"  # a payment of 0: nothing to charge
RISK_DECLINED = "risk_declined"  # the risk engine blocked it before the gateway


@dataclass(frozen=True)
class PaymentContext:
    """What every payment use case needs from outside the database."""

    gateway: Gateway
    master: MasterKey
    rates: FeeRates
    step_up_amount: int  # 分: payments from this amount up need a second factor
    secret_key: str  # checks the buyers' TOTP codes and recovery codes
    seamless_daily_max: int = 0  # 分: the cap on buyers' no-step-up daily limits (0: off)


@dataclass(frozen=True)
class MethodChoice:
    kind: MethodKind = MethodKind.CARD
    method_id: int | None = None  # a saved card, for kind card


def _fingerprint(*parts: object) -> str:
    return hashlib.sha256(orjson.dumps([str(part) for part in parts])).hexdigest()


def _existing(session: Session, *, buyer: User, key: str, fingerprint: str) -> Payment | None:
    payment = session.scalars(
        select(Payment).where(Payment.buyer_id == buyer.id, Payment.idempotency_key == key)
    ).first()
    if payment is not None and payment.request_fingerprint != fingerprint:
        raise Conflict(
            "this Idempotency-Key was used with another payment", code="idempotency_conflict"
        )
    return payment


def _gateway_name(method: MethodChoice, context: PaymentContext) -> str:
    """Who moves the money: the ledger alone, the courier, or the gateway."""
    return {MethodKind.WALLET: "wallet", MethodKind.CASH_ON_DELIVERY: "courier"}.get(
        method.kind, context.gateway.name
    )


def _insert(session: Session, payment: Payment) -> Payment:
    try:
        with session.begin_nested():
            session.add(payment)
            session.flush()
    except IntegrityError as error:
        raise Conflict(
            "a payment with this key is under way", code="payment_in_progress"
        ) from error
    return payment


def pay_order(
    session: Session,
    *,
    buyer: User,
    order_id: int,
    method: MethodChoice,
    idempotency_key: str,
    context: PaymentContext,
    device_id: str | None = None,
) -> Payment:
    """Pay an order with a saved card, the wallet or a third-party wallet. Returns the
    payment: succeeded, failed (with its decline code), requires_action (a challenge,
    or a redirect to the wallet provider) or pending (await the notification). An
    order of total 0 succeeds at once, whatever the method (see the module)."""
    fingerprint = _fingerprint("order", order_id, method.kind, method.method_id)
    existing = _existing(session, buyer=buyer, key=idempotency_key, fingerprint=fingerprint)
    if existing is not None:
        return existing
    order = orders.order_for(session, user=buyer, order_id=order_id)
    if order.buyer_id != buyer.id:
        raise PermissionDenied("only the buyer pays for an order", code="not_buyer")
    if order.status is not OrderStatus.PENDING_PAYMENT:
        raise Conflict(f"the order is {order.status.value}", code="order_not_payable")
    risk_holds.require_not_held(order)
    free = order.total == 0  # coupons covered it: nothing to charge, no method needed
    payment = Payment(
        order_id=order.id,
        buyer_id=buyer.id,
        method_kind=MethodKind.WALLET if free else method.kind,
        method_id=None if free else _checked_method(session, buyer=buyer, method=method),
        amount=order.total,
        currency=order.currency,
        payee_shop_id=order.shop_id,
        status=PaymentStatus.PENDING,
        gateway=NO_GATEWAY if free else _gateway_name(method, context),
        idempotency_key=idempotency_key,
        request_fingerprint=fingerprint,
        device_id=device_id,
    )
    if free:
        return _pay_nothing(session, payment=_insert(session, payment), context=context)
    return _proceed(session, payment=_insert(session, payment), context=context)


def _pay_nothing(session: Session, *, payment: Payment, context: PaymentContext) -> Payment:
    """Settle an order that costs nothing: booked as a wallet payment of 0 (nothing
    leaves the wallet; a refund of it goes back the same way), with no gateway
    call and no challenge."""
    succeed(session, payment=payment, context=context)
    session.flush()
    return payment


def top_up(
    session: Session,
    *,
    user: User,
    kind: TopUpKind,
    amount: int,
    method: MethodChoice,
    idempotency_key: str,
    context: PaymentContext,
    device_id: str | None = None,
) -> Payment:
    """Pay money in to the wallet or buy coins; credited when the payment succeeds."""
    fingerprint = _fingerprint("top_up", kind, amount, method.kind, method.method_id)
    existing = _existing(session, buyer=user, key=idempotency_key, fingerprint=fingerprint)
    if existing is not None:
        return existing
    wallets.check_top_up(kind=kind, amount=amount, source=method.kind)
    method_id = _checked_method(session, buyer=user, method=method)
    credit = TopUp(user_id=user.id, kind=kind, amount=amount, currency=wallets.CURRENCY)
    session.add(credit)
    session.flush()
    payment = Payment(
        top_up_id=credit.id,
        buyer_id=user.id,
        method_kind=method.kind,
        method_id=method_id,
        amount=amount,
        currency=credit.currency,
        payee_shop_id=PLATFORM_OWNER_ID,
        status=PaymentStatus.PENDING,
        gateway=_gateway_name(method, context),
        idempotency_key=idempotency_key,
        request_fingerprint=fingerprint,
        device_id=device_id,
    )
    return _proceed(session, payment=_insert(session, payment), context=context)


def _checked_method(session: Session, *, buyer: User, method: MethodChoice) -> int | None:
    if method.kind is not MethodKind.CARD:
        return None
    if method.method_id is None:
        raise InvalidInput("a card payment names a payment_method_id", code="method_required")
    return methods.own_method(session, user=buyer, method_id=method.method_id).id


def _proceed(session: Session, *, payment: Payment, context: PaymentContext) -> Payment:
    verdict = assess_risk(payment_risk_request(session, payment), session=session)
    if verdict.decision is RiskDecision.BLOCK:
        payment.status = PaymentStatus.FAILED  # never sent to the gateway
        payment.decline_code = RISK_DECLINED
        session.flush()
        return payment
    reason = step_up_reason(
        session, payment=payment, amount_threshold=context.step_up_amount, risk=verdict
    )
    if reason is not None and verdict.allowed:
        payment.seamless = seamless.may_skip_step_up(
            session, payment=payment, platform_max=context.seamless_daily_max
        )
    if reason is not None and not payment.seamless:
        return challenges.require_challenge(session, payment=payment, reason=reason)
    return _charge(session, payment=payment, context=context, challenge_passed=False)


def own_payment(session: Session, *, buyer: User, payment_id: int) -> Payment:
    """The buyer's own payment; anyone else's does not exist for them (404)."""
    payment = session.get(Payment, payment_id)
    if payment is None or payment.buyer_id != buyer.id:
        raise NotFound(f"payment {payment_id} not found", code="payment_not_found")
    return payment


def decide_wallet_payment(
    session: Session, *, buyer: User, reference: str, approve: bool, context: PaymentContext
) -> Payment:
    """The buyer approves (or cancels) a third-party wallet payment at the provider;
    the provider then notifies us, and the notification settles the payment."""
    approval = context.gateway.read_wallet_reference(reference)
    payment = own_payment(session, buyer=buyer, payment_id=approval.payment_id)
    decided = session.execute(
        update(Payment)
        .where(
            Payment.id == payment.id,
            Payment.gateway_reference == reference,
            Payment.status == PaymentStatus.REQUIRES_ACTION,
        )
        .values(status=PaymentStatus.PENDING)  # decided: the notification will settle it
        .execution_options(synchronize_session=False)
    )
    if not rows_changed(decided):
        raise Conflict(f"the payment is {payment.status.value}", code="not_awaiting_approval")
    session.refresh(payment)
    context.gateway.decide_wallet_payment(reference=reference, approve=approve)
    return payment


def confirm_challenge(
    session: Session, *, buyer: User, payment_id: int, code: str, context: PaymentContext
) -> challenges.ChallengeAnswer:
    """Check the code; a wrong one is counted (the caller commits it), and the fifth
    wrong one fails the payment."""
    payment = awaiting_challenge(session, buyer=buyer, payment_id=payment_id)
    return answer_challenge(
        session,
        payment=payment,
        context=context,
        check=lambda: challenges.check_code(
            session, payment=payment, code=code, secret_key=context.secret_key
        ),
    )


def awaiting_challenge(session: Session, *, buyer: User, payment_id: int) -> Payment:
    """The buyer's own payment, waiting for its step-up."""
    payment = own_payment(session, buyer=buyer, payment_id=payment_id)
    if payment.status is not PaymentStatus.REQUIRES_ACTION or payment.challenge_method is None:
        raise Conflict(f"the payment is {payment.status.value}", code="no_challenge")
    return payment


def answer_challenge(
    session: Session,
    *,
    payment: Payment,
    context: PaymentContext,
    check: Callable[[], totp.CheckResult],
) -> challenges.ChallengeAnswer:
    """Pass or fail the step-up of ``payment`` (awaiting it) by ``check``'s answer (a code,
    or a passkey's assertion): a changed order voids it, a failure is counted, and a
    success charges the payment."""
    if challenges.order_changed(session, payment):
        payment.status = PaymentStatus.FAILED
        payment.decline_code = "challenge_void"
        session.flush()
        return challenges.ChallengeAnswer(payment, accepted=False, void=True)
    result = check()
    if result is not totp.CheckResult.ACCEPTED:
        payment.challenge_attempts += 1
        if payment.challenge_attempts >= CHALLENGE_ATTEMPTS:
            payment.status = PaymentStatus.FAILED
            payment.decline_code = "challenge_failed"
        session.flush()
        return challenges.ChallengeAnswer(
            payment, accepted=False, locked=result is totp.CheckResult.LOCKED
        )
    payment.challenge_method = None  # once only
    payment.challenge_code_hash = None
    charged = _charge(session, payment=payment, context=context, challenge_passed=True)
    return challenges.ChallengeAnswer(charged, accepted=True)


def _charge(
    session: Session, *, payment: Payment, context: PaymentContext, challenge_passed: bool
) -> Payment:
    if payment.method_kind is MethodKind.CASH_ON_DELIVERY:
        return cash_on_delivery.confirm(session, payment=payment)
    if payment.method_kind is MethodKind.WALLET:
        return _charge_wallet(session, payment=payment, context=context)
    if payment.method_kind is MethodKind.THIRD_PARTY:
        result = context.gateway.start_wallet_payment(
            payment_id=payment.id, amount=payment.amount, currency=payment.currency
        )
        payment.gateway_reference = result.reference
        payment.status = PaymentStatus.REQUIRES_ACTION
        session.flush()
        return payment
    return _charge_card(
        session, payment=payment, context=context, challenge_passed=challenge_passed
    )


def _charge_wallet(session: Session, *, payment: Payment, context: PaymentContext) -> Payment:
    """No gateway: the ledger moves the balance, or the payment fails for want of it."""
    try:
        with session.begin_nested():
            succeed(session, payment=payment, context=context)
            session.flush()
    except InsufficientFunds:
        payment.status = PaymentStatus.FAILED
        payment.decline_code = "insufficient_funds"
        session.flush()
    return payment


def _charge_card(
    session: Session, *, payment: Payment, context: PaymentContext, challenge_passed: bool
) -> Payment:
    assert payment.method_id is not None  # a card payment names its card
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
    return _apply_result(session, payment=payment, result=result, context=context)


def _apply_result(
    session: Session, *, payment: Payment, result: GatewayResult, context: PaymentContext
) -> Payment:
    if result.status in (GatewayStatus.SUCCEEDED, GatewayStatus.FAILED) and counts_as_card_attempt(
        payment
    ):  # the engine's failure bursts (card testing) grow from these
        succeeded = result.status is GatewayStatus.SUCCEEDED
        record_risk_outcome(payment_risk_request(session, payment), succeeded=succeeded)
    if result.status is GatewayStatus.SUCCEEDED:
        succeed(session, payment=payment, context=context)
    elif result.status is GatewayStatus.FAILED:
        payment.status = PaymentStatus.FAILED
        payment.decline_code = result.decline_code
    elif result.status is GatewayStatus.REQUIRES_ACTION:
        challenges.require_challenge(session, payment=payment, reason=ISSUER_STEP_UP)
    else:
        payment.status = PaymentStatus.PENDING
    session.flush()
    return payment


def succeed(session: Session, *, payment: Payment, context: PaymentContext) -> None:
    """Mark paid and book it, once; a success for a dead order is refunded. A card
    used for this payment only leaves the vault."""
    if payment.status is PaymentStatus.SUCCEEDED or payment.status is PaymentStatus.REFUNDED:
        return
    methods.forget_single_use_card(session, method_id=payment.method_id)
    if payment.top_up_id is not None:
        credit = session.get_one(TopUp, payment.top_up_id)
        wallets.record_top_up(session, top_up=credit, source=payment.method_kind)
        payment.status = PaymentStatus.SUCCEEDED
        return
    assert payment.order_id is not None  # a payment pays an order or a top-up
    order = orders.get_order(session, order_id=payment.order_id)
    if order.status is not OrderStatus.PENDING_PAYMENT:
        paid_elsewhere = order.status is not OrderStatus.CANCELLED
        refunds.refund_late_payment(
            session, payment=payment, gateway=context.gateway, paid_elsewhere=paid_elsewhere
        )
        return
    source = (
        PaymentSource.WALLET if payment.method_kind is MethodKind.WALLET else PaymentSource.CARD
    )
    record_order_paid(
        session, order=order, amount=payment.amount, method=source, rates=context.rates
    )
    payment.status = PaymentStatus.SUCCEEDED
    orders.mark_paid(session, order_id=order.id, payment_ref=f"payment:{payment.id}")

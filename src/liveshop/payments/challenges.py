"""The step-up challenge of a payment: which second factor it asks (the buyer's
authenticator app, else the sandbox's one-time code), the code bound to the order,
its amount and payee, and checking an answer. Charging once it passes is
``charges``' part."""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass

from sqlalchemy.orm import Session

from liveshop.accounts import totp
from liveshop.orders import service as orders
from liveshop.payments.models import ChallengeMethod, Payment, PaymentStatus


def require_challenge(session: Session, *, payment: Payment, reason: str) -> Payment:
    """The buyer's authenticator app if they enrolled one, else the sandbox's code."""
    payment.status = PaymentStatus.REQUIRES_ACTION
    payment.step_up_reason = reason
    if totp.confirmed_factor(session, user_id=payment.buyer_id) is not None:
        payment.challenge_method = ChallengeMethod.TOTP
        payment.challenge_code_hash = None
    else:
        payment.challenge_method = ChallengeMethod.SANDBOX_OTP
        payment.challenge_code_hash = code_hash(payment, sandbox_code(payment))
    session.flush()
    return payment


def sandbox_code(payment: Payment) -> str:
    """The sandbox's one-time code, bound to the order, the amount and the payee:
    changing any of them gives another code, so an old challenge is void."""
    material = f"{payment.id}:{payment.order_id}:{payment.amount}:{payment.payee_shop_id}"
    digest = hashlib.sha256(f"sandbox-otp:{material}:{payment.created_at}".encode()).digest()
    return f"{int.from_bytes(digest[:4], 'big') % 1_000_000:06d}"


def code_hash(payment: Payment, code: str) -> str:
    return hashlib.sha256(f"{payment.id}:{payment.amount}:{code}".encode()).hexdigest()


@dataclass(frozen=True)
class ChallengeAnswer:
    payment: Payment
    accepted: bool
    locked: bool = False  # the buyer's second factor is locked after too many wrong codes
    void: bool = False  # the order changed since the challenge: the payment failed


def order_changed(session: Session, payment: Payment) -> bool:
    """The challenge is bound to the order, the amount and the payee: a change voids it."""
    if payment.order_id is None:
        return False  # a top-up's amount and payee never change
    order = orders.get_order(session, order_id=payment.order_id)
    return order.total != payment.amount or order.shop_id != payment.payee_shop_id


def check_code(
    session: Session, *, payment: Payment, code: str, secret_key: str
) -> totp.CheckResult:
    if payment.challenge_method is ChallengeMethod.TOTP:
        return totp.check_second_factor(
            session, user_id=payment.buyer_id, code=code, secret_key=secret_key
        )
    assert payment.challenge_code_hash is not None  # set with the sandbox challenge
    if hmac.compare_digest(code_hash(payment, code), payment.challenge_code_hash):
        return totp.CheckResult.ACCEPTED
    return totp.CheckResult.WRONG

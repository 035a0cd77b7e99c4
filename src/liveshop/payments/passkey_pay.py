"""Confirming a payment's step-up with a passkey instead of a code.

The assertion's challenge is bound to the payment (dynamic linking): it is derived
from the payment's id, its order, amount, currency and payee plus a server nonce
(``accounts.webauthn_challenges``: single use, two minutes). The binding is read
again from the payment when the assertion comes back, so an assertion made for
one payment never confirms another, and a changed amount or payee voids it. A
failed assertion counts as a wrong code.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from liveshop.accounts import passkeys, totp
from liveshop.accounts.models import User
from liveshop.accounts.webauthn_challenges import RelyingParty
from liveshop.payments.challenges import ChallengeAnswer
from liveshop.payments.charges import PaymentContext, answer_challenge, awaiting_challenge
from liveshop.payments.models import Payment


def _subject(payment: Payment) -> str:
    return f"payment:{payment.id}"


def _binding(payment: Payment) -> str:
    """What the buyer confirms: this payment, of this order, this sum, to this payee."""
    return (
        f"payment:{payment.id}:order:{payment.order_id}:top-up:{payment.top_up_id}"
        f":amount:{payment.amount}:{payment.currency}:payee:{payment.payee_shop_id}"
    )


def passkey_options(
    session: Session, *, buyer: User, payment_id: int, rp: RelyingParty, secret_key: str
) -> dict[str, Any]:
    """Options for ``navigator.credentials.get`` bound to the payment awaiting its step-up."""
    payment = awaiting_challenge(session, buyer=buyer, payment_id=payment_id)
    return passkeys.assertion_options(
        session,
        user_id=buyer.id,
        subject=_subject(payment),
        binding=_binding(payment),
        rp=rp,
        secret_key=secret_key,
    )


def confirm_with_passkey(
    session: Session,
    *,
    buyer: User,
    payment_id: int,
    credential: dict[str, Any],
    rp: RelyingParty,
    context: PaymentContext,
) -> ChallengeAnswer:
    payment = awaiting_challenge(session, buyer=buyer, payment_id=payment_id)

    def check() -> totp.CheckResult:
        signed_by = passkeys.verify_assertion(
            session,
            user_id=buyer.id,
            credential=credential,
            subject=_subject(payment),
            binding=_binding(payment),
            rp=rp,
            secret_key=context.secret_key,
        )
        return totp.CheckResult.WRONG if signed_by is None else totp.CheckResult.ACCEPTED

    return answer_challenge(session, payment=payment, context=context, check=check)

"""The step-up policy: whether a payment about to be charged needs a second factor, and why.

The first reason found wins, in this order: the amount, a device the buyer never
paid from, then the risk engine's verdict (declines, many cards, velocity and the
rest of its signals live in ``liveshop.risk``, reached through ``core.risk``; its
counts are updated as each payment is assessed, so payments made at once count
each other, where counting committed payments let a burst through).

The new-device query filters on ``buyer_id`` first, the leading column of the
payments index ``ix_payments_buyer_device``, so it reads one buyer's payments.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from liveshop.core.risk import RiskVerdict
from liveshop.payments.models import Payment, PaymentStatus


def step_up_reason(
    session: Session, *, payment: Payment, amount_threshold: int, risk: RiskVerdict
) -> str | None:
    """Why ``payment`` (inserted, not yet charged) needs a second factor; None if it
    does not. ``risk`` is the engine's verdict on it (not a block: the caller
    declined those)."""
    if payment.amount >= amount_threshold:
        return f"amount at or above {_major_units(amount_threshold)}"
    if _is_new_device(session, payment):
        return "new device"
    if not risk.allowed:
        return risk.public_reason
    return None


def _major_units(amount: int) -> str:
    """分 as yuan with two decimals (integer arithmetic: 50000 -> "500.00")."""
    return f"{amount // 100}.{amount % 100:02d}"


def _is_new_device(session: Session, payment: Payment) -> bool:
    """A device (named by the client) the buyer has never paid from asks for the second
    factor; a client that names no device is judged by the amount and the risk alone."""
    if payment.device_id is None:
        return False
    paid_from = session.scalar(
        select(Payment.id)
        .where(
            Payment.buyer_id == payment.buyer_id,
            Payment.device_id == payment.device_id,
            Payment.status == PaymentStatus.SUCCEEDED,
        )
        .limit(1)
    )
    return paid_from is None

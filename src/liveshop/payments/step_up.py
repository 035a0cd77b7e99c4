"""The step-up policy: whether a payment about to be charged needs a second factor, and why.

The first reason found wins, in this order: the amount, a device the buyer never
paid from, then risk signals read from the buyer's own payments. A risk signal is
a function of the session, the payment and the thresholds that answers a short
reason or None (``RiskSignal``); the risk domain, which payments may not import,
can add signals of the same shape later.

Every signal query filters on ``buyer_id`` first, the leading column of the
payments indexes ``ix_payments_buyer_device`` and ``(buyer_id, idempotency_key)``,
so it reads one buyer's payments, never the table.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from liveshop.core.clock import as_utc
from liveshop.core.settings import Settings
from liveshop.payments.models import MethodKind, Payment, PaymentStatus


@dataclass(frozen=True)
class RiskThresholds:
    """When a buyer's recent payments ask for a second factor. Counts include the
    payment being decided where it matches (its card, its start)."""

    failed_card_payments: int = 3  # card testing: this many failed card payments ...
    failed_minutes: int = 15  # ... in this many minutes
    distinct_cards: int = 3  # many cards: this many saved cards charged ...
    cards_hours: int = 24  # ... in this many hours
    payments_started: int = 5  # velocity: this many payments started ...
    started_minutes: int = 10  # ... in this many minutes

    @staticmethod
    def from_settings(settings: Settings) -> RiskThresholds:
        return RiskThresholds(
            failed_card_payments=settings.step_up_failed_card_payments,
            failed_minutes=settings.step_up_failed_minutes,
            distinct_cards=settings.step_up_distinct_cards,
            payments_started=settings.step_up_payments_started,
        )


RiskSignal = Callable[[Session, Payment, RiskThresholds], str | None]


def step_up_reason(
    session: Session, *, payment: Payment, amount_threshold: int, thresholds: RiskThresholds
) -> str | None:
    """Why ``payment`` (inserted, not yet charged) needs a second factor; None if it
    does not."""
    if payment.amount >= amount_threshold:
        return f"amount at or above {_major_units(amount_threshold)}"
    if _is_new_device(session, payment):
        return "new device"
    for signal in RISK_SIGNALS:
        reason = signal(session, payment, thresholds)
        if reason is not None:
            return reason
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


def _since(payment: Payment, window: timedelta) -> datetime:
    """The start of a window that ends when ``payment`` started."""
    return as_utc(payment.created_at) - window


def card_testing(session: Session, payment: Payment, thresholds: RiskThresholds) -> str | None:
    """Card payments that failed lately: stolen numbers being tried one after another.
    A wallet short of funds or a cancelled third-party approval is not a card tried."""
    failed = session.scalar(
        select(func.count(Payment.id)).where(
            Payment.buyer_id == payment.buyer_id,
            Payment.created_at >= _since(payment, timedelta(minutes=thresholds.failed_minutes)),
            Payment.method_kind == MethodKind.CARD,
            Payment.status == PaymentStatus.FAILED,
        )
    )
    if failed is None or failed < thresholds.failed_card_payments:
        return None
    return f"risk: {failed} declined payments in {thresholds.failed_minutes} minutes"


def many_cards(session: Session, payment: Payment, thresholds: RiskThresholds) -> str | None:
    """Distinct saved cards the buyer charged (tried, whatever the outcome) lately,
    this payment's card included."""
    cards = session.scalar(
        select(func.count(Payment.method_id.distinct())).where(
            Payment.buyer_id == payment.buyer_id,
            Payment.created_at >= _since(payment, timedelta(hours=thresholds.cards_hours)),
            Payment.method_kind == MethodKind.CARD,
        )
    )
    if cards is None or cards < thresholds.distinct_cards:
        return None
    return f"risk: {cards} cards in {thresholds.cards_hours} hours"


def velocity(session: Session, payment: Payment, thresholds: RiskThresholds) -> str | None:
    """Payments the buyer started lately, whatever their method and outcome, this one
    included."""
    started = session.scalar(
        select(func.count(Payment.id)).where(
            Payment.buyer_id == payment.buyer_id,
            Payment.created_at >= _since(payment, timedelta(minutes=thresholds.started_minutes)),
        )
    )
    if started is None or started < thresholds.payments_started:
        return None
    return f"risk: {started} payments in {thresholds.started_minutes} minutes"


RISK_SIGNALS: tuple[RiskSignal, ...] = (card_testing, many_cards, velocity)

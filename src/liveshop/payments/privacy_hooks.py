"""What payments hold about a person, for privacy's export and erasure.

Payments and the ledger are accounting records under legal hold and stay;
saved cards are shredded (the vault forgets the numbers), and erasure waits
while the person still has money with the platform.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from liveshop.accounts.models import User
from liveshop.payments import methods, wallets
from liveshop.payments.models import Payment, PaymentMethod
from liveshop.privacy.masking import mask_card
from liveshop.privacy.registry import DataSubject

HISTORY_LIMIT = 100_000


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None


def _saved_cards(session: Session, user_id: int) -> list[dict[str, Any]]:
    saved = session.scalars(
        select(PaymentMethod).where(PaymentMethod.user_id == user_id).order_by(PaymentMethod.id)
    ).all()
    return [
        {
            "id": method.id,
            "card": mask_card(method.brand, method.last4),
            "exp_month": method.exp_month,
            "exp_year": method.exp_year,
            "holder": method.holder,
            "is_default": method.is_default,
            "created_at": _iso(method.created_at),
            "removed_at": _iso(method.removed_at),
        }
        for method in saved
    ]


def export_payments(subject: DataSubject) -> dict[str, Any]:
    """Saved cards (masked), payments, balances and the wallet's history."""
    session, user_id = subject.session, subject.user_id
    payments = session.scalars(
        select(Payment).where(Payment.buyer_id == user_id).order_by(Payment.id)
    ).all()
    balances = wallets.balances_of(session, user_id=user_id)
    return {
        "payment_methods": _saved_cards(session, user_id),
        "payments": [
            {
                "id": payment.id,
                "order_id": payment.order_id,
                "top_up_id": payment.top_up_id,
                "method": payment.method_kind.value,
                "amount": payment.amount,
                "currency": payment.currency,
                "status": payment.status.value,
                "created_at": _iso(payment.created_at),
            }
            for payment in payments
        ],
        "balances": {
            "wallet": balances.wallet,
            "coins": balances.coins,
            "host_earnings": balances.host_earnings,
        },
        "wallet_history": [
            {
                "at": _iso(movement.at),
                "account": movement.account,
                "kind": movement.kind,
                "memo": movement.memo,
                "amount": movement.amount,
            }
            for movement in wallets.history_of(session, user_id=user_id, limit=HISTORY_LIMIT)
        ],
    }


def money_left(subject: DataSubject) -> list[str]:
    """Erasure waits while the wallet, coins or host earnings hold money."""
    balances = wallets.balances_of(subject.session, user_id=subject.user_id)
    if balances.wallet or balances.coins or balances.host_earnings:
        return ["the wallet, coins or host earnings still hold money: spend or withdraw it first"]
    return []


def shred_cards(session: Session, user_id: int) -> int:
    """Remove every saved card through payments (the vault forgets the numbers)."""
    user = session.get_one(User, user_id)
    saved = methods.list_payment_methods(session, user=user)
    for method in saved:
        methods.remove_payment_method(session, user=user, method_id=method.id)
    return len(saved)


def erase_cards(subject: DataSubject) -> dict[str, int]:
    return {"cards_shredded": shred_cards(subject.session, subject.user_id)}


def remove_cards_on_withdrawal(session: Session, user_id: int) -> None:
    """Withdrawing consent to stored cards removes the stored cards."""
    shred_cards(session, user_id)

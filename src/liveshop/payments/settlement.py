"""Settlement and payouts: shops are owed their share once the after-sales window closes.

A paid order credits the shop's ``merchant_pending``; when the order was
delivered more than the after-sales window ago and no after-sale is open, one
transaction (kind ``order_settled``, reference the order id) moves what is
left of that share (after any refunds) to ``merchant_payable``. The payouts
report reads the balances per shop and per host.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from liveshop.accounts.models import User
from liveshop.catalog.models import Shop
from liveshop.core.clock import utcnow
from liveshop.orders.after_sales import settleable_order_ids
from liveshop.orders.service import get_order
from liveshop.payments.ledger import (
    AccountKind,
    find_transaction,
    get_account,
    post_transaction,
    shop_account,
)
from liveshop.payments.models import LedgerAccount, LedgerPosting, LedgerTransaction, OwnerType
from liveshop.payments.order_ledger import ORDER_PAID, ORDER_REFUND, ORDER_SETTLED


def _pending_share(session: Session, *, order_id: int, account_id: int) -> int:
    """What the order's capture and refunds left in the shop's pending account."""
    capture = find_transaction(session, kind=ORDER_PAID, reference=str(order_id))
    if capture is None:
        return 0
    refunds = session.scalars(
        select(LedgerTransaction.id).where(
            LedgerTransaction.kind == ORDER_REFUND,
            LedgerTransaction.reference.like(f"{order_id}:%"),
        )
    ).all()
    total = session.scalar(
        select(func.coalesce(func.sum(LedgerPosting.amount), 0)).where(
            LedgerPosting.account_id == account_id,
            LedgerPosting.transaction_id.in_([capture.id, *refunds]),
        )
    )
    return int(total or 0)


def settle_order(session: Session, *, order_id: int) -> LedgerTransaction | None:
    """Move the order's remaining share to the shop's payable, once."""
    if find_transaction(session, kind=ORDER_SETTLED, reference=str(order_id)) is not None:
        return None
    order = get_order(session, order_id=order_id)
    pending = get_account(
        session, shop_account(AccountKind.MERCHANT_PENDING, order.shop_id, order.currency)
    )
    share = _pending_share(session, order_id=order_id, account_id=pending.id)
    if share == 0:
        return None  # nothing was captured (a prize) or everything was refunded
    payable = get_account(
        session, shop_account(AccountKind.MERCHANT_PAYABLE, order.shop_id, order.currency)
    )
    return post_transaction(
        session,
        kind=ORDER_SETTLED,
        reference=str(order_id),
        postings=[(pending, -share), (payable, share)],
        memo=f"order {order_id} settled after the after-sales window",
    )


def settle_due_orders(
    session: Session, *, after_sale_days: int, now: datetime | None = None
) -> int:
    """Settle every order whose after-sales window has closed; returns how many."""
    cutoff = (now or utcnow()) - timedelta(days=after_sale_days)
    settled = 0
    for order_id in settleable_order_ids(session, delivered_before=cutoff):
        if settle_order(session, order_id=order_id) is not None:
            settled += 1
    return settled


@dataclass(frozen=True)
class PayoutLine:
    owner_type: str  # shop or user (a host)
    owner_id: int
    name: str
    pending: int  # 分, shops: paid orders still inside the after-sales window
    payable: int  # 分, owed now: a shop's settled share, a host's commission and gifts
    currency: str


PAYOUT_KINDS = (
    AccountKind.MERCHANT_PENDING,
    AccountKind.MERCHANT_PAYABLE,
    AccountKind.HOST_EARNINGS,
)


def payouts_report(
    session: Session, *, owner_type: OwnerType | None = None, owner_id: int | None = None
) -> list[PayoutLine]:
    """What the platform owes each shop and host, from the ledger's balances."""
    query = select(LedgerAccount).where(LedgerAccount.kind.in_([k.value for k in PAYOUT_KINDS]))
    if owner_type is not None:
        query = query.where(LedgerAccount.owner_type == owner_type)
    if owner_id is not None:
        query = query.where(LedgerAccount.owner_id == owner_id)
    lines: dict[tuple[str, int, str], dict[str, int]] = {}
    for account in session.scalars(query.order_by(LedgerAccount.id)):
        entry = lines.setdefault(
            (account.owner_type.value, account.owner_id, account.currency),
            {"pending": 0, "payable": 0},
        )
        if account.kind == AccountKind.MERCHANT_PENDING.value:
            entry["pending"] += account.balance
        else:
            entry["payable"] += account.balance
    return [
        PayoutLine(
            owner_type=kind,
            owner_id=owner,
            name=_owner_name(session, kind, owner),
            pending=amounts["pending"],
            payable=amounts["payable"],
            currency=currency,
        )
        for (kind, owner, currency), amounts in sorted(lines.items())
    ]


def _owner_name(session: Session, owner_type: str, owner_id: int) -> str:
    if owner_type == OwnerType.SHOP.value:
        shop = session.get(Shop, owner_id)
        return shop.name if shop is not None else f"shop {owner_id}"
    user = session.get(User, owner_id)
    return user.username if user is not None else f"user {owner_id}"

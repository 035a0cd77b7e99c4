"""The ledger's self-check: the invariants that must hold whatever happened."""

from __future__ import annotations

from pydantic import BaseModel
from sqlalchemy import ColumnElement, String, and_, cast, func, select
from sqlalchemy.orm import Session

from liveshop.orders.models import Order, OrderStatus
from liveshop.payments.models import LedgerAccount, LedgerPosting, LedgerTransaction
from liveshop.payments.order_ledger import ORDER_PAID, moves_no_money

CAPTURED_STATUSES = (
    OrderStatus.PAID,
    OrderStatus.SHIPPED,
    OrderStatus.DELIVERED,
    OrderStatus.COMPLETED,
    OrderStatus.REFUNDED,
)


class Breach(BaseModel):
    check: str
    subject: str
    detail: str


class LedgerReport(BaseModel):
    transactions: int
    accounts: int
    paid_orders: int
    ok: bool
    breaches: list[Breach]


def _unbalanced(session: Session) -> list[Breach]:
    rows = session.execute(
        select(LedgerPosting.transaction_id, func.sum(LedgerPosting.amount))
        .group_by(LedgerPosting.transaction_id)
        .having(func.sum(LedgerPosting.amount) != 0)
    ).tuples()
    return [
        Breach(check="zero_sum", subject=f"transaction {tid}", detail=f"postings sum to {total}")
        for tid, total in rows
    ]


def _mixed_currencies(session: Session) -> list[Breach]:
    rows = session.execute(
        select(LedgerPosting.transaction_id)
        .join(LedgerAccount, LedgerAccount.id == LedgerPosting.account_id)
        .group_by(LedgerPosting.transaction_id)
        .having(func.count(func.distinct(LedgerAccount.currency)) > 1)
    ).scalars()
    return [
        Breach(check="one_currency", subject=f"transaction {tid}", detail="mixes currencies")
        for tid in rows
    ]


def _balances(session: Session) -> list[Breach]:
    sums = (
        select(
            LedgerPosting.account_id.label("account_id"),
            func.sum(LedgerPosting.amount).label("total"),
        )
        .group_by(LedgerPosting.account_id)
        .subquery()
    )
    derived = func.coalesce(sums.c.total, 0)
    rows = session.execute(
        select(LedgerAccount, derived).outerjoin(sums, sums.c.account_id == LedgerAccount.id)
    ).tuples()
    breaches = []
    for account, total in rows:
        owner = f"{account.owner_type.value}:{account.owner_id}"
        name = f"account {account.id} ({account.kind} {owner})"
        if account.balance != total:
            breaches.append(
                Breach(
                    check="cached_balance",
                    subject=name,
                    detail=f"cached {account.balance}, postings sum to {total}",
                )
            )
        if not account.may_go_negative and min(account.balance, total) < 0:
            breaches.append(
                Breach(check="non_negative", subject=name, detail=f"balance {total} below zero")
            )
    return breaches


def _cash_not_yet_collected() -> ColumnElement[bool]:
    """Cash-on-delivery orders on their way: captured when the courier delivers."""
    return and_(
        Order.payment_ref.like("cod:%"),
        Order.status.in_([OrderStatus.PAID, OrderStatus.SHIPPED]),
    )


def _captures(session: Session) -> tuple[int, list[Breach]]:
    captures = func.count(LedgerTransaction.id)
    rows = session.execute(
        select(Order.id, Order.status, captures)
        .outerjoin(
            LedgerTransaction,
            and_(
                LedgerTransaction.kind == ORDER_PAID,
                LedgerTransaction.reference == cast(Order.id, String),
            ),
        )
        .where(Order.status.in_(CAPTURED_STATUSES), ~_cash_not_yet_collected())
        .group_by(Order.id, Order.status)
    ).tuples()
    paid, breaches = 0, []
    for order_id, status, count in rows:
        paid += 1
        if count == 0 and moves_no_money(session, order=session.get_one(Order, order_id)):
            continue  # nothing to capture (a claimed prize)
        if count != 1:
            breaches.append(
                Breach(
                    check="order_captured",
                    subject=f"order {order_id}",
                    detail=f"{status.value} with {count} capture transactions (expected 1)",
                )
            )
    return paid, breaches


def verify_ledger(session: Session) -> LedgerReport:
    """Every transaction sums to zero in one currency; every cached balance equals
    its postings; no non-negative account is below zero; every paid order has
    exactly one capture (one that moved no money, at most one)."""
    paid, capture_breaches = _captures(session)
    breaches = [
        *_unbalanced(session),
        *_mixed_currencies(session),
        *_balances(session),
        *capture_breaches,
    ]
    return LedgerReport(
        transactions=session.scalar(select(func.count(LedgerTransaction.id))) or 0,
        accounts=session.scalar(select(func.count(LedgerAccount.id))) or 0,
        paid_orders=paid,
        ok=not breaches,
        breaches=breaches,
    )

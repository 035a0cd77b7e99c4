"""The double-entry ledger: balanced, append-only, idempotent transactions.

Every movement of money is one transaction of signed postings (integer minor
units) that sum to zero; value moves *from* the accounts posted negative *to*
those posted positive. Nothing is ever updated or deleted: a correction is a
new transaction. Balances are the sum of postings; each account also caches
its balance, updated in the same database transaction by a conditional
UPDATE, which is what keeps wallets, coins and escrow from going below zero
under any concurrency (and a CHECK constraint backs it up).
"""

from __future__ import annotations

import enum
import hashlib
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from liveshop.core.clock import utcnow
from liveshop.core.db import rows_changed
from liveshop.core.errors import Conflict, InvalidInput, NotFound
from liveshop.payments.models import (
    PLATFORM_OWNER_ID,
    LedgerAccount,
    LedgerPosting,
    LedgerTransaction,
    OwnerType,
)

MAX_AMOUNT = 10**15  # far above any real payment, far below BIGINT's 9.2e18


class AccountKind(enum.StrEnum):
    BUYER_WALLET = "buyer_wallet"  # a user's stored balance
    BUYER_COINS = "buyer_coins"  # a user's virtual coins (gifts)
    GATEWAY_CLEARING = "gateway_clearing"  # money captured through the gateway, not yet settled
    MERCHANT_PENDING = "merchant_pending"  # a shop's share of paid orders, not yet settled
    MERCHANT_PAYABLE = "merchant_payable"  # what the platform owes a shop (settled)
    HOST_EARNINGS = "host_earnings"  # what the platform owes a host (commission, gifts)
    PLATFORM_FEES = "platform_fees"  # the platform's revenue from orders
    PLATFORM_COUPON_SUBSIDY = "platform_coupon_subsidy"  # what platform coupons cost
    COD_CLEARING = "cod_clearing"  # cash the couriers collected on delivery, not yet remitted
    REFUNDS_CLEARING = "refunds_clearing"  # refunds owed to buyers' cards, not yet sent
    RED_PACKET_ESCROW = "red_packet_escrow"  # red packets sent, not yet grabbed
    COINS_ISSUED = "coins_issued"  # the platform's side of coins sold
    PLATFORM_PENALTIES = "platform_penalties"  # the platform's income from moderation's fines


# Owners' stored value and money held for others never go below zero; the
# platform's own and clearing accounts, and payables (a refund may claw back
# what was already paid out), may.
NON_NEGATIVE_KINDS = frozenset(
    {AccountKind.BUYER_WALLET, AccountKind.BUYER_COINS, AccountKind.RED_PACKET_ESCROW}
)


class UnbalancedTransaction(InvalidInput):
    code = "unbalanced_transaction"


class InsufficientFunds(Conflict):
    code = "insufficient_funds"


class LedgerReplayConflict(Conflict):
    code = "ledger_reference_conflict"


@dataclass(frozen=True)
class AccountKey:
    kind: AccountKind
    owner_type: OwnerType
    owner_id: int
    currency: str


def user_account(kind: AccountKind, user_id: int, currency: str) -> AccountKey:
    return AccountKey(kind, OwnerType.USER, user_id, currency)


def shop_account(kind: AccountKind, shop_id: int, currency: str) -> AccountKey:
    return AccountKey(kind, OwnerType.SHOP, shop_id, currency)


def platform_account(kind: AccountKind, currency: str) -> AccountKey:
    return AccountKey(kind, OwnerType.PLATFORM, PLATFORM_OWNER_ID, currency)


def get_account(session: Session, key: AccountKey) -> LedgerAccount:
    """The account for ``key``, opened on first use (safe when two open it at once)."""
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    found = _find_account(session, key)
    if found is not None:
        return found
    session.execute(
        dialect.insert(LedgerAccount)
        .values(
            kind=key.kind.value,
            owner_type=key.owner_type,
            owner_id=key.owner_id,
            currency=key.currency,
            may_go_negative=key.kind not in NON_NEGATIVE_KINDS,
            balance=0,
            created_at=utcnow(),
        )
        .on_conflict_do_nothing()
    )
    found = _find_account(session, key)
    assert found is not None  # inserted now, or by a concurrent opener
    return found


def _find_account(session: Session, key: AccountKey) -> LedgerAccount | None:
    return session.scalars(
        select(LedgerAccount).where(
            LedgerAccount.kind == key.kind.value,
            LedgerAccount.owner_type == key.owner_type,
            LedgerAccount.owner_id == key.owner_id,
            LedgerAccount.currency == key.currency,
        )
    ).first()


Posting = tuple[LedgerAccount, int]


def _digest(postings: Sequence[Posting]) -> str:
    canonical = sorted((account.id, amount) for account, amount in postings)
    return hashlib.sha256(repr(canonical).encode()).hexdigest()


def _check_postings(postings: Sequence[Posting]) -> None:
    """Balanced, in one currency. None at all is balanced too: the record that an
    order which cost nothing (a prize, a coupon that covered it) was captured."""
    if len(postings) == 1:
        raise UnbalancedTransaction("a single posting cannot balance")
    for _account, amount in postings:
        if type(amount) is not int or amount == 0 or abs(amount) > MAX_AMOUNT:
            raise InvalidInput("a posting is a non-zero integer of minor units", code="bad_amount")
    if sum(amount for _account, amount in postings) != 0:
        raise UnbalancedTransaction("the postings of a transaction must sum to zero")
    if len({account.currency for account, _amount in postings}) > 1:
        raise UnbalancedTransaction("a transaction moves one currency")


def find_transaction(session: Session, *, kind: str, reference: str) -> LedgerTransaction | None:
    return session.scalars(
        select(LedgerTransaction).where(
            LedgerTransaction.kind == kind, LedgerTransaction.reference == reference
        )
    ).first()


def _replayed(
    session: Session, *, kind: str, reference: str, digest: str
) -> LedgerTransaction | None:
    existing = find_transaction(session, kind=kind, reference=reference)
    if existing is not None and existing.digest != digest:
        raise LedgerReplayConflict(
            f"ledger transaction {kind}/{reference} exists with other postings"
        )
    return existing


def post_transaction(
    session: Session, *, kind: str, reference: str, postings: Sequence[Posting], memo: str = ""
) -> LedgerTransaction:
    """Record a balanced transaction, once per ``(kind, reference)``.

    The same postings again return the first transaction; other postings
    under the same reference are a Conflict. A non-negative account that
    would go below zero raises InsufficientFunds and nothing is written.
    """
    if not (0 < len(kind) <= 40 and 0 < len(reference) <= 100):
        raise InvalidInput("a ledger kind is 1-40 characters, a reference 1-100")
    _check_postings(postings)
    digest = _digest(postings)
    existing = _replayed(session, kind=kind, reference=reference, digest=digest)
    if existing is not None:
        return existing
    try:
        with session.begin_nested():
            transaction = LedgerTransaction(
                kind=kind, reference=reference, digest=digest, memo=memo[:300]
            )
            session.add(transaction)
            session.flush()  # a concurrent twin fails here, before any balance moves
            session.add_all(
                LedgerPosting(transaction_id=transaction.id, account_id=account.id, amount=amount)
                for account, amount in postings
            )
            _apply_balances(session, postings)
            session.flush()
    except IntegrityError:
        existing = _replayed(session, kind=kind, reference=reference, digest=digest)
        if existing is None:
            raise
        return existing
    return transaction


def _apply_balances(session: Session, postings: Sequence[Posting]) -> None:
    """Move each account's cached balance; accounts in id order, so two transactions
    touching the same accounts lock them in the same order (no deadlock)."""
    deltas: dict[int, int] = defaultdict(int)
    for account, amount in postings:
        deltas[account.id] += amount
    for account_id in sorted(deltas):
        delta = deltas[account_id]
        if delta == 0:
            continue
        moved = session.execute(
            update(LedgerAccount)
            .where(
                LedgerAccount.id == account_id,
                LedgerAccount.may_go_negative | (LedgerAccount.balance + delta >= 0),
            )
            .values(balance=LedgerAccount.balance + delta)
            .execution_options(synchronize_session=False)
        )
        if rows_changed(moved) != 1:
            raise InsufficientFunds(f"ledger account {account_id} has too little for this")
    for account, _amount in postings:
        session.expire(account, ["balance"])


def transfer(
    session: Session,
    *,
    kind: str,
    reference: str,
    source: AccountKey,
    target: AccountKey,
    amount: int,
    memo: str = "",
) -> LedgerTransaction:
    """Move ``amount`` from one account to another (a two-posting transaction)."""
    if amount <= 0:
        raise InvalidInput("a transfer moves a positive amount", code="bad_amount")
    return post_transaction(
        session,
        kind=kind,
        reference=reference,
        postings=[(get_account(session, source), -amount), (get_account(session, target), amount)],
        memo=memo,
    )


def balance_of(session: Session, key: AccountKey) -> int:
    """The balance derived from the postings (0 for an account never used)."""
    account = _find_account(session, key)
    if account is None:
        return 0
    return int(
        session.scalar(
            select(func.coalesce(func.sum(LedgerPosting.amount), 0)).where(
                LedgerPosting.account_id == account.id
            )
        )
        or 0
    )


def postings_of(session: Session, transaction: LedgerTransaction) -> list[tuple[AccountKey, int]]:
    rows = session.execute(
        select(LedgerAccount, LedgerPosting.amount)
        .join(LedgerPosting, LedgerPosting.account_id == LedgerAccount.id)
        .where(LedgerPosting.transaction_id == transaction.id)
        .order_by(LedgerPosting.id)
    ).tuples()
    return [(key_of(account), amount) for account, amount in rows]


def key_of(account: LedgerAccount) -> AccountKey:
    return AccountKey(
        AccountKind(account.kind), account.owner_type, account.owner_id, account.currency
    )


def get_transaction(session: Session, *, kind: str, reference: str) -> LedgerTransaction:
    found = find_transaction(session, kind=kind, reference=reference)
    if found is None:
        raise NotFound(f"no ledger transaction {kind}/{reference}", code="ledger_not_found")
    return found

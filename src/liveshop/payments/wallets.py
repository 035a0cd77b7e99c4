"""Wallet balances and coins: what top-ups write to the ledger, and what users see.

A top-up (kind ``top_up``, reference the top-up id) moves money in:

    source (gateway_clearing, or the buyer's wallet when buying coins)   -A
    buyer_wallet or buyer_coins                                          +A

Coins are kept in the ledger at their money value (``COIN_VALUE`` 分 each), so
every transaction stays in one currency and the ledger proves their value.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from liveshop.core.errors import InvalidInput
from liveshop.payments.ledger import (
    AccountKey,
    AccountKind,
    balance_of,
    get_account,
    platform_account,
    post_transaction,
    user_account,
)
from liveshop.payments.models import (
    LedgerAccount,
    LedgerPosting,
    LedgerTransaction,
    MethodKind,
    OwnerType,
    TopUp,
    TopUpKind,
)
from liveshop.payments.order_ledger import ORDER_PAID, ORDER_REFUND, ORDER_SETTLED

TOP_UP = "top_up"
CURRENCY = "CNY"
COIN_VALUE = 10  # 分 per coin: 1 元 buys 10 coins, as on the big platforms
MIN_TOP_UP = 100  # 分
MAX_TOP_UP = 5_000_000  # 分: 50,000 元 at once


def check_top_up(*, kind: TopUpKind, amount: int, source: MethodKind) -> None:
    if not MIN_TOP_UP <= amount <= MAX_TOP_UP:
        raise InvalidInput(
            f"a top-up is {MIN_TOP_UP} to {MAX_TOP_UP} 分", code="top_up_out_of_range"
        )
    if kind is TopUpKind.COINS and amount % COIN_VALUE:
        raise InvalidInput(f"coins are bought in steps of {COIN_VALUE} 分", code="partial_coin")
    if source is MethodKind.CASH_ON_DELIVERY:
        raise InvalidInput("a top-up cannot be paid on delivery", code="method_not_allowed")
    if source is MethodKind.WALLET and kind is TopUpKind.WALLET:
        raise InvalidInput("the wallet cannot top itself up", code="method_not_allowed")


def _credited_account(top_up: TopUp) -> AccountKey:
    kind = AccountKind.BUYER_COINS if top_up.kind is TopUpKind.COINS else AccountKind.BUYER_WALLET
    return user_account(kind, top_up.user_id, top_up.currency)


def record_top_up(session: Session, *, top_up: TopUp, source: MethodKind) -> LedgerTransaction:
    """Credit a paid top-up, once; from the wallet this raises InsufficientFunds."""
    debited = (
        user_account(AccountKind.BUYER_WALLET, top_up.user_id, top_up.currency)
        if source is MethodKind.WALLET
        else platform_account(AccountKind.GATEWAY_CLEARING, top_up.currency)
    )
    return post_transaction(
        session,
        kind=TOP_UP,
        reference=str(top_up.id),
        postings=[
            (get_account(session, debited), -top_up.amount),
            (get_account(session, _credited_account(top_up)), top_up.amount),
        ],
        memo=f"{top_up.kind.value} top-up {top_up.id} by {source.value}",
    )


@dataclass(frozen=True)
class Balances:
    wallet: int  # 分
    coins: int  # whole coins
    host_earnings: int  # 分 owed to the user as a host


def balances_of(session: Session, *, user_id: int, currency: str = CURRENCY) -> Balances:
    coins_value = balance_of(session, user_account(AccountKind.BUYER_COINS, user_id, currency))
    return Balances(
        wallet=balance_of(session, user_account(AccountKind.BUYER_WALLET, user_id, currency)),
        coins=coins_value // COIN_VALUE,
        host_earnings=balance_of(
            session, user_account(AccountKind.HOST_EARNINGS, user_id, currency)
        ),
    )


@dataclass(frozen=True)
class Movement:
    at: datetime
    account: str  # buyer_wallet, buyer_coins, host_earnings
    kind: str  # top_up, order_paid, gift, red_packet_grab ...
    memo: str  # the ledger's note, in English: for engineers and exports, not for a page
    amount: int  # 分, signed: + in, - out
    order_id: int | None = None  # the order a payment, refund or settlement is about


# The ledger's kinds whose reference starts with their order's id ("40", or "40:7" for the
# order's after-sale 7): the pages name the order in the person's language from it.
ORDER_KINDS = frozenset({ORDER_PAID, ORDER_REFUND, ORDER_SETTLED})


def _order_of(kind: str, reference: str) -> int | None:
    if kind not in ORDER_KINDS:
        return None
    head = reference.split(":", 1)[0]
    return int(head) if head.isdigit() else None


def history_of(session: Session, *, user_id: int, limit: int = 100) -> list[Movement]:
    """The user's own accounts' postings, newest first."""
    rows = session.execute(
        select(
            LedgerTransaction.created_at,
            LedgerAccount.kind,
            LedgerTransaction.kind,
            LedgerTransaction.memo,
            LedgerPosting.amount,
            LedgerTransaction.reference,
        )
        .join(LedgerPosting, LedgerPosting.transaction_id == LedgerTransaction.id)
        .join(LedgerAccount, LedgerAccount.id == LedgerPosting.account_id)
        .where(LedgerAccount.owner_type == OwnerType.USER, LedgerAccount.owner_id == user_id)
        .order_by(LedgerTransaction.id.desc(), LedgerPosting.id)
        .limit(limit)
    ).all()
    return [
        Movement(
            at=at,
            account=account,
            kind=kind,
            memo=memo,
            amount=amount,
            order_id=_order_of(kind, reference),
        )
        for at, account, kind, memo, amount, reference in rows
    ]

"""The ledger: balanced, idempotent, never below zero under concurrency; verify."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from liveshop.core.db import unit_of_work
from liveshop.core.errors import InvalidInput
from liveshop.payments import ledger
from liveshop.payments.ledger import (
    AccountKind,
    InsufficientFunds,
    LedgerReplayConflict,
    UnbalancedTransaction,
    platform_account,
    shop_account,
    user_account,
)
from liveshop.payments.models import LedgerAccount, LedgerTransaction
from liveshop.payments.verify import verify_ledger
from tests.conftest import MakeAccount

CNY = "CNY"
CLEARING = platform_account(AccountKind.GATEWAY_CLEARING, CNY)


def _top_up(session: Session, user_id: int, amount: int, reference: str) -> None:
    ledger.transfer(
        session,
        kind="wallet_top_up",
        reference=reference,
        source=CLEARING,
        target=user_account(AccountKind.BUYER_WALLET, user_id, CNY),
        amount=amount,
    )


def _count(session: Session) -> int:
    return session.scalar(select(func.count(LedgerTransaction.id))) or 0


def test_unbalanced_or_malformed_postings_are_refused(session: Session) -> None:
    wallet = ledger.get_account(session, user_account(AccountKind.BUYER_WALLET, 1, CNY))
    clearing = ledger.get_account(session, CLEARING)
    fees_usd = ledger.get_account(session, platform_account(AccountKind.PLATFORM_FEES, "USD"))
    cases = [
        [(clearing, -100), (wallet, 99)],
        [(clearing, -100)],
        [(clearing, -100), (fees_usd, 100)],
    ]
    for postings in cases:
        with pytest.raises(UnbalancedTransaction):
            ledger.post_transaction(session, kind="t", reference="r", postings=postings)
    with pytest.raises(InvalidInput):
        ledger.post_transaction(
            session,
            kind="t",
            reference="r",
            postings=[(clearing, -1.5), (wallet, 1.5)],  # type: ignore[list-item]
        )
    assert _count(session) == 0
    assert ledger.balance_of(session, CLEARING) == 0


def test_the_same_reference_posts_once_and_other_postings_conflict(session: Session) -> None:
    first = ledger.transfer(
        session,
        kind="wallet_top_up",
        reference="pay-1",
        source=CLEARING,
        target=user_account(AccountKind.BUYER_WALLET, 7, CNY),
        amount=500,
    )
    again = ledger.transfer(
        session,
        kind="wallet_top_up",
        reference="pay-1",
        source=CLEARING,
        target=user_account(AccountKind.BUYER_WALLET, 7, CNY),
        amount=500,
    )
    assert again.id == first.id
    with pytest.raises(LedgerReplayConflict):
        ledger.transfer(
            session,
            kind="wallet_top_up",
            reference="pay-1",
            source=CLEARING,
            target=user_account(AccountKind.BUYER_WALLET, 7, CNY),
            amount=600,
        )
    assert ledger.balance_of(session, user_account(AccountKind.BUYER_WALLET, 7, CNY)) == 500
    assert _count(session) == 1
    assert verify_ledger(session).ok


def test_a_wallet_never_goes_below_zero_and_a_refusal_writes_nothing(session: Session) -> None:
    _top_up(session, 3, 300, "t-1")
    with pytest.raises(InsufficientFunds):
        ledger.transfer(
            session,
            kind="spend",
            reference="s-1",
            source=user_account(AccountKind.BUYER_WALLET, 3, CNY),
            target=shop_account(AccountKind.MERCHANT_PAYABLE, 1, CNY),
            amount=301,
        )
    assert _count(session) == 1
    wallet = session.scalars(
        select(LedgerAccount).where(LedgerAccount.kind == "buyer_wallet")
    ).one()
    assert wallet.balance == 300
    assert verify_ledger(session).ok


def test_verify_lists_each_breach(session: Session) -> None:
    _top_up(session, 3, 300, "t-1")
    wallet = update(LedgerAccount).where(LedgerAccount.kind == "buyer_wallet")
    with pytest.raises(IntegrityError), session.begin_nested():
        session.execute(wallet.values(balance=-5))  # the CHECK constraint backs the code up
    session.execute(wallet.values(balance=250))
    report = verify_ledger(session)
    assert not report.ok
    assert [(b.check, b.detail) for b in report.breaches] == [
        ("cached_balance", "cached 250, postings sum to 300")
    ]


@pytest.fixture
def sqlite_or_postgres_wallet(database_url: str, make_account: MakeAccount) -> tuple[str, int]:
    buyer = make_account()
    with unit_of_work(database_url) as session:
        _top_up(session, buyer.id, 3_000, "top-up-1")
    return database_url, buyer.id


SPENDERS = 50


def test_fifty_concurrent_spends_take_exactly_the_balance(
    sqlite_or_postgres_wallet: tuple[str, int],
) -> None:
    database_url, buyer_id = sqlite_or_postgres_wallet
    wallet = user_account(AccountKind.BUYER_WALLET, buyer_id, CNY)

    def spend(index: int) -> bool:
        try:
            with unit_of_work(database_url) as session:
                ledger.transfer(
                    session,
                    kind="spend",
                    reference=f"spend-{index}",
                    source=wallet,
                    target=shop_account(AccountKind.MERCHANT_PAYABLE, 1 + index % 3, CNY),
                    amount=100,
                )
            return True
        except InsufficientFunds:
            return False

    with ThreadPoolExecutor(max_workers=SPENDERS) as pool:
        results = list(pool.map(spend, range(SPENDERS)))
    assert results.count(True) == 30
    with unit_of_work(database_url) as session:
        assert ledger.balance_of(session, wallet) == 0
        assert _count(session) == 31
        report = verify_ledger(session)
        assert report.ok, report.breaches

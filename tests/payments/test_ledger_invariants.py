"""Random top-ups, spends, transfers, refunds and replays keep every ledger invariant."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from liveshop.core.db import unit_of_work
from liveshop.payments import ledger
from liveshop.payments.ledger import (
    AccountKind,
    InsufficientFunds,
    LedgerReplayConflict,
    platform_account,
    shop_account,
    user_account,
)
from liveshop.payments.verify import verify_ledger
from tests.conftest import forget_engine

USERS = 3
CNY = "CNY"
CLEARING = platform_account(AccountKind.GATEWAY_CLEARING, CNY)
MERCHANT = shop_account(AccountKind.MERCHANT_PAYABLE, 1, CNY)
amounts = st.integers(min_value=1, max_value=1_500)
users = st.integers(min_value=0, max_value=USERS - 1)


def wallet(user: int) -> ledger.AccountKey:
    return user_account(AccountKind.BUYER_WALLET, user + 1, CNY)


class LedgerMachine(RuleBasedStateMachine):
    template: Path  # a migrated SQLite file, set by the test

    def __init__(self) -> None:
        super().__init__()
        self.directory = Path(tempfile.mkdtemp(prefix="ledger-machine-"))
        path = self.directory / "liveshop.db"
        shutil.copy(self.template, path)
        self.url = f"sqlite:///{path}"
        self.wallets = [0] * USERS
        self.merchant = 0
        self.spends: list[tuple[str, int, int, int]] = []  # reference, user, amount, refunded
        self.posted: list[tuple[str, str, ledger.AccountKey, ledger.AccountKey, int]] = []
        self.serial = 0

    def _transfer(
        self, kind: str, source: ledger.AccountKey, target: ledger.AccountKey, amount: int
    ) -> bool:
        self.serial += 1
        reference = f"{kind}-{self.serial}"
        try:
            with unit_of_work(self.url) as session:
                ledger.transfer(
                    session,
                    kind=kind,
                    reference=reference,
                    source=source,
                    target=target,
                    amount=amount,
                )
        except InsufficientFunds:
            return False
        self.posted.append((kind, reference, source, target, amount))
        return True

    @rule(user=users, amount=amounts)
    def top_up(self, user: int, amount: int) -> None:
        assert self._transfer("top_up", CLEARING, wallet(user), amount)
        self.wallets[user] += amount

    @rule(user=users, amount=amounts)
    def spend(self, user: int, amount: int) -> None:
        done = self._transfer("spend", wallet(user), MERCHANT, amount)
        assert done == (self.wallets[user] >= amount)
        if done:
            self.wallets[user] -= amount
            self.merchant += amount
            self.spends.append((self.posted[-1][1], user, amount, 0))

    @rule(payer=users, payee=users, amount=amounts)
    def transfer(self, payer: int, payee: int, amount: int) -> None:
        if payer == payee:
            return
        done = self._transfer("transfer", wallet(payer), wallet(payee), amount)
        assert done == (self.wallets[payer] >= amount)
        if done:
            self.wallets[payer] -= amount
            self.wallets[payee] += amount

    @precondition(lambda self: bool(self.spends))
    @rule(data=st.data())
    def refund(self, data: st.DataObject) -> None:
        index = data.draw(st.integers(0, len(self.spends) - 1))
        reference, user, amount, refunded = self.spends[index]
        if refunded == amount:
            return
        part = data.draw(st.integers(1, amount - refunded))
        assert self._transfer("refund", MERCHANT, wallet(user), part)  # payable may go negative
        self.spends[index] = (reference, user, amount, refunded + part)
        self.merchant -= part
        self.wallets[user] += part

    @precondition(lambda self: bool(self.posted))
    @rule(data=st.data(), other_amount=amounts)
    def replay(self, data: st.DataObject, other_amount: int) -> None:
        kind, reference, source, target, amount = data.draw(st.sampled_from(self.posted))
        with unit_of_work(self.url) as session:
            again = ledger.transfer(
                session,
                kind=kind,
                reference=reference,
                source=source,
                target=target,
                amount=amount,
            )
            assert again.reference == reference
        if other_amount != amount:
            with pytest.raises(LedgerReplayConflict), unit_of_work(self.url) as session:
                ledger.transfer(
                    session,
                    kind=kind,
                    reference=reference,
                    source=source,
                    target=target,
                    amount=other_amount,
                )

    @invariant()
    def every_invariant_holds(self) -> None:
        with unit_of_work(self.url) as session:
            report = verify_ledger(session)
            assert report.ok, report.breaches
            assert [ledger.balance_of(session, wallet(u)) for u in range(USERS)] == self.wallets
            assert ledger.balance_of(session, MERCHANT) == self.merchant
            top_ups = sum(amount for kind, *_rest, amount in self.posted if kind == "top_up")
            assert ledger.balance_of(session, CLEARING) == -top_ups

    def teardown(self) -> None:
        forget_engine(self.url)
        shutil.rmtree(self.directory, ignore_errors=True)


def test_random_ledger_activity_keeps_every_invariant(sqlite_template: Path) -> None:
    LedgerMachine.template = sqlite_template
    machine = LedgerMachine.TestCase
    machine.settings = settings(
        max_examples=50,
        stateful_step_count=20,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow],
    )
    machine().runTest()

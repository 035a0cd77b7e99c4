"""Random top-ups, spends, transfers, refunds and replays, coins bought and gifts sent,
red packets dropped, grabbed and returned: every ledger invariant holds after each step."""

from __future__ import annotations

import shutil
import tempfile
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, event, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule
from sqlalchemy import select

from liveshop.accounts.models import Role, User
from liveshop.core.clock import utcnow
from liveshop.core.db import unit_of_work
from liveshop.core.errors import Conflict, InvalidInput
from liveshop.live.models import Room, RoomStatus
from liveshop.payments import gifts, ledger, red_packets, wallets
from liveshop.payments.ledger import (
    AccountKind,
    InsufficientFunds,
    LedgerReplayConflict,
    platform_account,
    shop_account,
    user_account,
)
from liveshop.payments.models import (
    LedgerAccount,
    MethodKind,
    RedPacketShare,
    TopUp,
    TopUpKind,
)
from liveshop.payments.verify import verify_ledger
from tests.conftest import forget_engine

USERS = 4
HOST = USERS - 1  # the last user hosts the live room (and has a wallet like the others)
CNY = "CNY"
CLEARING = platform_account(AccountKind.GATEWAY_CLEARING, CNY)
MERCHANT = shop_account(AccountKind.MERCHANT_PAYABLE, 1, CNY)
FEES = platform_account(AccountKind.PLATFORM_FEES, CNY)
ESCROW = platform_account(AccountKind.RED_PACKET_ESCROW, CNY)
HOST_SHARE_BPS = 6_000
PACKET_MINUTES = 10
OPEN_PACKETS = 2  # at most this many at once, so grabs and returns get their turn
amounts = st.integers(min_value=1, max_value=1_500)
users = st.integers(min_value=0, max_value=USERS - 1)
gift_codes = st.sampled_from(["heart", "rose", "lightstick", "cake"])


def wallet(user: int) -> ledger.AccountKey:
    return user_account(AccountKind.BUYER_WALLET, user + 1, CNY)


def coins(user: int) -> ledger.AccountKey:
    return user_account(AccountKind.BUYER_COINS, user + 1, CNY)


def earnings(user: int) -> ledger.AccountKey:
    return user_account(AccountKind.HOST_EARNINGS, user + 1, CNY)


@dataclass
class Packet:
    """What the model knows of a dropped red packet."""

    id: int
    shares: list[int]  # the amounts, in the order they are handed out
    expires_at: datetime
    grabbers: list[int] = field(default_factory=list)
    open: bool = True


class LedgerMachine(RuleBasedStateMachine):
    template: Path  # a migrated SQLite file, set by the test

    def __init__(self) -> None:
        super().__init__()
        self.directory = Path(tempfile.mkdtemp(prefix="ledger-machine-"))
        path = self.directory / "liveshop.db"
        shutil.copy(self.template, path)
        self.url = f"sqlite:///{path}"
        self.room_id = self._users_and_room()
        self.wallets = [0] * USERS
        self.coins = [0] * USERS  # 分 (coins are kept at their money value)
        self.host_earnings = 0
        self.fees = 0
        self.card_top_ups = 0
        self.packets: list[Packet] = []
        self.clock = utcnow()
        self.merchant = 0
        self.spends: list[tuple[str, int, int, int]] = []  # reference, user, amount, refunded
        self.posted: list[tuple[str, str, ledger.AccountKey, ledger.AccountKey, int]] = []
        self.serial = 0
        # Some money to start with, so that early gifts and drops are not all refused.
        self.top_up_by_card(HOST, 10_000)
        for viewer in range(HOST):
            self.buy_coins(viewer, 100, by_card=True)

    def _users_and_room(self) -> int:
        with unit_of_work(self.url) as session:
            people = [
                User(
                    username=f"user_{n}",
                    password_hash="!",
                    role=Role.HOST if n == HOST else Role.VIEWER,
                )
                for n in range(USERS)
            ]
            session.add_all(people)
            session.flush()
            assert [person.id for person in people] == [n + 1 for n in range(USERS)]
            room = Room(host_id=HOST + 1, title="ledger room", status=RoomStatus.LIVE)
            session.add(room)
            session.flush()
            return room.id

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

    # --- top-ups, coins and gifts, through the services ---

    @rule(user=users, amount=st.integers(min_value=wallets.MIN_TOP_UP, max_value=5_000))
    def top_up_by_card(self, user: int, amount: int) -> None:
        assert self._book_top_up(user, TopUpKind.WALLET, amount, MethodKind.CARD)
        self.wallets[user] += amount
        self.card_top_ups += amount

    @rule(user=users, count=st.integers(min_value=10, max_value=300), by_card=st.booleans())
    def buy_coins(self, user: int, count: int, by_card: bool) -> None:
        value = count * wallets.COIN_VALUE
        source = MethodKind.CARD if by_card else MethodKind.WALLET
        done = self._book_top_up(user, TopUpKind.COINS, value, source)
        assert done == (by_card or self.wallets[user] >= value)
        if not done:
            return
        self.coins[user] += value
        if by_card:
            self.card_top_ups += value
        else:
            self.wallets[user] -= value

    def _book_top_up(self, user: int, kind: TopUpKind, amount: int, source: MethodKind) -> bool:
        try:
            with unit_of_work(self.url) as session:
                credit = TopUp(user_id=user + 1, kind=kind, amount=amount, currency=CNY)
                session.add(credit)
                session.flush()
                wallets.record_top_up(session, top_up=credit, source=source)
        except InsufficientFunds:
            return False
        return True

    @rule(sender=users, gift=gift_codes, count=st.integers(min_value=1, max_value=5))
    def send_gift(self, sender: int, gift: str, count: int) -> None:
        self.serial += 1
        value = gifts.GIFTS[gift].coins * count * wallets.COIN_VALUE
        try:
            with unit_of_work(self.url) as session:
                gifts.send_gift(
                    session,
                    sender=session.get_one(User, sender + 1),
                    room_id=self.room_id,
                    gift_code=gift,
                    count=count,
                    idempotency_key=f"gift-{self.serial}",
                    host_share_bps=HOST_SHARE_BPS,
                )
            refusal = None
        except Conflict as refused:
            refusal = refused.code
        event(f"gift: {refusal or 'sent'}")
        if sender == HOST:
            assert refusal == "own_room"
            return
        if self.coins[sender] < value:
            assert refusal == "insufficient_funds"
            return
        assert refusal is None
        host_share = value * HOST_SHARE_BPS // 10_000
        self.coins[sender] -= value
        self.host_earnings += host_share
        self.fees += value - host_share

    # --- red packets: dropped by the host, grabbed by the others, returned when due ---

    @precondition(lambda self: sum(packet.open for packet in self.packets) < OPEN_PACKETS)
    @rule(total=st.integers(min_value=1, max_value=3_000), shares=st.integers(1, 4))
    def drop_red_packet(self, total: int, shares: int) -> None:
        self.serial += 1
        try:
            with unit_of_work(self.url) as session:
                packet = red_packets.drop_red_packet(
                    session,
                    sender=session.get_one(User, HOST + 1),
                    room_id=self.room_id,
                    total=total,
                    shares=shares,
                    greeting="",
                    minutes=PACKET_MINUTES,
                    idempotency_key=f"packet-{self.serial}",
                    now=self.clock,
                )
                amounts = session.scalars(
                    select(RedPacketShare.amount)
                    .where(RedPacketShare.packet_id == packet.id)
                    .order_by(RedPacketShare.position)
                ).all()
                dropped = Packet(packet.id, list(amounts), packet.expires_at)
        except InvalidInput:
            event("red packet drop: shares_too_small")
            assert total < shares
            return
        except InsufficientFunds:
            event("red packet drop: insufficient_funds")
            assert total >= shares
            assert self.wallets[HOST] < total
            return
        event("red packet drop: dropped")
        assert total >= shares
        assert self.wallets[HOST] >= total
        assert len(dropped.shares) == shares
        assert sum(dropped.shares) == total
        assert min(dropped.shares) >= 1
        self.wallets[HOST] -= total
        self.packets.append(dropped)

    @precondition(lambda self: any(packet.open for packet in self.packets))
    @rule(data=st.data(), grabber=users)
    def grab_red_packet(self, data: st.DataObject, grabber: int) -> None:
        packet = data.draw(st.sampled_from(self.packets))
        try:
            with unit_of_work(self.url) as session:
                share = red_packets.grab_red_packet(
                    session,
                    user=session.get_one(User, grabber + 1),
                    packet_id=packet.id,
                    now=self.clock,
                )
                amount, refusal = share.amount, None
        except Conflict as refused:
            amount, refusal = 0, refused.code
        event(f"red packet grab: {refusal or 'grabbed'}")
        assert refusal == self._refusal(packet, grabber)
        if refusal is not None:
            return
        assert amount == packet.shares[len(packet.grabbers)]
        packet.grabbers.append(grabber)
        packet.open = len(packet.grabbers) < len(packet.shares)
        self.wallets[grabber] += amount

    def _refusal(self, packet: Packet, grabber: int) -> str | None:
        if grabber == HOST:
            return "own_red_packet"
        if grabber in packet.grabbers:
            return "already_grabbed"
        if not packet.open or packet.expires_at <= self.clock:
            return "red_packet_empty"
        return None

    @precondition(lambda self: any(packet.open for packet in self.packets))
    @rule(minutes=st.integers(min_value=1, max_value=2 * PACKET_MINUTES))
    def time_passes_and_expired_packets_return(self, minutes: int) -> None:
        """As the background job does: what is left of a packet past its deadline
        goes back to the sender."""
        self.clock += timedelta(minutes=minutes)
        with unit_of_work(self.url) as session:
            returned = red_packets.return_expired_red_packets(session, now=self.clock)
        due = [p for p in self.packets if p.open and p.expires_at <= self.clock]
        event(f"red packets returned: {min(returned, 2)}{'+' if returned > 2 else ''}")
        assert returned == len(due)
        for packet in due:
            packet.open = False
            self.wallets[HOST] += sum(packet.shares[len(packet.grabbers) :])

    @invariant()
    def every_invariant_holds(self) -> None:
        with unit_of_work(self.url) as session:
            report = verify_ledger(session)  # cached balances equal their postings, too
            balances = {
                ledger.key_of(account): account.balance
                for account in session.scalars(select(LedgerAccount))
            }
        assert report.ok, report.breaches
        assert [balances.get(wallet(u), 0) for u in range(USERS)] == self.wallets
        assert [balances.get(coins(u), 0) for u in range(USERS)] == self.coins
        assert balances.get(earnings(HOST), 0) == self.host_earnings
        assert balances.get(FEES, 0) == self.fees
        assert balances.get(MERCHANT, 0) == self.merchant
        unclaimed = sum(sum(p.shares[len(p.grabbers) :]) for p in self.packets if p.open)
        assert balances.get(ESCROW, 0) == unclaimed
        top_ups = sum(amount for kind, *_rest, amount in self.posted if kind == "top_up")
        assert balances.get(CLEARING, 0) == -(top_ups + self.card_top_ups)

    def teardown(self) -> None:
        forget_engine(self.url)
        shutil.rmtree(self.directory, ignore_errors=True)


def test_random_ledger_activity_keeps_every_invariant(sqlite_template: Path) -> None:
    LedgerMachine.template = sqlite_template
    machine = LedgerMachine.TestCase
    machine.settings = settings(
        max_examples=30,
        stateful_step_count=20,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow],
    )
    machine().runTest()

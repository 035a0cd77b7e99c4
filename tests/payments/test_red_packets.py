"""Red packets: the double-mean split, the drop into escrow, who may drop, grabs once
per viewer and never more than the shares under concurrency, and the return of
what is left after the deadline."""

from __future__ import annotations

import random
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from liveshop.accounts.models import Role, User
from liveshop.core.db import unit_of_work
from liveshop.core.errors import Conflict, InvalidInput
from liveshop.payments import ledger, red_packets
from liveshop.payments.ledger import AccountKind, platform_account, user_account
from liveshop.payments.models import RedPacket, RedPacketShare, RedPacketStatus, TopUpKind
from tests.conftest import Account
from tests.live.helpers import shop_product
from tests.payments.money import (
    Json,
    assert_ledger_verifies,
    balances,
    credit,
    new_account,
    new_accounts,
    new_room,
    sqlite_only,
    transaction_kinds,
)

ESCROW = platform_account(AccountKind.RED_PACKET_ESCROW, "CNY")


@st.composite
def totals_and_shares(draw: st.DrawFn) -> tuple[int, int]:
    shares = draw(st.integers(min_value=1, max_value=red_packets.MAX_SHARES))
    total = draw(st.integers(min_value=shares, max_value=red_packets.MAX_TOTAL))
    return total, shares


@settings(max_examples=300, deadline=None)
@given(packet=totals_and_shares(), seed=st.integers(min_value=0, max_value=2**64 - 1))
def test_the_double_mean_split_gives_each_share_at_least_one_and_adds_up_exactly(
    packet: tuple[int, int], seed: int
) -> None:
    total, shares = packet
    amounts = red_packets.split_double_mean(total, shares, random.Random(seed))
    assert len(amounts) == shares
    assert sum(amounts) == total
    assert min(amounts) >= 1
    left = total
    for remaining, amount in zip(range(shares, 1, -1), amounts, strict=False):
        assert amount <= max(1, 2 * left // remaining)  # at most twice the mean left
        left -= amount


@pytest.mark.parametrize(("total", "shares"), [(4, 5), (0, 1), (10, 0)])
def test_a_split_into_shares_below_one_fen_is_refused(total: int, shares: int) -> None:
    with pytest.raises(InvalidInput):
        red_packets.split_double_mean(total, shares, random.Random(1))


def wallet(database_url: str, user_id: int) -> int:
    with unit_of_work(database_url) as session:
        return ledger.balance_of(session, user_account(AccountKind.BUYER_WALLET, user_id, "CNY"))


def escrow(database_url: str) -> int:
    with unit_of_work(database_url) as session:
        return ledger.balance_of(session, ESCROW)


def shares_of(database_url: str, packet_id: int) -> list[tuple[int, int | None]]:
    """(amount, grabber) of each share, in position order."""
    with unit_of_work(database_url) as session:
        rows = session.execute(
            select(RedPacketShare.amount, RedPacketShare.user_id)
            .where(RedPacketShare.packet_id == packet_id)
            .order_by(RedPacketShare.position)
        ).all()
    return [(amount, user_id) for amount, user_id in rows]


def packet_count(database_url: str) -> int:
    with unit_of_work(database_url) as session:
        return int(session.scalar(select(func.count(RedPacket.id))) or 0)


def drop(
    client: TestClient, sender: Account, room_id: int, body: Json, key: str = "packet-key-01"
) -> Json:
    response = client.post(
        f"/api/rooms/{room_id}/red-packets",
        json=body,
        headers=sender.headers | {"Idempotency-Key": key},
    )
    answer: Json = response.json()
    answer["http_status"] = response.status_code
    return answer


def drop_by_service(
    database_url: str, sender_id: int, room_id: int, total: int, shares: int
) -> int:
    with unit_of_work(database_url) as session:
        packet = red_packets.drop_red_packet(
            session,
            sender=session.get_one(User, sender_id),
            room_id=room_id,
            total=total,
            shares=shares,
            greeting="",
            minutes=10,
            idempotency_key=f"packet-key-{total}-{shares}",
        )
        return packet.id


def grab_by_service(database_url: str, user_id: int, packet_id: int) -> int | str:
    """The amount grabbed, or the refusal's code."""
    try:
        with unit_of_work(database_url) as session:
            share = red_packets.grab_red_packet(
                session, user=session.get_one(User, user_id), packet_id=packet_id
            )
            return share.amount
    except Conflict as refused:
        return refused.code


@sqlite_only
def test_a_drop_takes_the_total_from_the_wallet_into_escrow(
    client: TestClient, database_url: str
) -> None:
    host = new_account(database_url, Role.HOST)
    room_id = new_room(database_url, host.id)
    credit(database_url, host.id, kind=TopUpKind.WALLET, amount=10_000)
    body = {"total": 1_000, "shares": 5, "greeting": "恭喜发财", "minutes": 5}
    dropped = drop(client, host, room_id, body)
    assert {key: value for key, value in dropped.items() if key != "expires_at"} == {
        "http_status": 201,
        "id": dropped["id"],
        "room_id": room_id,
        "total": 1_000,
        "shares": 5,
        "left": 5,
        "greeting": "恭喜发财",
        "status": "open",
        "grabs": [],
    }
    shares = shares_of(database_url, dropped["id"])
    assert sum(amount for amount, _ in shares) == 1_000
    assert [(amount >= 1, grabber) for amount, grabber in shares] == [(True, None)] * 5
    assert (wallet(database_url, host.id), escrow(database_url)) == (9_000, 1_000)
    listed = client.get(f"/api/rooms/{room_id}/red-packets").json()
    assert [packet["id"] for packet in listed] == [dropped["id"]]

    assert drop(client, host, room_id, body) == dropped  # the same key: the same packet
    other_body = drop(client, host, room_id, body | {"shares": 4})
    assert (other_body["http_status"], other_body["code"]) == (409, "idempotency_conflict")
    too_much = drop(client, host, room_id, body | {"total": 9_001}, key="packet-key-02")
    assert (too_much["http_status"], too_much["code"]) == (409, "insufficient_funds")
    assert (wallet(database_url, host.id), escrow(database_url)) == (9_000, 1_000)
    assert packet_count(database_url) == 1
    assert transaction_kinds(database_url) == ["red_packet", "top_up"]
    assert_ledger_verifies(database_url)


@sqlite_only
def test_only_the_rooms_host_or_a_merchant_on_its_shelf_drops_red_packets(
    client: TestClient, database_url: str
) -> None:
    host, other_host = new_account(database_url, Role.HOST), new_account(database_url, Role.HOST)
    viewer = new_account(database_url)
    merchant, stranger_merchant = (
        new_account(database_url, Role.MERCHANT),
        new_account(database_url, Role.MERCHANT),
    )
    room_id = new_room(database_url, host.id)
    scheduled = new_room(database_url, host.id, started=False)
    shop_product(client, stranger_merchant, title="别家的货")
    product = shop_product(client, merchant)
    shelved = client.put(
        f"/api/rooms/{room_id}/shelf", json={"product_ids": [product["id"]]}, headers=host.headers
    )
    assert shelved.status_code == 200, shelved.text
    everyone = (host, other_host, viewer, merchant, stranger_merchant)
    for account in everyone:
        credit(database_url, account.id, kind=TopUpKind.WALLET, amount=1_000)
    body = {"total": 100, "shares": 2}

    refused = [
        drop(client, viewer, room_id, body),
        drop(client, other_host, room_id, body),
        drop(client, stranger_merchant, room_id, body),
        drop(client, host, scheduled, body),
    ]
    assert [(answer["http_status"], answer["code"]) for answer in refused] == [
        (403, "not_your_room"),
        (403, "not_your_room"),
        (403, "not_your_room"),
        (409, "room_not_live"),
    ]
    assert [wallet(database_url, account.id) for account in everyone] == [1_000] * 5
    assert packet_count(database_url) == 0

    by_merchant = drop(client, merchant, room_id, body)
    by_host = drop(client, host, room_id, body)
    assert (by_merchant["http_status"], by_host["http_status"]) == (201, 201)
    assert [wallet(database_url, account.id) for account in everyone] == [
        900,
        1_000,
        1_000,
        900,
        1_000,
    ]
    assert escrow(database_url) == 200
    assert_ledger_verifies(database_url)


@sqlite_only
def test_what_nobody_grabbed_goes_back_to_the_sender_after_the_deadline(
    client: TestClient, database_url: str
) -> None:
    host = new_account(database_url, Role.HOST)
    viewers = [new_account(database_url) for _ in range(4)]
    room_id = new_room(database_url, host.id)
    credit(database_url, host.id, kind=TopUpKind.WALLET, amount=5_000)
    dropped = drop(client, host, room_id, {"total": 1_000, "shares": 5, "minutes": 10})
    packet_id = dropped["id"]
    grab = f"/api/red-packets/{packet_id}/grab"
    grabbed = [client.post(grab, headers=viewer.headers) for viewer in viewers[:3]]
    shares = shares_of(database_url, packet_id)
    assert [(r.status_code, r.json()) for r in grabbed] == [
        (201, {"packet_id": packet_id, "amount": amount}) for amount, _ in shares[:3]
    ]
    assert [grabber for _, grabber in shares] == [v.id for v in viewers[:3]] + [None, None]
    again = client.post(grab, headers=viewers[0].headers)
    own = client.post(grab, headers=host.headers)
    assert [(r.status_code, r.json()["code"]) for r in (again, own)] == [
        (409, "already_grabbed"),
        (409, "own_red_packet"),
    ]
    assert [wallet(database_url, v.id) for v in viewers] == [a for a, _ in shares[:3]] + [0]
    left = shares[3][0] + shares[4][0]

    deadline = dropped["expires_at"]
    with unit_of_work(database_url) as session:
        expires_at = session.get_one(RedPacket, packet_id).expires_at
        assert (
            red_packets.return_expired_red_packets(session, now=expires_at - timedelta(seconds=1))
            == 0
        )
    assert escrow(database_url) == left
    with unit_of_work(database_url) as session:
        assert red_packets.return_expired_red_packets(session, now=expires_at) == 1
    assert (wallet(database_url, host.id), escrow(database_url)) == (5_000 - 1_000 + left, 0)
    late = client.post(grab, headers=viewers[3].headers)
    assert (late.status_code, late.json()["code"]) == (409, "red_packet_empty")
    with unit_of_work(database_url) as session:
        assert red_packets.return_expired_red_packets(session, now=expires_at) == 0
    shown = client.get(f"/api/red-packets/{packet_id}").json()
    assert (shown["status"], shown["left"], shown["expires_at"]) == ("expired", 2, deadline)
    assert [(g["user"], g["amount"]) for g in shown["grabs"]] == [
        (v.username, amount) for v, (amount, _) in zip(viewers, shares[:3], strict=False)
    ]
    assert wallet(database_url, viewers[3].id) == 0
    assert (wallet(database_url, host.id), escrow(database_url)) == (4_000 + left, 0)
    assert transaction_kinds(database_url) == [
        "red_packet",
        "red_packet_grab",
        "red_packet_grab",
        "red_packet_grab",
        "red_packet_return",
        "top_up",
    ]
    assert_ledger_verifies(database_url)
    assert balances(client, host)["wallet"] == 4_000 + left


VIEWERS = 30
SHARES = 10


def test_thirty_viewers_grabbing_ten_shares_at_once_get_exactly_ten(database_url: str) -> None:
    host = new_account(database_url, Role.HOST)
    room_id = new_room(database_url, host.id)
    credit(database_url, host.id, kind=TopUpKind.WALLET, amount=1_000)
    packet_id = drop_by_service(database_url, host.id, room_id, total=1_000, shares=SHARES)
    viewers = new_accounts(database_url, VIEWERS)
    start = threading.Barrier(VIEWERS)

    def grab(user_id: int) -> int | str:
        start.wait()
        return grab_by_service(database_url, user_id, packet_id)

    with ThreadPoolExecutor(max_workers=VIEWERS) as pool:
        results = dict(zip(viewers, pool.map(grab, viewers), strict=True))
    won = {user_id: amount for user_id, amount in results.items() if isinstance(amount, int)}
    assert sorted(str(r) for r in results.values() if isinstance(r, str)) == [
        "red_packet_empty"
    ] * (VIEWERS - SHARES)
    assert len(won) == SHARES
    assert sum(won.values()) == 1_000
    shares = shares_of(database_url, packet_id)
    assert sorted((grabber, amount) for amount, grabber in shares) == sorted(
        (user_id, amount) for user_id, amount in won.items()
    )  # each winner holds exactly one share, the one they were told
    assert [wallet(database_url, user_id) for user_id in viewers] == [
        won.get(user_id, 0) for user_id in viewers
    ]
    assert (wallet(database_url, host.id), escrow(database_url)) == (0, 0)
    with unit_of_work(database_url) as session:
        packet = session.get_one(RedPacket, packet_id)
        assert (packet.grabbed, packet.status) == (SHARES, RedPacketStatus.EMPTY)
    assert_ledger_verifies(database_url)


GRABS_AT_ONCE = 8


def test_one_viewer_grabbing_at_once_from_many_tabs_gets_one_share(database_url: str) -> None:
    host, viewer = new_account(database_url, Role.HOST), new_account(database_url)
    room_id = new_room(database_url, host.id)
    credit(database_url, host.id, kind=TopUpKind.WALLET, amount=500)
    packet_id = drop_by_service(database_url, host.id, room_id, total=500, shares=5)
    start = threading.Barrier(GRABS_AT_ONCE)

    def grab(_: int) -> int | str:
        start.wait()
        return grab_by_service(database_url, viewer.id, packet_id)

    with ThreadPoolExecutor(max_workers=GRABS_AT_ONCE) as pool:
        results = list(pool.map(grab, range(GRABS_AT_ONCE)))
    amounts = [r for r in results if isinstance(r, int)]
    assert [r for r in results if isinstance(r, str)] == ["already_grabbed"] * 7
    assert len(amounts) == 1
    shares = shares_of(database_url, packet_id)
    assert [grabber for _, grabber in shares] == [viewer.id, None, None, None, None]
    assert wallet(database_url, viewer.id) == shares[0][0] == amounts[0]
    assert escrow(database_url) == 500 - amounts[0]
    with unit_of_work(database_url) as session:
        packet = session.get_one(RedPacket, packet_id)
        assert (packet.grabbed, packet.status) == (1, RedPacketStatus.OPEN)
    assert_ledger_verifies(database_url)


DOUBLE_SUBMITS = 4


def test_a_drop_submitted_several_times_at_once_takes_the_money_once(database_url: str) -> None:
    """A double-clicked drop (the same Idempotency-Key, at the same moment) is one packet."""
    host = new_account(database_url, Role.HOST)
    room_id = new_room(database_url, host.id)
    credit(database_url, host.id, kind=TopUpKind.WALLET, amount=1_000)
    start = threading.Barrier(DOUBLE_SUBMITS)

    def submit(_: int) -> int | str:
        start.wait()
        try:
            return drop_by_service(database_url, host.id, room_id, total=600, shares=3)
        except Exception as error:  # any error: the assertion below names it
            return type(error).__name__

    with ThreadPoolExecutor(max_workers=DOUBLE_SUBMITS) as pool:
        results = list(pool.map(submit, range(DOUBLE_SUBMITS)))
    assert packet_count(database_url) == 1
    with unit_of_work(database_url) as session:
        packet_id = session.scalars(select(RedPacket.id)).one()
    assert results == [packet_id] * DOUBLE_SUBMITS
    assert (wallet(database_url, host.id), escrow(database_url)) == (400, 600)
    assert transaction_kinds(database_url) == ["red_packet", "top_up"]
    assert_ledger_verifies(database_url)

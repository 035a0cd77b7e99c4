"""Gifts: the catalogue, coins to the host's earnings and the platform, the gift in the
room's frame, refusals that move nothing, idempotent replays, and no overspending
under a hundred concurrent sends."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import date

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from liveshop.accounts.models import Role, User
from liveshop.core.clock import utcnow
from liveshop.core.db import unit_of_work
from liveshop.core.settings import Settings
from liveshop.governance.qualifications.models import IdentityVerification
from liveshop.payments import gifts, ledger
from liveshop.payments.ledger import AccountKind, InsufficientFunds, platform_account
from liveshop.payments.models import GiftSend, TopUpKind
from liveshop.payments.wallets import COIN_VALUE
from tests.conftest import Account
from tests.live.helpers import receive, receive_until, ws_path
from tests.payments.money import (
    Json,
    assert_ledger_verifies,
    balances,
    credit,
    new_account,
    new_room,
    sqlite_only,
    transaction_kinds,
)

HOST_SHARE_BPS = 7_000  # not half, so the host's and the platform's parts differ
PLATFORM_FEES = platform_account(AccountKind.PLATFORM_FEES, "CNY")


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.model_copy(update={"gift_host_share_bps": HOST_SHARE_BPS})


def coins(database_url: str, user_id: int, count: int) -> None:
    credit(database_url, user_id, kind=TopUpKind.COINS, amount=count * COIN_VALUE)


def send(client: TestClient, sender: Account, room_id: int, body: Json, key: str) -> Json:
    response = client.post(
        f"/api/rooms/{room_id}/gifts", json=body, headers=sender.headers | {"Idempotency-Key": key}
    )
    answer: Json = response.json()
    answer["http_status"] = response.status_code
    return answer


def platform_fees(database_url: str) -> int:
    with unit_of_work(database_url) as session:
        return ledger.balance_of(session, PLATFORM_FEES)


def gift_sends(database_url: str) -> int:
    with unit_of_work(database_url) as session:
        return int(session.scalar(select(func.count(GiftSend.id))) or 0)


@sqlite_only
def test_the_catalogue_lists_every_gift_with_its_price_and_animation(client: TestClient) -> None:
    assert client.get("/api/gifts").json() == [
        {"code": "heart", "name": "小心心", "coins": 1, "animation": "float"},
        {"code": "rose", "name": "玫瑰", "coins": 10, "animation": "float"},
        {"code": "lightstick", "name": "荧光棒", "coins": 30, "animation": "burst"},
        {"code": "cake", "name": "蛋糕", "coins": 99, "animation": "burst"},
        {"code": "sports_car", "name": "跑车", "coins": 1_200, "animation": "fly"},
        {"code": "rocket", "name": "火箭", "coins": 10_000, "animation": "fly"},
        {"code": "carnival", "name": "嘉年华", "coins": 30_000, "animation": "shower"},
    ]


@sqlite_only
def test_a_gift_moves_coins_to_the_hosts_share_and_the_platform_and_shows_in_the_room(
    client: TestClient, database_url: str
) -> None:
    host, viewer = new_account(database_url, Role.HOST), new_account(database_url)
    room_id = new_room(database_url, host.id)
    coins(database_url, viewer.id, 250)
    with client.websocket_connect(ws_path(room_id)) as ws:
        assert receive(ws)["type"] == "snapshot"
        sent = send(client, viewer, room_id, {"gift": "cake", "count": 2}, "gift-key-0001")
        assert sent == {
            "http_status": 201,
            "id": sent["id"],
            "room_id": room_id,
            "gift": "cake",
            "count": 2,
            "coins": 198,
            "coins_left": 52,
        }
        frame, _ = receive_until(
            ws, lambda f: any(line["kind"] == "gift" for line in f.get("comments", [])), 2.0
        )
    line = next(line for line in frame["comments"] if line["kind"] == "gift")
    gift = {
        "id": sent["id"],
        "gift": "cake",
        "name": "蛋糕",
        "count": 2,
        "coins": 198,
        "animation": "burst",
        "user": viewer.username,
    }
    assert (line["text"], line["data"]) == (f"{viewer.username} 送出 蛋糕 x2", gift)
    assert frame["notices"]["gift"] == gift

    value = 198 * COIN_VALUE  # 1,980 分
    host_share = value * HOST_SHARE_BPS // 10_000  # 1,386 分
    assert balances(client, viewer) == {"wallet": 0, "coins": 52, "host_earnings": 0}
    assert balances(client, host) == {"wallet": 0, "coins": 0, "host_earnings": host_share}
    assert platform_fees(database_url) == value - host_share == 594
    with unit_of_work(database_url) as session:
        booked = ledger.get_transaction(session, kind="gift", reference=str(sent["id"]))
        postings = [
            (key.kind, key.owner_id, amount) for key, amount in ledger.postings_of(session, booked)
        ]
    assert postings == [
        (AccountKind.BUYER_COINS, viewer.id, -1_980),
        (AccountKind.HOST_EARNINGS, host.id, 1_386),
        (AccountKind.PLATFORM_FEES, 0, 594),
    ]
    assert_ledger_verifies(database_url)


@sqlite_only
def test_refused_gifts_move_nothing(client: TestClient, database_url: str) -> None:
    host, viewer = new_account(database_url, Role.HOST), new_account(database_url)
    live_room = new_room(database_url, host.id)
    scheduled_room = new_room(database_url, host.id, started=False)
    coins(database_url, viewer.id, 5)
    coins(database_url, host.id, 100)
    refusals = [
        (viewer, scheduled_room, {"gift": "heart"}, 409, "room_not_live"),
        (host, live_room, {"gift": "heart"}, 409, "own_room"),
        (viewer, live_room, {"gift": "unicorn"}, 404, "gift_not_found"),
        (viewer, 9_999, {"gift": "heart"}, 404, "room_not_found"),
        (viewer, live_room, {"gift": "rose"}, 409, "insufficient_funds"),
        (viewer, live_room, {"gift": "heart", "count": 6}, 409, "insufficient_funds"),
    ]
    answers = [
        (answer["http_status"], answer["code"])
        for answer in (
            send(client, sender, room_id, body, f"gift-key-{index:04d}")
            for index, (sender, room_id, body, _status, _code) in enumerate(refusals)
        )
    ]
    assert answers == [(status, code) for *_rest, status, code in refusals]
    assert balances(client, viewer) == {"wallet": 0, "coins": 5, "host_earnings": 0}
    assert balances(client, host) == {"wallet": 0, "coins": 100, "host_earnings": 0}
    assert gift_sends(database_url) == 0
    assert transaction_kinds(database_url) == ["top_up", "top_up"]
    assert_ledger_verifies(database_url)


@sqlite_only
def test_the_same_key_replays_the_same_send_and_refuses_another(
    client: TestClient, database_url: str
) -> None:
    host, viewer = new_account(database_url, Role.HOST), new_account(database_url)
    room_id = new_room(database_url, host.id)
    coins(database_url, viewer.id, 100)
    first = send(client, viewer, room_id, {"gift": "rose", "count": 2}, "gift-key-0100")
    again = send(client, viewer, room_id, {"gift": "rose", "count": 2}, "gift-key-0100")
    other = send(client, viewer, room_id, {"gift": "rose", "count": 3}, "gift-key-0100")
    assert first["http_status"] == 201
    assert again == first
    assert (other["http_status"], other["code"]) == (409, "idempotency_conflict")
    assert balances(client, viewer) == {"wallet": 0, "coins": 80, "host_earnings": 0}
    assert gift_sends(database_url) == 1
    assert transaction_kinds(database_url) == ["gift", "top_up"]


SENDERS = 100
GIFTS_AFFORDED = 10


def test_a_hundred_concurrent_sends_with_coins_for_ten_send_exactly_ten(
    database_url: str, settings: Settings
) -> None:
    host, viewer = new_account(database_url, Role.HOST), new_account(database_url)
    room_id = new_room(database_url, host.id)
    rose = gifts.GIFTS["rose"]
    coins(database_url, viewer.id, GIFTS_AFFORDED * rose.coins)
    start = threading.Barrier(SENDERS)

    def send_one(index: int) -> str:
        start.wait()
        try:
            with unit_of_work(database_url) as session:
                gifts.send_gift(
                    session,
                    sender=session.get_one(User, viewer.id),
                    room_id=room_id,
                    gift_code="rose",
                    count=1,
                    idempotency_key=f"gift-key-{index:04d}",
                    host_share_bps=settings.gift_host_share_bps,
                )
        except InsufficientFunds as refused:
            return refused.code
        return "sent"

    with ThreadPoolExecutor(max_workers=SENDERS) as pool:
        results = list(pool.map(send_one, range(SENDERS)))
    assert sorted(results) == ["insufficient_funds"] * 90 + ["sent"] * 10
    value = GIFTS_AFFORDED * rose.coins * COIN_VALUE
    with unit_of_work(database_url) as session:
        host_earnings = ledger.balance_of(
            session, ledger.user_account(AccountKind.HOST_EARNINGS, host.id, "CNY")
        )
        viewer_coins = ledger.balance_of(
            session, ledger.user_account(AccountKind.BUYER_COINS, viewer.id, "CNY")
        )
    assert (viewer_coins, host_earnings, platform_fees(database_url)) == (0, 700, 300)
    assert host_earnings + platform_fees(database_url) == value
    assert gift_sends(database_url) == GIFTS_AFFORDED
    assert transaction_kinds(database_url) == ["gift"] * 10 + ["top_up"]
    assert_ledger_verifies(database_url)


@sqlite_only
def test_a_verified_minor_cannot_send_gifts(client: TestClient, database_url: str) -> None:
    host, teen = new_account(database_url, Role.HOST), new_account(database_url)
    room_id = new_room(database_url, host.id)
    coins(database_url, teen.id, 50)
    with unit_of_work(database_url) as session:
        session.add(
            IdentityVerification(
                user_id=teen.id,
                real_name="李四",
                id_number_masked="1****************X",
                id_number_hash="b" * 64,
                birth_date=date(utcnow().year - 15, 1, 1),
                guardian_consent=True,
            )
        )

    refused = send(client, teen, room_id, {"gift": "rose"}, "gift-key-minor")

    assert (refused["http_status"], refused["code"]) == (403, "minor_cannot_gift")
    assert balances(client, teen)["coins"] == 50
    assert gift_sends(database_url) == 0

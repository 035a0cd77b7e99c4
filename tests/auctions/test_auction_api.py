"""Auctions over HTTP: the host creates and starts, a card is required to bid, the
log is public with masked names, the deadline closes it with the winner's order
at the final price, and an unpaid order goes to the runner-up at their maximum."""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import select

from liveshop.accounts.models import Role, User
from liveshop.auctions import bidding, closing
from liveshop.auctions.models import Auction
from liveshop.core.clock import utcnow
from liveshop.core.db import unit_of_work
from liveshop.notifications.models import Notification, NotificationKind
from liveshop.orders.models import Order, OrderStatus
from tests.auctions.conftest import Shelf, give_cards
from tests.conftest import MakeAccount


def test_an_auction_from_creation_to_the_runner_up(
    client: TestClient, database_url: str, shelf: Shelf, make_account: MakeAccount
) -> None:
    terms = {
        "room_id": shelf.room_id,
        "sku_id": shelf.sku_id,
        "starting_price": 5_000,
        "reserve_price": 8_000,
        "increments": [[0, 100], [10_000, 500]],
        "ending": "extend",
        "duration_seconds": 60,
        "extend_seconds": 30,
        "payment_minutes": 15,
    }
    alice, bob, carol = (make_account(Role.VIEWER, name) for name in ("alice", "bob", "carol"))
    refused = client.post("/api/auctions", json=terms, headers=alice.headers)
    assert refused.status_code == 403
    created = client.post("/api/auctions", json=terms, headers=shelf.host.headers)
    assert created.status_code == 201, created.text
    auction_id = created.json()["id"]
    assert (
        client.post(f"/api/auctions/{auction_id}/start", headers=alice.headers).status_code == 403
    )
    started = client.post(f"/api/auctions/{auction_id}/start", headers=shelf.host.headers)
    assert started.json()["status"] == "running"

    def bid(who: object, amount: int, key: str) -> dict[str, object]:
        response = client.post(
            f"/api/auctions/{auction_id}/bids",
            json={"max_amount": amount},
            headers={**who.headers, "Idempotency-Key": key},  # type: ignore[attr-defined]
        )
        return {"status": response.status_code, **response.json()}

    assert bid(alice, 9_000, "a1")["status"] == 402  # no card yet
    give_cards(database_url, [alice.id, bob.id, carol.id])
    assert bid(shelf.host, 9_000, "h1")["status"] == 403  # no shill bids
    first = bid(alice, 9_000, "a1")
    assert first["status"] == 200
    assert first["auction"]["current_price"] == 8_000  # the reserve, met by her maximum
    assert bid(alice, 9_000, "a1")["replayed"] is True
    assert bid(alice, 9_500, "a1")["status"] == 409  # same key, another amount
    assert bid(bob, 8_050, "b1")["code"] == "bid_too_low"
    second = bid(bob, 12_000, "b1")
    assert second["auction"]["current_price"] == 9_100  # 9,000 + 100, alice outbid
    assert bid(carol, 11_000, "c1")["auction"]["current_price"] == 11_500  # bob's proxy

    public = client.get(f"/api/auctions/{auction_id}").json()
    assert public["leader"] == "b**"
    assert [entry["bidder"] for entry in public["bids"]] == ["c**", "b**", "a**"]
    assert all(
        entry["bidder_id"] is None and entry["max_amount"] is None for entry in public["bids"]
    )
    with unit_of_work(database_url) as session:
        outbid = session.scalars(
            select(Notification.user_id).where(Notification.kind == NotificationKind.AUCTION_OUTBID)
        ).all()
        assert outbid == [alice.id]

    # the deadline: closed by the job, the winner's order at the final price
    with unit_of_work(database_url) as session:
        ends_at = session.get_one(Auction, auction_id).ends_at
        assert ends_at is not None
        assert closing.close_due_auctions(session, now=ends_at - timedelta(seconds=1)) == []
        assert closing.close_due_auctions(session, now=ends_at + timedelta(seconds=1)) == [
            auction_id
        ]
    won = client.get(f"/api/auctions/{auction_id}", headers=bob.headers).json()
    assert (won["status"], won["buyer"], won["sold_price"]) == ("won", "b**", 11_500)
    assert bid(carol, 20_000, "c2")["code"] == "auction_closed"
    with unit_of_work(database_url) as session:
        order = session.get_one(Order, won["order_id"])
        assert (order.buyer_id, order.total - order.shipping_fee, order.status) == (
            bob.id,
            11_500,
            OrderStatus.PENDING_PAYMENT,
        )
        # unpaid in time: carol (runner-up, maximum 11,000) is offered it
        assert closing.offer_unpaid_auctions(session, now=utcnow()) == []
        late = utcnow() + timedelta(minutes=16)
        assert closing.offer_unpaid_auctions(session, now=late) == [auction_id]
        auction = session.get_one(Auction, auction_id)
        offer = session.get_one(Order, auction.order_id)
        assert (auction.status, auction.buyer_id, auction.sold_price) == (
            "offered",
            carol.id,
            11_000,
        )
        assert offer.buyer_id == carol.id
        assert session.get_one(User, carol.id).username == "carol"


def test_anti_sniping_extends_and_sudden_death_does_not(
    client: TestClient, database_url: str, shelf: Shelf, make_account: MakeAccount
) -> None:
    dan = make_account(Role.VIEWER, "dan")
    give_cards(database_url, [dan.id])
    for ending, moves in (("extend", True), ("sudden_death", False)):
        body = {
            "room_id": shelf.room_id,
            "sku_id": shelf.sku_id,
            "starting_price": 1_000,
            "ending": ending,
            "duration_seconds": 60,
            "extend_seconds": 20,
        }
        auction_id = client.post("/api/auctions", json=body, headers=shelf.host.headers).json()[
            "id"
        ]
        client.post(f"/api/auctions/{auction_id}/start", headers=shelf.host.headers)
        with unit_of_work(database_url) as session:
            auction = session.get_one(Auction, auction_id)
            assert auction.ends_at is not None
            deadline = auction.ends_at
            late = deadline - timedelta(seconds=5)
            bidding.place_bid(
                session,
                bidder=session.get_one(User, dan.id),
                auction_id=auction_id,
                max_amount=2_000,
                idempotency_key="late",
                now=late,
            )
            after = session.get_one(Auction, auction_id).ends_at
            assert after is not None
            if moves:
                assert after == late + timedelta(seconds=20)
            else:
                assert after == deadline

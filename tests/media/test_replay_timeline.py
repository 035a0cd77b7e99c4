"""The replay's timeline holds every kind of thing the room had, each at its offset into
the recording: rows written at known moments, read against a recording that started at
``T0`` (no media server or ffmpeg needed: the offsets are the point)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from liveshop.accounts.models import Role
from liveshop.auctions.models import Auction, AuctionBid
from liveshop.core.ids import new_id
from liveshop.live.models import Comment, CommentKind, HostAction, Question, RoomLikeCount
from liveshop.media.replay import ReplayVideo, Segment, replay_timeline
from liveshop.media.timeline_sources import timeline_sources
from liveshop.orders import room_history
from liveshop.orders.models import (
    DrawStatus,
    LuckyDraw,
    Order,
    OrderItem,
    OrderStatus,
    OrderTransition,
)
from liveshop.payments.models import GiftSend, RedPacket
from liveshop.promotions.models import Coupon, CouponIssuer, CouponKind, FlashSale
from tests.conftest import Account, MakeAccount
from tests.live.helpers import shop_product

T0 = datetime(2026, 12, 1, 20, 0, tzinfo=UTC)  # the recording's start, on a whole minute
VIDEO = ReplayVideo("room-replay.mp4", 600.0, (Segment(T0, 0.0, 600.0),))


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def _chat_and_controls(
    session: Session, room_id: int, host: Account, viewer: Account, card: dict[str, Any]
) -> None:
    session.add_all(
        [
            HostAction(room_id=room_id, actor_id=host.id, action="start", created_at=at(1)),
            Comment(
                id=new_id(),
                room_id=room_id,
                user_id=viewer.id,
                kind=CommentKind.COMMENT,
                text="好看",
                created_at=at(10),
            ),
            Comment(
                id=new_id(),
                room_id=room_id,
                user_id=host.id,
                kind=CommentKind.ANNOUNCEMENT,
                text="全场包邮",
                created_at=at(12),
            ),
            HostAction(
                room_id=room_id,
                actor_id=host.id,
                action="pin",
                details={"card": card},
                created_at=at(20),
            ),
            HostAction(room_id=room_id, actor_id=host.id, action="unpin", created_at=at(30)),
            HostAction(room_id=room_id, actor_id=host.id, action="end", created_at=at(590)),
        ]
    )


def _sales(
    session: Session, room_id: int, host: Account, viewer: Account, product: Mapping[str, Any]
) -> None:
    sku_id, shop_id = product["skus"][0]["id"], product["shop_id"]
    session.add_all(
        [
            FlashSale(
                room_id=room_id,
                shop_id=shop_id,
                sku_id=sku_id,
                price=9_900,
                reference_price=12_900,
                quantity=10,
                per_user_limit=1,
                starts_at=at(40),
                ends_at=at(100),
                created_by=host.id,
            ),
            LuckyDraw(
                room_id=room_id,
                created_by=host.id,
                title="福袋",
                winners_count=1,
                tasks={},
                commitment="0" * 64,
                seed="0" * 64,
                status=DrawStatus.DRAWN,
                opens_at=at(50),
                deadline=at(105),
                winners=[viewer.id],
                drawn_at=at(110),
            ),
            Coupon(
                code="DROP-REPLAY",
                name="直播间券",
                issuer=CouponIssuer.SHOP,
                shop_id=shop_id,
                room_id=room_id,
                kind=CouponKind.FIXED,
                amount=500,
                starts_at=at(80),
                ends_at=at(140),
                total_quantity=100,
                created_by=host.id,
            ),
        ]
    )
    # Two paid in the same second (one mark, counted; one of two lines, two SKUs of the
    # product, counted once), one never paid (no mark).
    _order(session, room_id, viewer, product, key="a", placed=60, paid=65.0, quantities=(1, 1))
    _order(session, room_id, viewer, product, key="b", placed=61, paid=65.5, quantities=(2,))
    _order(session, room_id, viewer, product, key="c", placed=70, paid=None, quantities=(1,))


def _order(
    session: Session,
    room_id: int,
    buyer: Account,
    product: Mapping[str, Any],
    *,
    key: str,
    placed: float,
    paid: float | None,
    quantities: tuple[int, ...],
) -> None:
    price, quantity = product["min_price"], sum(quantities)
    order = Order(
        buyer_id=buyer.id,
        shop_id=product["shop_id"],
        room_id=room_id,
        currency="CNY",
        items_total=price * quantity,
        total=price * quantity,
        idempotency_key=key,
        request_fingerprint=key,
        created_at=at(placed),
        status=OrderStatus.PENDING_PAYMENT if paid is None else OrderStatus.PAID,
    )
    session.add(order)
    session.flush()
    session.add_all(
        OrderItem(
            order_id=order.id,
            sku_id=product["skus"][0]["id"],
            product_id=product["id"],
            title=product["title"],
            unit_price=price,
            quantity=line_quantity,
            total=price * line_quantity,
        )
        for line_quantity in quantities
    )
    session.add(OrderTransition(order_id=order.id, to_status="pending_payment", at=at(placed)))
    if paid is not None:
        session.add(
            OrderTransition(
                order_id=order.id, from_status="pending_payment", to_status="paid", at=at(paid)
            )
        )


def _audience_and_money(session: Session, room_id: int, host: Account, viewer: Account) -> None:
    session.add_all(
        [
            Question(
                room_id=room_id,
                user_id=viewer.id,
                text="有黑色吗",
                upvotes=3,
                answer="有",
                created_at=at(90),
                answered_at=at(95),
            ),
            RoomLikeCount(room_id=room_id, count=5, at=at(120)),
            RoomLikeCount(room_id=room_id, count=7, at=at(150)),  # the same minute
            RoomLikeCount(room_id=room_id, count=3, at=at(185)),
            GiftSend(
                sender_id=viewer.id,
                room_id=room_id,
                host_id=host.id,
                gift_code="rose",
                count=3,
                coins=30,
                idempotency_key="g",
                request_fingerprint="g",
                created_at=at(130),
            ),
            RedPacket(
                room_id=room_id,
                sender_id=host.id,
                total=1_000,
                currency="CNY",
                shares=5,
                greeting="恭喜",
                expires_at=at(400),
                idempotency_key="r",
                request_fingerprint="r",
                created_at=at(140),
            ),
        ]
    )


def _auction(
    session: Session, room_id: int, host: Account, viewer: Account, product: Mapping[str, Any]
) -> None:
    auction = Auction(
        room_id=room_id,
        shop_id=product["shop_id"],
        product_id=product["id"],
        sku_id=product["skus"][0]["id"],
        title="孤品",
        currency="CNY",
        created_by=host.id,
        starting_price=10_000,
        increments=[[0, 1_000]],
        ending="extend",
        duration_seconds=60,
        extend_seconds=10,
        payment_minutes=30,
        status="won",
        starts_at=at(200),
        ends_at=at(300),
        closed_at=at(300),
        sold_price=12_000,
        buyer_id=viewer.id,
    )
    session.add(auction)
    session.flush()
    session.add_all(
        [
            AuctionBid(
                auction_id=auction.id,
                seq=seq,
                bidder_id=viewer.id,
                max_amount=price,
                price_after=price,
                leading=True,
                idempotency_key=f"bid-{seq}",
                created_at=at(moment),
            )
            for seq, price, moment in [(1, 11_000, 210), (2, 12_000, 220)]
        ]
    )


def test_every_kind_the_room_had_is_on_the_timeline_at_its_offset(
    client: TestClient,
    make_account: MakeAccount,
    session: Session,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    host, merchant, viewer = (
        make_account(Role.HOST),
        make_account(Role.MERCHANT),
        make_account(Role.VIEWER),
    )
    product = shop_product(client, merchant, title="羊绒大衣", price=99_900)
    room_id = client.post("/api/rooms", json={"title": "冬装"}, headers=host.headers).json()["id"]
    card = {"product_id": product["id"], "title": "羊绒大衣", "price": 99_900, "currency": "CNY"}
    _chat_and_controls(session, room_id, host, viewer, card)
    _sales(session, room_id, host, viewer, product)
    _audience_and_money(session, room_id, host, viewer)
    _auction(session, room_id, host, viewer, product)
    session.flush()

    assert sorted(timeline_sources()) == ["auctions", "gifts", "red_packets"]  # wiring's
    timeline = replay_timeline(session, video=VIDEO, room_id=room_id)

    assert [(item["t"], item["type"]) for item in timeline] == [
        (1.0, "start"),
        (10.0, "comment"),
        (12.0, "announcement"),
        (20.0, "pin"),
        (30.0, "unpin"),
        (40.0, "flash_sale"),
        (50.0, "draw"),
        (65.0, "order"),
        (80.0, "coupon_drop"),
        (90.0, "question"),
        (95.0, "answer"),
        (110.0, "draw"),
        (120.0, "likes"),
        (130.0, "gift"),
        (140.0, "red_packet"),
        (185.0, "likes"),
        (200.0, "auction_start"),
        (210.0, "auction_bid"),
        (220.0, "auction_bid"),
        (300.0, "auction_close"),
        (590.0, "end"),
    ]
    by_t = {(item["t"], item["type"]): item for item in timeline}
    assert by_t[10.0, "comment"]["text"] == "好看"
    assert by_t[40.0, "flash_sale"]["price"] == 9_900
    assert by_t[40.0, "flash_sale"]["ends_t"] == 100.0
    assert [by_t[t, "draw"]["event"] for t in (50.0, 110.0)] == ["opened", "drawn"]
    order = by_t[65.0, "order"]
    assert (order["product_id"], order["orders"], order["quantity"]) == (product["id"], 2, 4)
    assert (by_t[80.0, "coupon_drop"]["amount"], by_t[80.0, "coupon_drop"]["ends_t"]) == (
        500,
        140.0,
    )
    assert (by_t[90.0, "question"]["text"], by_t[90.0, "question"]["upvotes"]) == ("有黑色吗", 3)
    assert by_t[95.0, "answer"]["text"] == "有"
    assert [by_t[t, "likes"]["count"] for t in (120.0, 185.0)] == [12, 3]
    assert (by_t[130.0, "gift"]["gift_code"], by_t[130.0, "gift"]["count"]) == ("rose", 3)
    assert (by_t[140.0, "red_packet"]["total"], by_t[140.0, "red_packet"]["shares"]) == (1_000, 5)
    bids = [item["price"] for item in timeline if item["type"] == "auction_bid"]
    assert bids == [11_000, 12_000]
    closed = by_t[300.0, "auction_close"]
    assert (closed["status"], closed["sold_price"]) == ("won", 12_000)
    assert all("buyer_id" not in item and "sender_id" not in item for item in timeline)

    monkeypatch.setattr(room_history, "ORDER_PAGE", 1)  # a payment a page: none is lost
    assert replay_timeline(session, video=VIDEO, room_id=room_id) == timeline

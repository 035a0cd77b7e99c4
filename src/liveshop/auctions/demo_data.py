"""The demo's auction: one won in the demo room by proxy bidding, its winner's order
placed by the closing job's function. Safe to run again (a won auction in the room
is left as it is)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

from pydantic import SecretStr
from sqlalchemy import select

from liveshop.accounts.models import User
from liveshop.auctions import bidding, closing, service
from liveshop.auctions.models import Auction, AuctionStatus
from liveshop.auctions.schemas import AuctionIn
from liveshop.core.db import unit_of_work
from liveshop.live.models import Room
from liveshop.payments.methods import add_payment_method
from liveshop.payments.schemas import CardIn
from liveshop.payments.vault import MasterKey

DEMO_CARD = CardIn(
    card_number=SecretStr("4242424242424242"),
    exp_month=12,
    exp_year=2035,
    cvc=SecretStr("123"),
    save_consent=True,  # the demo's bidders keep their card
)


def seed_won_auction(
    database_url: str,
    *,
    room_id: int,
    sku_id: int,
    bids: Sequence[tuple[str, int]],
    master: MasterKey,
) -> int:
    """An auction of ``sku_id`` in the room, bid on by (username, maximum in 分) in
    order, closed at its deadline: the winner's order at the proxy price."""
    with unit_of_work(database_url) as session:
        done = session.scalars(
            select(Auction.id).where(
                Auction.room_id == room_id, Auction.status == AuctionStatus.WON
            )
        ).first()
        if done is not None:
            return done
        room = session.get_one(Room, room_id)
        host = session.get_one(User, room.host_id)
        auction = service.create_auction(
            session,
            actor=host,
            body=AuctionIn(
                room_id=room_id, sku_id=sku_id, starting_price=5_000, reserve_price=8_000
            ),
        )
        service.start_auction(session, actor=host, auction_id=auction.id)
        for index, (username, maximum) in enumerate(bids):
            bidder = session.scalars(select(User).where(User.username == username)).one()
            add_payment_method(session, user=bidder, body=DEMO_CARD, master=master)
            bidding.place_bid(
                session,
                bidder=bidder,
                auction_id=auction.id,
                max_amount=maximum,
                idempotency_key=f"demo-auction-{index}",
            )
        assert auction.ends_at is not None
        closing.close_due_auctions(session, now=auction.ends_at + timedelta(seconds=1))
        return auction.id

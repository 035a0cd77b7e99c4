"""The demo's auction: one won in the demo room by proxy bidding through the configured
bid engine (SQL or Redis, as the API's bids), its winner's order placed by the closing
job. Safe to run again (a won auction in the room is left as it is)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from pydantic import SecretStr
from sqlalchemy import select
from sqlalchemy.orm import Session

from liveshop.accounts.models import User
from liveshop.auctions import bidding, service
from liveshop.auctions.engines import BidEngine
from liveshop.auctions.jobs import run_auction_jobs_once
from liveshop.auctions.models import Auction, AuctionStatus
from liveshop.auctions.schemas import AuctionIn
from liveshop.core.clock import utcnow
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
    engine: BidEngine,
) -> int:
    """An auction of ``sku_id`` in the room, held over the last two minutes: bid on by
    (username, maximum in 分) in order, each bid placed as the API places it (its own
    unit of work, the configured bid engine), then closed by the closing job at its
    deadline, now: the winner's order at the proxy price."""
    with unit_of_work(database_url) as session:
        done = session.scalars(
            select(Auction.id).where(
                Auction.room_id == room_id, Auction.status == AuctionStatus.WON
            )
        ).first()
        if done is not None:
            return done
        auction_id, started = _started_auction(session, room_id=room_id, sku_id=sku_id)
        for username, _maximum in bids:
            bidder = session.scalars(select(User).where(User.username == username)).one()
            add_payment_method(session, user=bidder, body=DEMO_CARD, master=master)
    for index, (username, maximum) in enumerate(bids):
        with unit_of_work(database_url, writes=engine.writes_in_request) as session:
            bidding.place_bid(
                session,
                bidder=session.scalars(select(User).where(User.username == username)).one(),
                auction_id=auction_id,
                max_amount=maximum,
                idempotency_key=f"demo-auction-{index}",
                now=started + timedelta(seconds=index + 1),
                engine=engine,
            )
    run_auction_jobs_once(database_url, engine)
    return auction_id


def _started_auction(session: Session, *, room_id: int, sku_id: int) -> tuple[int, datetime]:
    """The demo's auction, started long enough ago that its deadline is now."""
    room = session.get_one(Room, room_id)
    host = session.get_one(User, room.host_id)
    body = AuctionIn(room_id=room_id, sku_id=sku_id, starting_price=5_000, reserve_price=8_000)
    auction = service.create_auction(session, actor=host, body=body)
    started = utcnow() - timedelta(seconds=body.duration_seconds + 1)
    service.start_auction(session, actor=host, auction_id=auction.id, now=started)
    return auction.id, started

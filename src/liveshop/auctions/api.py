"""Auctions over HTTP: create and start (the host), bid (a viewer with a card),
read (anyone; names masked), and the room's auctions. Closing is the job's."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header, status

from liveshop.accounts.dependencies import CurrentUser, OptionalUser
from liveshop.auctions import bidding, service, views
from liveshop.auctions.dependencies import BidEngineDep, BidSession
from liveshop.auctions.schemas import AuctionIn, AuctionOut, BidIn, BidResult
from liveshop.core.dependencies import DbSession, RowId

router = APIRouter(prefix="/api", tags=["auctions"])

BidKey = Annotated[
    str,
    Header(
        alias="Idempotency-Key",
        min_length=1,
        max_length=100,
        description="one per bid: a retried bid is counted once",
    ),
]


@router.post("/auctions", status_code=status.HTTP_201_CREATED)
def create_auction(body: AuctionIn, user: CurrentUser, session: DbSession) -> AuctionOut:
    auction = service.create_auction(session, actor=user, body=body)
    return views.auction_out(session, auction, viewer=user)


@router.post("/auctions/{auction_id}/start")
def start_auction(auction_id: RowId, user: CurrentUser, session: DbSession) -> AuctionOut:
    auction = service.start_auction(session, actor=user, auction_id=auction_id)
    return views.auction_out(session, auction, viewer=user)


@router.post("/auctions/{auction_id}/bids")
def bid(
    auction_id: RowId,
    body: BidIn,
    key: BidKey,
    user: CurrentUser,
    session: BidSession,
    engine: BidEngineDep,
) -> BidResult:
    """402 ``card_required`` without a card on file; 409 ``bid_too_low`` (the message
    gives the minimum) or ``auction_closed``. The reply is the bid and where the auction
    stands after it (on the Redis engine, Redis' state); the bid log is read with
    ``GET /api/auctions/{id}`` or followed in the room."""
    standing, placed, replayed = bidding.place_bid(
        session,
        bidder=user,
        auction_id=auction_id,
        max_amount=body.max_amount,
        idempotency_key=key,
        engine=engine,
    )
    return views.bid_result(standing, placed, viewer=user, replayed=replayed)


@router.get("/auctions/{auction_id}")
def get_auction(auction_id: RowId, session: DbSession, user: OptionalUser) -> AuctionOut:
    auction = service.get_auction(session, auction_id=auction_id)
    return views.auction_out(session, auction, viewer=user)


@router.get("/rooms/{room_id}/auctions")
def room_auctions(room_id: RowId, session: DbSession, user: OptionalUser) -> list[AuctionOut]:
    return [
        views.auction_out(session, auction, viewer=user)
        for auction in views.list_room_auctions(session, room_id=room_id)
    ]

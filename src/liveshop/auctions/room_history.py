"""The auctions of a room, for its replay: each one's start, its bids and its close
(the bid log's prices, nobody named). Registered with media's timeline
(``media/timeline_sources.py``) by ``liveshop.wiring``.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from liveshop.auctions.models import Auction, AuctionBid
from liveshop.core.clock import as_utc


def room_auction_moments(session: Session, room_id: int) -> list[Mapping[str, Any]]:
    """Every started auction's start, bids and close, oldest first (a draft never shown
    in the room has none)."""
    auctions = session.scalars(
        select(Auction)
        .where(Auction.room_id == room_id, Auction.starts_at.is_not(None))
        .order_by(Auction.starts_at, Auction.id)
    ).all()
    moments: list[Mapping[str, Any]] = []
    for auction in auctions:
        if auction.starts_at is not None:
            moments += _auction_moments(session, auction, started=as_utc(auction.starts_at))
    return sorted(moments, key=lambda moment: moment["at"])


def _auction_moments(
    session: Session, auction: Auction, *, started: datetime
) -> list[Mapping[str, Any]]:
    about = {"auction_id": auction.id, "product_id": auction.product_id, "title": auction.title}
    moments: list[Mapping[str, Any]] = [
        {
            "at": started,
            "type": "auction_start",
            **about,
            "starting_price": auction.starting_price,
            "currency": auction.currency,
        }
    ]
    bids = session.scalars(
        select(AuctionBid).where(AuctionBid.auction_id == auction.id).order_by(AuctionBid.seq)
    )
    moments += [
        {
            "at": as_utc(bid.created_at),
            "type": "auction_bid",
            **about,
            "seq": bid.seq,
            "price": bid.price_after,
        }
        for bid in bids
    ]
    if auction.closed_at is not None:
        moments.append(
            {
                "at": as_utc(auction.closed_at),
                "type": "auction_close",
                **about,
                "status": str(auction.status),
                "sold_price": auction.sold_price,
            }
        )
    return moments

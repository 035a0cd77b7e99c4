"""What the room and the API see of an auction: the live card (sent with each
announcement in the room), the auction with its public bid log (names masked; a
bidder sees their own maximum, the auction's people see who bid: ``access``), a
bid's result (the bid and where the auction stands, without the log), and a room's
auctions."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from liveshop.accounts.models import User
from liveshop.auctions import access
from liveshop.auctions.models import Auction, AuctionBid, AuctionStatus
from liveshop.auctions.proxy import minimum_bid, next_minimum, yuan
from liveshop.auctions.schemas import AuctionOut, BidOut, BidResult, StandingOut
from liveshop.core.bus import publish_after_commit
from liveshop.core.clock import as_utc, utcnow
from liveshop.core.rooms import RoomNotice, room_facts, says
from liveshop.notifications.centre import Notice, notify_each
from liveshop.notifications.models import NotificationKind
from liveshop.privacy.masking import mask_username

if TYPE_CHECKING:  # facts.py reads auctions through service.py, which imports this module
    from liveshop.auctions.facts import DecidedBid, Standing

PUBLIC_BIDS = 50  # the room's bid log shows the latest bids


def announce(session: Session, auction: Auction, *, line: str, said: dict[str, Any]) -> None:
    """The room's card updated and a line in its chat (``said``: what it says, for the
    pages to word), after the commit."""
    publish_after_commit(
        session,
        RoomNotice(
            room_id=auction.room_id,
            topic=f"auction:{auction.id}",
            payload=card(auction),
            line=line,
            line_kind="announcement",
            says=said,
        ),
    )


@dataclass(frozen=True)
class BidNews:
    """What an accepted bid tells: who bid (their public name), its place in the log, the
    price after it, whom it outbid, whether it extended the deadline, and when."""

    bidder_name: str
    bidder_id: int
    seq: int
    price: int
    outbid_id: int | None
    extended: bool
    moment: datetime


def tell_bids(session: Session, told: Sequence[tuple[Auction, BidNews]]) -> None:
    """What accepted bids tell, after the commit: each outbid leader a notice (all of
    them in one write), the room a line per bid with the bidder's masked name (and the
    card with ``auction``'s state). Called once per bid, whichever engine decided it:
    the SQL engine tells its one bid, the Redis persister a batch."""
    notices = [
        (
            news.outbid_id,
            Notice(
                NotificationKind.AUCTION_OUTBID,
                f"auction_outbid:{auction.id}:{news.seq}",
                {"item": auction.title, "price": news.price},
                f"/rooms/{auction.room_id}",
            ),
        )
        for auction, news in told
        if news.outbid_id is not None and news.outbid_id != news.bidder_id
    ]
    if notices:
        notify_each(session, notices=notices, now=max(news.moment for _, news in told))
    for auction, news in told:
        bidder = mask_username(news.bidder_name)
        line = f"{bidder} 出价, 当前价 {yuan(news.price)}"
        if news.extended:
            line += f" · 延时 {auction.extend_seconds} 秒"
        extended = auction.extend_seconds if news.extended else 0
        bid = says("auction_bid", bidder=bidder, price=news.price, extended=extended)
        announce(session, auction, line=line, said=bid)


def card(auction: Auction) -> dict[str, object]:
    """The room's live view: the auction card with its countdown."""
    return {
        "id": auction.id,
        "title": auction.title,
        "status": str(auction.status),
        "current_price": auction.current_price,
        "starting_price": auction.starting_price,
        "next_minimum": next_minimum(auction),
        "bid_count": auction.bid_count,
        "ends_at": as_utc(auction.ends_at).isoformat() if auction.ends_at else None,
        "ending": str(auction.ending),
    }


def list_room_auctions(session: Session, *, room_id: int) -> Sequence[Auction]:
    return session.scalars(
        select(Auction).where(Auction.room_id == room_id).order_by(Auction.id.desc())
    ).all()


def _bid_out(
    bid: AuctionBid | DecidedBid, name: str, *, viewer: User | None, insider: bool
) -> BidOut:
    own = viewer is not None and viewer.id == bid.bidder_id
    return BidOut(
        seq=bid.seq,
        bidder=mask_username(name),
        bidder_id=bid.bidder_id if own or insider else None,
        max_amount=bid.max_amount if own else None,
        price_after=bid.price_after,
        leading=bid.leading,
        at=bid.created_at,
    )


def auction_out(
    session: Session, auction: Auction, *, viewer: User | None, now: datetime | None = None
) -> AuctionOut:
    moment = now or utcnow()
    room = room_facts(session, auction.room_id)
    insider = access.can_see_bidders(
        session, actor=viewer, shop_id=auction.shop_id, host_id=room.host_id
    )
    rows = session.execute(
        select(AuctionBid, User.public_name)
        .join(User, User.id == AuctionBid.bidder_id)
        .where(AuctionBid.auction_id == auction.id)
        .order_by(AuctionBid.seq.desc())
        .limit(PUBLIC_BIDS)
    ).all()
    names = {}
    for user_id in {auction.leader_id, auction.buyer_id} - {None}:
        user = session.get(User, user_id)
        names[user_id] = user.public_name if user else "?"
    ends_at = as_utc(auction.ends_at) if auction.ends_at else None
    left = None
    if ends_at is not None and auction.status == AuctionStatus.RUNNING:
        left = max((ends_at - moment).total_seconds(), 0.0)
    buyer_sees = viewer is not None and viewer.id == auction.buyer_id
    return AuctionOut(
        id=auction.id,
        room_id=auction.room_id,
        shop_id=auction.shop_id,
        product_id=auction.product_id,
        sku_id=auction.sku_id,
        title=auction.title,
        currency=auction.currency,
        status=str(auction.status),
        ending=str(auction.ending),
        starting_price=auction.starting_price,
        has_reserve=auction.reserve_price is not None,
        reserve_met=auction.reserve_price is None
        or (auction.current_price or 0) >= auction.reserve_price,
        increments=[(int(a), int(b)) for a, b in auction.increments],
        extend_seconds=auction.extend_seconds,
        current_price=auction.current_price,
        next_minimum=next_minimum(auction),
        leader=mask_username(names[auction.leader_id]) if auction.leader_id else None,
        bid_count=auction.bid_count,
        starts_at=auction.starts_at,
        ends_at=ends_at,
        seconds_left=left,
        buyer=mask_username(names[auction.buyer_id]) if auction.buyer_id else None,
        sold_price=auction.sold_price,
        order_id=auction.order_id if buyer_sees or insider else None,
        bids=[_bid_out(bid, name, viewer=viewer, insider=insider) for bid, name in rows],
    )


def bid_result(
    standing: Standing,
    bid: AuctionBid | DecidedBid,
    *,
    viewer: User,
    replayed: bool,
    now: datetime | None = None,
) -> BidResult:
    """A bid's reply to its bidder: the bid (with their own maximum) and where the
    auction stands after it. Reads nothing: the access was checked before the bid."""
    facts = standing.facts
    ends_at = as_utc(standing.ends_at) if standing.ends_at else None
    left = None
    if ends_at is not None and standing.status == AuctionStatus.RUNNING:
        left = max((ends_at - (now or utcnow())).total_seconds(), 0.0)
    current = standing.current_price if standing.leader_id is not None else None
    return BidResult(
        auction=StandingOut(
            id=facts.id,
            status=standing.status,
            current_price=standing.current_price,
            next_minimum=minimum_bid(
                increments=facts.increments,
                starting_price=facts.starting_price,
                current_price=current,
            ),
            leader=standing.leader,
            bid_count=standing.bid_count,
            reserve_met=facts.reserve_price is None
            or (standing.current_price or 0) >= facts.reserve_price,
            ends_at=ends_at,
            seconds_left=left,
        ),
        bid=_bid_out(bid, viewer.username, viewer=viewer, insider=False),
        replayed=replayed,
    )

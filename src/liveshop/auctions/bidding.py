"""Bidding: one bid is one transaction that locks the auction's row (``SELECT ... FOR
UPDATE`` on PostgreSQL; on SQLite every writing unit of work begins with ``BEGIN
IMMEDIATE``, which already admits one writer at a time), decides the bid against the
row by the proxy rule (``proxy.py``), writes it to the log with its place (``seq``)
and updates the row. A retried bid (same bidder and idempotency key) answers with the
bid it made the first time; the unique (auction, bidder, key) constraint backs that up.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from liveshop.accounts.models import User
from liveshop.auctions import access
from liveshop.auctions.models import Auction, AuctionBid, AuctionEnding, AuctionStatus
from liveshop.auctions.proxy import decide, yuan
from liveshop.auctions.service import get_auction
from liveshop.auctions.views import announce
from liveshop.core.clock import as_utc, utcnow
from liveshop.core.errors import Conflict, InvalidInput
from liveshop.core.rooms import room_facts
from liveshop.notifications.centre import Notice, notify_users
from liveshop.notifications.models import NotificationKind
from liveshop.privacy.masking import mask_username


class AuctionClosed(Conflict):
    code = "auction_closed"


def place_bid(
    session: Session,
    *,
    bidder: User,
    auction_id: int,
    max_amount: int,
    idempotency_key: str,
    now: datetime | None = None,
) -> tuple[Auction, AuctionBid, bool]:
    """Decide one bid under the auction's lock; (auction, bid, replayed)."""
    if not idempotency_key or len(idempotency_key) > 100:
        raise InvalidInput("an Idempotency-Key of 1-100 characters is required")
    auction = get_auction(session, auction_id=auction_id, lock=True)
    earlier = session.scalars(
        select(AuctionBid).where(
            AuctionBid.auction_id == auction.id,
            AuctionBid.bidder_id == bidder.id,
            AuctionBid.idempotency_key == idempotency_key,
        )
    ).first()
    if earlier is not None:
        if earlier.max_amount != max_amount:
            raise Conflict(
                "this Idempotency-Key was used for another amount", code="idempotency_conflict"
            )
        return auction, earlier, True
    room = room_facts(session, auction.room_id)
    access.require_bidder(session, actor=bidder, shop_id=auction.shop_id, room=room)
    moment = now or utcnow()
    if auction.status != AuctionStatus.RUNNING or auction.ends_at is None:
        raise AuctionClosed("the auction is not taking bids")
    if moment >= as_utc(auction.ends_at):
        raise AuctionClosed("the auction has ended")
    decision = decide(
        increments=auction.increments,
        starting_price=auction.starting_price,
        reserve_price=auction.reserve_price,
        leader_id=auction.leader_id,
        leader_max=auction.leader_max,
        current_price=auction.current_price,
        bidder_id=bidder.id,
        max_amount=max_amount,
    )
    auction.bid_count += 1
    bid = AuctionBid(
        auction_id=auction.id,
        seq=auction.bid_count,
        bidder_id=bidder.id,
        max_amount=max_amount,
        price_after=decision.price,
        leading=decision.leading,
        idempotency_key=idempotency_key,
        created_at=moment,
    )
    auction.current_price = decision.price
    auction.leader_id = decision.leader_id
    auction.leader_max = decision.leader_max
    extended = False
    if auction.ending == AuctionEnding.EXTEND and auction.extend_seconds > 0:
        floor = moment + timedelta(seconds=auction.extend_seconds)
        if as_utc(auction.ends_at) < floor:
            auction.ends_at = floor
            extended = True
    try:
        with session.begin_nested():
            session.add(bid)
            session.flush()
    except IntegrityError as error:  # only if a lock was somehow not held
        raise Conflict("this bid is being placed already", code="bid_in_progress") from error
    if decision.outbid_id is not None and decision.outbid_id != bidder.id:
        notify_users(
            session,
            user_ids=[decision.outbid_id],
            notice=Notice(
                NotificationKind.AUCTION_OUTBID,
                f"auction_outbid:{auction.id}:{bid.seq}",
                "你的出价已被超过",
                f"{auction.title} 当前价 {yuan(decision.price)}",
                f"/rooms/{auction.room_id}",
            ),
            now=moment,
        )
    line = f"{mask_username(bidder.username)} 出价, 当前价 {yuan(decision.price)}"
    if extended:
        line += f" · 延时 {auction.extend_seconds} 秒"
    announce(session, auction, line=line)
    return auction, bid, False

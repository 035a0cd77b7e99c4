"""Auctions: creating and starting one, bidding (proxy bids), closing and second chances.

A bid is one transaction that locks the auction's row (``SELECT ... FOR UPDATE``
on PostgreSQL; on SQLite every writing unit of work begins with ``BEGIN
IMMEDIATE``, which already admits one writer at a time), decides the bid against
the row, writes it to the log with its place (``seq``) and updates the row. A
retried bid (same bidder and idempotency key) answers with the bid it made the
first time; the unique (auction, bidder, key) constraint backs that up.

Proxy bidding: each bidder gives the most they will pay; the price is the
second-highest maximum plus one increment (the increment of the band that
maximum falls in), capped at the leader's maximum, and never below the starting
price (nor below the reserve once the leader's maximum reaches it). On equal
maxima the earlier bid leads.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from liveshop.accounts.models import User
from liveshop.auctions import access
from liveshop.auctions.models import Auction, AuctionBid, AuctionEnding, AuctionStatus
from liveshop.auctions.schemas import AuctionIn, AuctionOut, BidOut, BidResult
from liveshop.catalog import service as catalog
from liveshop.catalog.models import Product
from liveshop.core.bus import publish_after_commit
from liveshop.core.clock import as_utc, utcnow
from liveshop.core.errors import Conflict, InvalidInput, LiveShopError, NotFound
from liveshop.core.rooms import RoomNotice, room_facts
from liveshop.notifications.centre import Notice, notify_users
from liveshop.notifications.models import NotificationKind
from liveshop.orders.models import Order, OrderStatus
from liveshop.orders.placement import place_order
from liveshop.orders.schemas import OrderIn, OrderItemIn
from liveshop.privacy.masking import mask_username

PUBLIC_BIDS = 50  # the room's bid log shows the latest bids


class AuctionClosed(Conflict):
    code = "auction_closed"


class BidTooLow(Conflict):
    code = "bid_too_low"


def yuan(amount: int) -> str:
    return f"¥{amount / 100:.2f}"


def increment_at(increments: Sequence[Sequence[int]], price: int) -> int:
    """The step of the band ``price`` falls in."""
    step = int(increments[0][1])
    for start, band_step in increments:
        if price >= start:
            step = int(band_step)
    return step


def next_minimum(auction: Auction) -> int:
    """The least a new bidder may offer now."""
    if auction.leader_id is None or auction.current_price is None:
        return auction.starting_price
    return auction.current_price + increment_at(auction.increments, auction.current_price)


@dataclass(frozen=True)
class Decision:
    """What a bid does to the auction: the new price, leader and their maximum."""

    price: int
    leader_id: int
    leader_max: int
    leading: bool  # the bidder leads after the bid
    outbid_id: int | None  # a previous leader who lost the lead


def decide(
    *,
    increments: Sequence[Sequence[int]],
    starting_price: int,
    reserve_price: int | None,
    leader_id: int | None,
    leader_max: int | None,
    current_price: int | None,
    bidder_id: int,
    max_amount: int,
) -> Decision:
    """The proxy rule, without the database (see the module)."""
    if leader_id is None or leader_max is None or current_price is None:
        if max_amount < starting_price:
            raise BidTooLow(f"the starting price is {yuan(starting_price)}")
        price = starting_price
        if reserve_price is not None and max_amount >= reserve_price:
            price = max(price, reserve_price)
        return Decision(price, bidder_id, max_amount, True, None)
    if bidder_id == leader_id:
        if max_amount <= leader_max:
            raise BidTooLow(
                f"you lead with a maximum of {yuan(leader_max)}; raise it to change it",
                code="not_above_own_maximum",
            )
        price = current_price
        if reserve_price is not None and max_amount >= reserve_price:
            price = max(price, reserve_price)
        return Decision(price, bidder_id, max_amount, True, None)
    minimum = current_price + increment_at(increments, current_price)
    if max_amount < minimum:
        raise BidTooLow(f"the next bid is at least {yuan(minimum)}")
    if max_amount > leader_max:
        price = min(max_amount, leader_max + increment_at(increments, leader_max))
        if reserve_price is not None and max_amount >= reserve_price:
            price = max(price, reserve_price)
        return Decision(price, bidder_id, max_amount, True, leader_id)
    # the leader's proxy answers: the earlier bid keeps the lead on a tie
    price = min(leader_max, max_amount + increment_at(increments, max_amount))
    return Decision(max(price, current_price), leader_id, leader_max, False, None)


# --- creating and starting


def get_auction(session: Session, *, auction_id: int, lock: bool = False) -> Auction:
    auction = session.get(Auction, auction_id, with_for_update=lock, populate_existing=lock)
    if auction is None:
        raise NotFound(f"auction {auction_id} not found", code="auction_not_found")
    return auction


def create_auction(session: Session, *, actor: User, body: AuctionIn) -> Auction:
    room = room_facts(session, body.room_id)
    sku = catalog.get_sku(session, sku_id=body.sku_id)
    product = session.get_one(Product, sku.product_id)
    access.require_goods_offerer(
        session, actor=actor, room=room, shop_id=product.shop_id, product_id=product.id
    )
    if room.status == "ended":
        raise Conflict("the room has ended", code="room_ended")
    if sku.stock < 1:
        raise Conflict("the SKU is out of stock", code="out_of_stock")
    if body.reserve_price is not None and body.reserve_price < body.starting_price:
        raise InvalidInput("the reserve is below the starting price", code="reserve_below_start")
    auction = Auction(
        room_id=room.id,
        shop_id=product.shop_id,
        product_id=product.id,
        sku_id=sku.id,
        title=product.title,
        currency=product.currency,
        created_by=actor.id,
        starting_price=body.starting_price,
        reserve_price=body.reserve_price,
        increments=[list(band) for band in body.increments],
        ending=AuctionEnding(body.ending),
        duration_seconds=body.duration_seconds,
        extend_seconds=body.extend_seconds if body.ending == "extend" else 0,
        payment_minutes=body.payment_minutes,
        status=AuctionStatus.DRAFT,
        bid_count=0,
    )
    session.add(auction)
    session.flush()
    return auction


def start_auction(
    session: Session, *, actor: User, auction_id: int, now: datetime | None = None
) -> Auction:
    auction = get_auction(session, auction_id=auction_id, lock=True)
    room = room_facts(session, auction.room_id)
    access.require_auction_runner(session, actor=actor, shop_id=auction.shop_id, room=room)
    if auction.status != AuctionStatus.DRAFT:
        raise Conflict("the auction has started already", code="auction_started")
    if room.status != "live":
        raise Conflict("start the auction while the room is live", code="room_not_live")
    moment = now or utcnow()
    auction.status = AuctionStatus.RUNNING
    auction.starts_at = moment
    auction.ends_at = moment + timedelta(seconds=auction.duration_seconds)
    session.flush()
    _announce(
        session, auction, line=f"拍卖开始: {auction.title} 起拍价 {yuan(auction.starting_price)}"
    )
    return auction


# --- bidding


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
    _announce(session, auction, line=line)
    return auction, bid, False


# --- closing and second chances


def close_due_auctions(session: Session, *, now: datetime | None = None) -> list[int]:
    """Close every running auction past its deadline: the winner's order is placed at
    once (through orders' placement) at the final price. Returns the closed ids."""
    moment = now or utcnow()
    due = session.scalars(
        select(Auction.id).where(Auction.status == AuctionStatus.RUNNING, Auction.ends_at <= moment)
    ).all()
    closed = []
    for auction_id in due:
        auction = get_auction(session, auction_id=auction_id, lock=True)
        if auction.status != AuctionStatus.RUNNING or as_utc(auction.ends_at or moment) > moment:
            continue
        auction.closed_at = moment
        met = auction.reserve_price is None or (auction.current_price or 0) >= auction.reserve_price
        if auction.leader_id is None or auction.current_price is None or not met:
            auction.status = AuctionStatus.UNSOLD
            _announce(session, auction, line=f"拍卖结束: {auction.title} 流拍")
        else:
            _sell(
                session, auction, buyer_id=auction.leader_id, price=auction.current_price, key="won"
            )
        closed.append(auction.id)
    session.flush()
    return closed


def _sell(session: Session, auction: Auction, *, buyer_id: int, price: int, key: str) -> None:
    buyer = session.get_one(User, buyer_id)
    try:
        with session.begin_nested():
            order, _created = place_order(
                session,
                buyer=buyer,
                body=OrderIn(
                    items=[OrderItemIn(sku_id=auction.sku_id, quantity=1)], room_id=auction.room_id
                ),
                idempotency_key=f"auction-{auction.id}-{key}",
                payment_minutes=auction.payment_minutes,
                unit_price_override=price,
            )
    except LiveShopError as error:
        auction.status = AuctionStatus.UNSOLD
        _announce(session, auction, line=f"拍卖结束: {auction.title} 未能成交 ({error.code})")
        return
    auction.status = AuctionStatus.WON if key == "won" else AuctionStatus.OFFERED
    auction.buyer_id = buyer.id
    auction.sold_price = price
    auction.order_id = order.id
    _announce(
        session,
        auction,
        line=f"{'成交' if key == 'won' else '转让给次高出价者'}: {auction.title} "
        f"{mask_username(buyer.username)} {yuan(price)}",
    )


def runner_up(session: Session, *, auction: Auction) -> tuple[int, int] | None:
    """(bidder, their highest maximum) of the best bidder other than the winner."""
    best: tuple[int, int] | None = None
    rows = session.execute(
        select(AuctionBid.bidder_id, AuctionBid.max_amount)
        .where(AuctionBid.auction_id == auction.id, AuctionBid.bidder_id != auction.buyer_id)
        .order_by(AuctionBid.seq)
    ).all()
    for bidder_id, amount in rows:  # in bid order: the earlier bid wins a tie
        if best is None or amount > best[1]:
            best = (bidder_id, amount)
    return best


def offer_unpaid_auctions(session: Session, *, now: datetime | None = None) -> list[int]:
    """Won auctions whose order was not paid in time: the runner-up is offered the
    item at their own highest bid (an order placed for them, paid within the same
    window); with nobody left, or after a second unpaid offer, the item is unsold."""
    moment = now or utcnow()
    candidates = session.execute(
        select(Auction.id, Order.status, Order.expires_at)
        .join(Order, Order.id == Auction.order_id)
        .where(Auction.status.in_([AuctionStatus.WON, AuctionStatus.OFFERED]))
    ).all()
    offered: list[int] = []
    for auction_id, status, expires_at in candidates:
        unpaid = status == OrderStatus.CANCELLED or (
            status == OrderStatus.PENDING_PAYMENT
            and expires_at is not None
            and as_utc(expires_at) <= moment
        )
        if not unpaid:
            continue
        auction = get_auction(session, auction_id=auction_id, lock=True)
        if auction.status == AuctionStatus.OFFERED:
            auction.status = AuctionStatus.UNSOLD
            continue
        second = runner_up(session, auction=auction)
        if second is None:
            auction.status = AuctionStatus.UNSOLD
            continue
        bidder_id, amount = second
        reserve = auction.reserve_price or 0
        if amount < reserve:
            auction.status = AuctionStatus.UNSOLD
            continue
        _sell(session, auction, buyer_id=bidder_id, price=amount, key="offer")
        offered.append(auction.id)
    session.flush()
    return offered


# --- reading


def _announce(session: Session, auction: Auction, *, line: str) -> None:
    publish_after_commit(
        session,
        RoomNotice(
            room_id=auction.room_id,
            topic=f"auction:{auction.id}",
            payload=card(auction),
            line=line,
            line_kind="announcement",
        ),
    )


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


def _bid_out(bid: AuctionBid, name: str, *, viewer: User | None, insider: bool) -> BidOut:
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
    insider = access.can_see_bidders(session, actor=viewer, shop_id=auction.shop_id, room=room)
    rows = session.execute(
        select(AuctionBid, User.username)
        .join(User, User.id == AuctionBid.bidder_id)
        .where(AuctionBid.auction_id == auction.id)
        .order_by(AuctionBid.seq.desc())
        .limit(PUBLIC_BIDS)
    ).all()
    names = {}
    for user_id in {auction.leader_id, auction.buyer_id} - {None}:
        user = session.get(User, user_id)
        names[user_id] = user.username if user else "?"
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
    session: Session, auction: Auction, bid: AuctionBid, *, viewer: User, replayed: bool
) -> BidResult:
    return BidResult(
        auction=auction_out(session, auction, viewer=viewer),
        bid=_bid_out(bid, viewer.username, viewer=viewer, insider=False),
        replayed=replayed,
    )

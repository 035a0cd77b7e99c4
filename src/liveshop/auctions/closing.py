"""Closing and second chances, run by the closing job (``jobs.py``): an auction past
its deadline is sold to its leader (the winner's order placed at once through orders'
placement, at the final price) or left unsold; a won item whose order went unpaid is
offered to the runner-up at their own highest maximum, the unpaid order's unit passed
straight to the offer (never through the shelf). Each auction is decided under its row
lock."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from liveshop.accounts.models import User
from liveshop.auctions.models import Auction, AuctionBid, AuctionStatus
from liveshop.auctions.proxy import yuan
from liveshop.auctions.service import get_auction
from liveshop.auctions.views import announce
from liveshop.catalog import service as catalog
from liveshop.core.clock import as_utc, utcnow
from liveshop.core.errors import LiveShopError
from liveshop.core.rooms import says
from liveshop.orders.models import Order, OrderOrigin, OrderStatus
from liveshop.orders.placement import place_order
from liveshop.orders.schemas import OrderIn, OrderItemIn
from liveshop.orders.service import IllegalTransition, transition
from liveshop.privacy.masking import mask_username

SOLD_STATUSES = (AuctionStatus.WON, AuctionStatus.OFFERED)


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
            unsold = says("auction_unsold", title=auction.title)
            announce(session, auction, line=f"拍卖结束: {auction.title} 流拍", said=unsold)
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
                origin=OrderOrigin.AUCTION,
                unit_price_override=price,
            )
    except LiveShopError as error:
        auction.status = AuctionStatus.UNSOLD
        failed = says("auction_not_sold", title=auction.title)
        line = f"拍卖结束: {auction.title} 未能成交 ({error.code})"
        announce(session, auction, line=line, said=failed)
        return
    auction.status = AuctionStatus.WON if key == "won" else AuctionStatus.OFFERED
    auction.buyer_id = buyer.id
    auction.sold_price = price
    auction.order_id = order.id
    shown_buyer = mask_username(buyer.public_name)
    sold = says(
        "auction_sold" if key == "won" else "auction_offered",
        title=auction.title,
        buyer=shown_buyer,
        price=price,
    )
    announce(
        session,
        auction,
        line=f"{'成交' if key == 'won' else '转让给次高出价者'}: {auction.title} "
        f"{shown_buyer} {yuan(price)}",
        said=sold,
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
    """Won auctions whose order was cancelled or not paid in time (such an order is
    cancelled here): the item's unit, which the cancelled order left with the auction
    (``orders.service``), passes straight to an order for the runner-up at their own
    highest bid, paid within the same window; with nobody left, below the reserve, or
    after a second unpaid offer, the item is unsold and the unit goes back to the
    shelf. An order held for a risk review waits for the analyst, as its expiry does.
    Safe in several workers at once: each auction is decided under its row lock, for
    the order it still names. Returns the auctions offered."""
    moment = now or utcnow()
    candidates = session.execute(
        select(Auction.id, Auction.order_id)
        .join(Order, Order.id == Auction.order_id)
        .where(
            Auction.status.in_(SOLD_STATUSES),
            (Order.status == OrderStatus.CANCELLED)
            | (
                (Order.status == OrderStatus.PENDING_PAYMENT)
                & Order.risk_hold.is_(False)
                & (Order.expires_at <= moment)
            ),
        )
        .order_by(Auction.id)
    ).all()
    offered: list[int] = []
    for auction_id, order_id in candidates:
        auction = get_auction(session, auction_id=auction_id, lock=True)
        if auction.status not in SOLD_STATUSES or auction.order_id != order_id:
            continue  # another worker decided it meanwhile
        if order_id is None or not _cancelled_unpaid(session, order_id=order_id, moment=moment):
            continue  # paid (or put on hold) meanwhile
        if _pass_unit_on(session, auction):
            offered.append(auction.id)
    session.flush()
    return offered


def _cancelled_unpaid(session: Session, *, order_id: int, moment: datetime) -> bool:
    """True when the order is cancelled, after cancelling it here if its payment time
    ran out (an order held for a risk review never runs out)."""
    order = session.get_one(Order, order_id, populate_existing=True)
    if order.status is OrderStatus.PENDING_PAYMENT:
        if order.risk_hold or order.expires_at is None or as_utc(order.expires_at) > moment:
            return False
        try:
            with session.begin_nested():
                transition(
                    session,
                    order=order,
                    to=OrderStatus.CANCELLED,
                    actor_id=None,
                    note="payment time ran out",
                    expires_at=None,
                )
        except IllegalTransition:
            return False  # paid meanwhile
    return order.status is OrderStatus.CANCELLED


def _pass_unit_on(session: Session, auction: Auction) -> bool:
    """The unit an unpaid order left with the auction goes to the runner-up's order or,
    when there is none to offer, back to the shelf. Both in this transaction, under the
    SKU row's lock from the release on: no other buyer can take the unit in between.
    Returns whether the runner-up was offered it."""
    catalog.release_stock(session, sku_id=auction.sku_id, quantity=1)
    second = runner_up(session, auction=auction) if auction.status == AuctionStatus.WON else None
    if second is None or second[1] < (auction.reserve_price or 0):
        auction.status = AuctionStatus.UNSOLD
        return False
    bidder_id, amount = second
    _sell(session, auction, buyer_id=bidder_id, price=amount, key="offer")
    return auction.status == AuctionStatus.OFFERED

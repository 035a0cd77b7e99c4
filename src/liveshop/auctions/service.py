"""Auctions: creating and starting one. The other use cases have their own modules:
bidding (``bidding.py``, the proxy rule in ``proxy.py``), closing due auctions and
second chances (``closing.py``), and what the room and the API see (``views.py``).

An auction of one SKU of the host's shop is created as a draft in a live room and
started while the room is live; its deadline runs from the start.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from liveshop.accounts.models import User
from liveshop.auctions import access
from liveshop.auctions.models import Auction, AuctionEnding, AuctionStatus
from liveshop.auctions.proxy import yuan
from liveshop.auctions.schemas import AuctionIn
from liveshop.auctions.views import announce
from liveshop.catalog import service as catalog
from liveshop.catalog.models import Product
from liveshop.core.clock import utcnow
from liveshop.core.errors import Conflict, InvalidInput, NotFound
from liveshop.core.rooms import room_facts, says


def get_auction(session: Session, *, auction_id: int, lock: bool = False) -> Auction:
    auction = session.get(Auction, auction_id, with_for_update=lock, populate_existing=lock)
    if auction is None:
        raise auction_not_found(auction_id)
    return auction


def auction_not_found(auction_id: int) -> NotFound:
    return NotFound(f"auction {auction_id} not found", code="auction_not_found")


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
    access.require_auction_runner(
        session, actor=actor, shop_id=auction.shop_id, host_id=room.host_id
    )
    if auction.status != AuctionStatus.DRAFT:
        raise Conflict("the auction has started already", code="auction_started")
    if room.status != "live":
        raise Conflict("start the auction while the room is live", code="room_not_live")
    moment = now or utcnow()
    auction.status = AuctionStatus.RUNNING
    auction.starts_at = moment
    auction.ends_at = moment + timedelta(seconds=auction.duration_seconds)
    session.flush()
    line = f"拍卖开始: {auction.title} 起拍价 {yuan(auction.starting_price)}"
    started = says("auction_started", title=auction.title, price=auction.starting_price)
    announce(session, auction, line=line, said=started)
    return auction

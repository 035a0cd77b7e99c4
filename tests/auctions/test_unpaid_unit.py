"""The one unit of a won auction whose order goes unpaid (cancelled by the buyer, run
out of payment time in the orders' expiry job or in the auction's own) passes straight
to the runner-up's order: another shopper cannot buy it from the shelf in between. With
nobody left to offer it, it goes back to the shelf."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select, update

from liveshop.accounts.models import User
from liveshop.auctions.closing import offer_unpaid_auctions
from liveshop.auctions.models import Auction, AuctionStatus
from liveshop.catalog.models import Sku
from liveshop.core.clock import as_utc
from liveshop.core.db import unit_of_work
from liveshop.core.errors import LiveShopError
from liveshop.orders import service as orders
from liveshop.orders.models import Order, OrderStatus
from liveshop.orders.placement import place_order
from liveshop.orders.schemas import OrderIn, OrderItemIn
from liveshop.promotions.stock_engines import SqlStockEngine
from tests.auctions.conftest import Shelf, bidders, won_auction


def _last_unit_won(database_url: str, shelf: Shelf) -> tuple[int, int, int]:
    """A won auction of the SKU's last unit: (auction, winner, runner-up); the shelf
    holds none once the winner's order took it."""
    with unit_of_work(database_url) as session:
        session.execute(update(Sku).where(Sku.id == shelf.sku_id).values(stock=1))
    won = won_auction(database_url, shelf, "lot")
    assert _shelf_stock(database_url, shelf) == 0
    return won


def _shelf_stock(database_url: str, shelf: Shelf) -> int:
    with unit_of_work(database_url, writes=False) as session:
        return session.get_one(Sku, shelf.sku_id).stock


def _order_of(database_url: str, auction_id: int) -> tuple[int, timedelta]:
    """The auction's current order, and how long until a minute after its window."""
    with unit_of_work(database_url, writes=False) as session:
        order = session.get_one(Order, session.get_one(Auction, auction_id).order_id)
        assert order.expires_at is not None
        return order.id, as_utc(order.expires_at) - as_utc(order.created_at) + timedelta(minutes=1)


def _shopper_buys(database_url: str, shelf: Shelf) -> str:
    """A shopper's attempt to buy the SKU from the shelf: the refusal's code, or "bought"."""
    shopper = bidders(database_url, 1, prefix="shopper")[0]
    try:
        with unit_of_work(database_url) as session:
            place_order(
                session,
                buyer=session.get_one(User, shopper),
                body=OrderIn(items=[OrderItemIn(sku_id=shelf.sku_id, quantity=1)]),
                idempotency_key="from-the-shelf",
                payment_minutes=30,
            )
    except LiveShopError as refusal:
        return refusal.code
    return "bought"


def _end_unpaid(database_url: str, how: str, *, order_id: int, late: timedelta) -> None:
    with unit_of_work(database_url) as session:
        order = session.get_one(Order, order_id)
        if how == "cancelled":
            orders.cancel_order(
                session,
                actor=session.get_one(User, order.buyer_id),
                order_id=order_id,
                engine=SqlStockEngine(),
            )
        elif how == "expired":
            moment = as_utc(order.created_at) + late
            assert orders.expire_unpaid_orders(session, engine=SqlStockEngine(), now=moment) == 1


def _offer(database_url: str, *, order_id: int, late: timedelta) -> list[int]:
    """The auction job's round a minute after the order's payment window."""
    with unit_of_work(database_url) as session:
        moment = as_utc(session.get_one(Order, order_id).created_at) + late
        return offer_unpaid_auctions(session, now=moment)


@pytest.mark.parametrize("how", ["cancelled", "expired", "left_to_the_auction_job"])
def test_an_unpaid_winners_unit_goes_to_the_runner_up_not_the_shelf(
    database_url: str, shelf: Shelf, how: str
) -> None:
    auction_id, winner, runner_up = _last_unit_won(database_url, shelf)
    won_order, late = _order_of(database_url, auction_id)
    _end_unpaid(database_url, how, order_id=won_order, late=late)

    assert _shopper_buys(database_url, shelf) == "insufficient_stock"
    assert _offer(database_url, order_id=won_order, late=late) == [auction_id]

    assert _shelf_stock(database_url, shelf) == 0
    with unit_of_work(database_url, writes=False) as session:
        auction = session.get_one(Auction, auction_id)
        assert (auction.status, auction.buyer_id, auction.sold_price) == (
            AuctionStatus.OFFERED,
            runner_up,
            3_000,
        )
        placed = session.execute(
            select(Order.buyer_id, Order.status, Order.items_total)
            .where(Order.idempotency_key.like(f"auction-{auction_id}-%"))
            .order_by(Order.id)
        ).all()
    assert [tuple(row) for row in placed] == [
        (winner, OrderStatus.CANCELLED, 3_100),
        (runner_up, OrderStatus.PENDING_PAYMENT, 3_000),
    ]


def test_an_unpaid_offer_puts_the_unit_back_on_the_shelf(database_url: str, shelf: Shelf) -> None:
    auction_id, _winner, _runner_up = _last_unit_won(database_url, shelf)
    won_order, late = _order_of(database_url, auction_id)
    assert _offer(database_url, order_id=won_order, late=late) == [auction_id]
    offer_order, late = _order_of(database_url, auction_id)
    _end_unpaid(database_url, "cancelled", order_id=offer_order, late=late)
    assert _shelf_stock(database_url, shelf) == 0  # the auction still holds it

    assert _offer(database_url, order_id=offer_order, late=late) == []
    assert _offer(database_url, order_id=offer_order, late=late) == []  # released once

    assert _shelf_stock(database_url, shelf) == 1
    with unit_of_work(database_url, writes=False) as session:
        assert session.get_one(Auction, auction_id).status == AuctionStatus.UNSOLD
    assert _shopper_buys(database_url, shelf) == "bought"

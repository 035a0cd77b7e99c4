"""An auction's order and the orders' risk review: an order held for review does not
count as unpaid (the analyst decides, as its expiry waits for them), and a cancelled
auction order is never reopened on appeal (its item was offered to the runner-up): the
one item is never sold twice."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from liveshop.auctions.closing import offer_unpaid_auctions
from liveshop.auctions.models import Auction, AuctionStatus
from liveshop.core.clock import as_utc
from liveshop.core.db import unit_of_work
from liveshop.orders import risk_holds
from liveshop.orders.models import Order, OrderStatus
from liveshop.promotions.stock_engines import SqlStockEngine
from tests.auctions.conftest import Shelf, bidders, won_auction


def _winners_order(database_url: str, auction_id: int) -> tuple[int, timedelta]:
    """(the order, how long until a minute after its payment window)"""
    with unit_of_work(database_url) as session:
        order = session.get_one(Order, session.get_one(Auction, auction_id).order_id)
        assert order.expires_at is not None
        return order.id, as_utc(order.expires_at) - as_utc(order.created_at) + timedelta(minutes=1)


def test_a_held_winners_order_is_not_offered_to_the_runner_up(
    database_url: str, shelf: Shelf
) -> None:
    auction_id, winner, _runner_up = won_auction(database_url, shelf, "held")
    order_id, past_window = _winners_order(database_url, auction_id)
    with unit_of_work(database_url) as session:
        order = session.get_one(Order, order_id)
        order.risk_hold = True  # as the risk engine's REVIEW sets it
        late = as_utc(order.created_at) + past_window
    with unit_of_work(database_url) as session:
        assert offer_unpaid_auctions(session, now=late) == []
    with unit_of_work(database_url) as session:
        auction = session.get_one(Auction, auction_id)
        assert (auction.status, auction.order_id, auction.buyer_id) == (
            AuctionStatus.WON,
            order_id,
            winner,
        )


def test_a_cancelled_auction_order_is_not_reopened_on_appeal(
    database_url: str, shelf: Shelf
) -> None:
    auction_id, winner, runner_up = won_auction(database_url, shelf, "held")
    order_id, _ = _winners_order(database_url, auction_id)
    analyst = bidders(database_url, 1, prefix="analyst")[0]
    with unit_of_work(database_url) as session:
        risk_holds.cancel_rejected_order(
            session, order_id=order_id, analyst_id=analyst, engine=SqlStockEngine()
        )
    with unit_of_work(database_url) as session:
        assert offer_unpaid_auctions(session) == [auction_id]  # the runner-up's turn

    with unit_of_work(database_url) as session:  # the appeal clears the winner
        restored = risk_holds.restore_refused_order(
            session, order_id=order_id, analyst_id=analyst, payment_minutes=30
        )
    assert restored is False
    with unit_of_work(database_url) as session:
        open_orders = session.execute(
            select(Order.buyer_id).where(
                Order.idempotency_key.like(f"auction-{auction_id}-%"),
                Order.status == OrderStatus.PENDING_PAYMENT,
            )
        ).all()
    assert [tuple(row) for row in open_orders] == [(runner_up,)]  # one item, one buyer
    assert winner != runner_up

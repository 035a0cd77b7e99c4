"""Migration 0039 on a database whose auction orders were placed before the
``auction`` origin: the winner's order, the one an unpaid win's runner-up was offered,
and a later winner's are the auctions' again; a buyer's own order under a look-alike
key stays a checkout order."""

from __future__ import annotations

from datetime import timedelta

from alembic import command
from sqlalchemy import select, text

from liveshop.accounts.models import User
from liveshop.auctions.closing import offer_unpaid_auctions
from liveshop.auctions.models import Auction
from liveshop.core.clock import as_utc
from liveshop.core.db import unit_of_work
from liveshop.core.migrations import alembic_config, upgrade_database
from liveshop.orders.models import Order, OrderOrigin
from liveshop.orders.placement import place_order
from liveshop.orders.schemas import OrderIn, OrderItemIn
from tests.auctions.conftest import Shelf, bidders, won_auction


def test_auction_orders_from_before_the_origin_are_the_auctions(
    database_url: str, shelf: Shelf
) -> None:
    offered_id, winner, runner_up = won_auction(database_url, shelf, "first")
    with unit_of_work(database_url) as session:
        won = session.get_one(Order, session.get_one(Auction, offered_id).order_id)
        late = as_utc(won.expires_at or won.created_at) + timedelta(minutes=1)
        assert offer_unpaid_auctions(session, now=late) == [offered_id]
    sold_id, later_winner, _ = won_auction(database_url, shelf, "second")
    (stranger,) = bidders(database_url, 1, prefix="lookalike")
    with unit_of_work(database_url) as session:  # a buyer's own key, spelled like the job's
        lookalike, _created = place_order(
            session,
            buyer=session.get_one(User, stranger),
            body=OrderIn(
                items=[OrderItemIn(sku_id=shelf.sku_id, quantity=1)], room_id=shelf.room_id
            ),
            idempotency_key=f"auction-{offered_id}-won",
            payment_minutes=30,
        )
        assert lookalike.origin is OrderOrigin.CHECKOUT
    # the database as it was: every order a checkout one, before revision 0039
    command.downgrade(alembic_config(database_url), "0038")
    with unit_of_work(database_url) as session:
        session.execute(text("UPDATE orders SET origin = 'CHECKOUT'"))

    upgrade_database(database_url)

    with unit_of_work(database_url) as session:
        origins = {
            (buyer, key): origin
            for buyer, key, origin in session.execute(
                select(Order.buyer_id, Order.idempotency_key, Order.origin)
            )
        }
    assert origins == {
        (winner, f"auction-{offered_id}-won"): OrderOrigin.AUCTION,  # replaced by the offer
        (runner_up, f"auction-{offered_id}-offer"): OrderOrigin.AUCTION,
        (later_winner, f"auction-{sold_id}-won"): OrderOrigin.AUCTION,
        (stranger, f"auction-{offered_id}-won"): OrderOrigin.CHECKOUT,
    }

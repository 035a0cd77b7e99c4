"""An auction's orders say what made them (origin ``auction``): the winner's and the
one offered to the runner-up. Such an order is paid like any other (the ledger's
checks pass) and is never a prize to claim."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from liveshop.accounts.models import User
from liveshop.auctions.closing import offer_unpaid_auctions
from liveshop.auctions.models import Auction
from liveshop.core.clock import as_utc
from liveshop.core.db import unit_of_work
from liveshop.core.errors import LiveShopError
from liveshop.core.settings import Settings
from liveshop.orders import draws
from liveshop.orders.models import Order, OrderOrigin, OrderStatus, OrderTransition
from liveshop.payments import charges
from liveshop.payments.context import payment_context
from liveshop.payments.models import MethodKind, TopUpKind
from tests.auctions.conftest import Shelf, won_auction
from tests.payments.money import assert_ledger_verifies, credit


def test_the_winners_order_is_an_auction_order_paid_and_booked_like_any_other(
    database_url: str, shelf: Shelf, settings: Settings
) -> None:
    auction_id, winner, _runner_up = won_auction(database_url, shelf, "lot")
    with unit_of_work(database_url) as session:
        order = session.get_one(Order, session.get_one(Auction, auction_id).order_id)
        assert (order.origin, order.buyer_id, order.items_total) == (
            OrderOrigin.AUCTION,
            winner,
            3_100,
        )
        order_id, total = order.id, order.total
    with pytest.raises(LiveShopError) as refused, unit_of_work(database_url) as session:
        draws.claim_prize(session, user=session.get_one(User, winner), order_id=order_id)
    assert refused.value.code == "not_a_prize"
    with unit_of_work(database_url) as session:
        transitions = session.scalars(
            select(OrderTransition.to_status).where(OrderTransition.order_id == order_id)
        ).all()
        assert transitions == [OrderStatus.PENDING_PAYMENT]  # the refusal changed nothing

    credit(database_url, winner, kind=TopUpKind.WALLET, amount=total)
    with unit_of_work(database_url) as session:
        payment = charges.pay_order(
            session,
            buyer=session.get_one(User, winner),
            order_id=order_id,
            method=charges.MethodChoice(MethodKind.WALLET),
            idempotency_key="lot-pay",
            context=payment_context(settings),
        )
        assert payment.status.value == "succeeded"
    with unit_of_work(database_url) as session:
        assert session.get_one(Order, order_id).status is OrderStatus.PAID
    assert_ledger_verifies(database_url)


def test_the_runner_ups_offer_is_an_auction_order_too(database_url: str, shelf: Shelf) -> None:
    auction_id, _winner, runner_up = won_auction(database_url, shelf, "lot")
    with unit_of_work(database_url) as session:
        won = session.get_one(Order, session.get_one(Auction, auction_id).order_id)
        late = as_utc(won.expires_at or won.created_at) + timedelta(minutes=1)
        assert offer_unpaid_auctions(session, now=late) == [auction_id]
    with unit_of_work(database_url) as session:
        offer = session.get_one(Order, session.get_one(Auction, auction_id).order_id)
        assert (offer.origin, offer.buyer_id, offer.items_total) == (
            OrderOrigin.AUCTION,
            runner_up,
            3_000,
        )

"""The demo's won auction: the proxy price, the winner's order, and a second run
that changes nothing."""

from __future__ import annotations

import os

from liveshop.accounts.models import Role
from liveshop.auctions.demo_data import seed_won_auction
from liveshop.auctions.models import Auction
from liveshop.core.db import unit_of_work
from liveshop.orders.models import Order
from liveshop.payments.vault import MasterKey
from tests.auctions.conftest import Shelf
from tests.conftest import MakeAccount


def test_the_demo_auction_is_won_at_the_proxy_price(
    database_url: str, shelf: Shelf, make_account: MakeAccount
) -> None:
    make_account(Role.VIEWER, "ying")
    zhao = make_account(Role.VIEWER, "zhao")
    master = MasterKey(os.urandom(32))
    bids = [("ying", 12_000), ("zhao", 20_000)]
    auction_id = seed_won_auction(
        database_url, room_id=shelf.room_id, sku_id=shelf.sku_id, bids=bids, master=master
    )
    again = seed_won_auction(
        database_url, room_id=shelf.room_id, sku_id=shelf.sku_id, bids=bids, master=master
    )
    assert again == auction_id
    with unit_of_work(database_url) as session:
        auction = session.get_one(Auction, auction_id)
        assert (auction.status, auction.buyer_id, auction.sold_price) == ("won", zhao.id, 12_500)
        order = session.get_one(Order, auction.order_id)
        assert (order.buyer_id, order.items_total) == (zhao.id, 12_500)

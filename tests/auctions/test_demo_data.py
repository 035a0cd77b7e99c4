"""The demo's won auction, on each bid engine: its bids go through the configured
engine (on Redis, Redis decides them and the persister writes them), the proxy price,
the winner's order, and a second run that changes nothing."""

from __future__ import annotations

import os

from liveshop.accounts.models import Role
from liveshop.auctions.demo_data import seed_won_auction
from liveshop.auctions.engines import BidEngine
from liveshop.auctions.models import Auction
from liveshop.auctions.redis_bids import RedisBidEngine
from liveshop.core.db import unit_of_work
from liveshop.orders.models import Order
from liveshop.payments.vault import MasterKey
from tests.auctions.conftest import Shelf, bid_log
from tests.conftest import MakeAccount


def test_the_demo_auction_is_won_at_the_proxy_price(
    database_url: str, shelf: Shelf, make_account: MakeAccount, bid_engine: BidEngine
) -> None:
    ying = make_account(Role.VIEWER, "ying")
    zhao = make_account(Role.VIEWER, "zhao")
    master = MasterKey(os.urandom(32))
    bids = [("ying", 12_000), ("zhao", 20_000)]

    def seed() -> int:
        return seed_won_auction(
            database_url,
            room_id=shelf.room_id,
            sku_id=shelf.sku_id,
            bids=bids,
            master=master,
            engine=bid_engine,
        )

    auction_id = seed()
    assert seed() == auction_id
    if isinstance(bid_engine, RedisBidEngine):  # Redis took the bids and answers retries
        answers = bid_engine.client.hgetall(bid_engine.keys(auction_id)[1])
        assert set(answers) == {
            f"{ying.id}:demo-auction-0".encode(),
            f"{zhao.id}:demo-auction-1".encode(),
        }
    with unit_of_work(database_url) as session:
        auction = session.get_one(Auction, auction_id)
        assert (auction.status, auction.buyer_id, auction.sold_price) == ("won", zhao.id, 12_500)
        assert [(row.bidder_id, row.seq) for row in bid_log(session, auction_id)] == [
            (ying.id, 1),
            (zhao.id, 2),
        ]
        order = session.get_one(Order, auction.order_id)
        assert (order.buyer_id, order.items_total) == (zhao.id, 12_500)

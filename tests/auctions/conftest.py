"""Fixtures for auctions: the promotions shelf (a merchant's product, a live room of a
host acting for the shop), bidders with a card on file, an auction ready to run, each
bid engine (SQL, Redis) on each database; an auction's stored bid log and the outcome
the proxy rule gives for it."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator, Sequence
from datetime import timedelta

import pytest
from pydantic import SecretStr
from sqlalchemy import Row, select
from sqlalchemy.orm import Session

from liveshop.accounts.models import User
from liveshop.auctions import bidding, proxy, service
from liveshop.auctions.closing import close_due_auctions
from liveshop.auctions.engines import SQL_BIDS, BidEngine
from liveshop.auctions.models import Auction, AuctionBid
from liveshop.auctions.redis_bids import RedisBidEngine
from liveshop.auctions.schemas import DEFAULT_INCREMENTS, AuctionIn
from liveshop.core.clock import as_utc
from liveshop.core.db import unit_of_work
from liveshop.payments.methods import add_payment_method
from liveshop.payments.schemas import CardIn
from liveshop.payments.vault import MasterKey
from tests.conftest import REDIS_URL, require_service
from tests.promotions.conftest import TEST_REDIS_DB, Shelf, create_buyers, shelf

__all__ = ["Shelf", "shelf"]

MASTER = MasterKey(os.urandom(32))


@pytest.fixture
def redis_bids() -> Iterator[RedisBidEngine]:
    """The Redis bid engine, its keys under a namespace of this test's own in the tests'
    Redis database."""
    require_service("Redis", REDIS_URL, 6379)
    engine = RedisBidEngine(f"{REDIS_URL}/{TEST_REDIS_DB}", namespace=f"test-{uuid.uuid4().hex}")
    yield engine
    stale = list(engine.client.scan_iter(f"{engine.namespace}:*"))
    if stale:
        engine.client.delete(*stale)
    engine.client.close()


@pytest.fixture(params=["sql", pytest.param("redis", marks=pytest.mark.redis)])
def bid_engine(request: pytest.FixtureRequest, database_url: str) -> BidEngine:
    """Each bid engine on each database."""
    if request.param == "sql":
        return SQL_BIDS
    engine: RedisBidEngine = request.getfixturevalue("redis_bids")
    return engine


def give_cards(database_url: str, user_ids: list[int]) -> None:
    with unit_of_work(database_url) as session:
        for user_id in user_ids:
            add_payment_method(
                session,
                user=session.get_one(User, user_id),
                body=CardIn(
                    card_number=SecretStr("4242424242424242"),
                    exp_month=12,
                    exp_year=2035,
                    cvc=SecretStr("123"),
                    save_consent=True,
                ),
                master=MASTER,
            )


def bidders(database_url: str, count: int, prefix: str = "bidder") -> list[int]:
    ids = create_buyers(database_url, count, prefix)
    give_cards(database_url, ids)
    return ids


def running_auction(database_url: str, shelf: Shelf, **terms: object) -> int:
    body = AuctionIn.model_validate(
        {"room_id": shelf.room_id, "sku_id": shelf.sku_id, "starting_price": 1_000, **terms}
    )
    with unit_of_work(database_url) as session:
        host = session.get_one(User, shelf.host.id)
        auction = service.create_auction(session, actor=host, body=body)
        service.start_auction(session, actor=host, auction_id=auction.id)
        return auction.id


def won_auction(database_url: str, shelf: Shelf, prefix: str) -> tuple[int, int, int]:
    """An auction closed at its deadline with its winner's order placed: (auction, winner,
    runner-up). The runner-up's maximum is 3,000; the winner's 5,000 wins at 3,100."""
    runner_up, winner = bidders(database_url, 2, prefix=prefix)
    auction_id = running_auction(database_url, shelf, duration_seconds=60)
    with unit_of_work(database_url) as session:
        for index, (who, amount) in enumerate([(runner_up, 3_000), (winner, 5_000)]):
            bidding.place_bid(
                session,
                bidder=session.get_one(User, who),
                auction_id=auction_id,
                max_amount=amount,
                idempotency_key=f"{prefix}-{index}",
            )
        ends_at = session.get_one(Auction, auction_id).ends_at
    assert ends_at is not None
    with unit_of_work(database_url) as session:
        closed = close_due_auctions(session, now=as_utc(ends_at) + timedelta(seconds=1))
        assert closed == [auction_id]
    return auction_id, winner, runner_up


def bid_log(session: Session, auction_id: int) -> Sequence[Row[int, int, int, str]]:
    """The auction's stored bids in sequence order: bidder_id, max_amount, seq, idempotency_key."""
    return session.execute(
        select(
            AuctionBid.bidder_id,
            AuctionBid.max_amount,
            AuctionBid.seq,
            AuctionBid.idempotency_key,
        )
        .where(AuctionBid.auction_id == auction_id)
        .order_by(AuctionBid.seq)
    ).all()


def expected_outcome(accepted: list[tuple[int, int]], starting: int) -> tuple[int, int]:
    """(winner, price) from the accepted (bidder, maximum) pairs in log order."""
    best: dict[int, int] = {}
    first_at: dict[tuple[int, int], int] = {}
    for place, (bidder, amount) in enumerate(accepted):
        best[bidder] = max(best.get(bidder, 0), amount)
        first_at.setdefault((bidder, amount), place)
    ranked = sorted(best.items(), key=lambda item: (-item[1], first_at[item]))
    winner, top = ranked[0]
    if len(ranked) == 1:
        return winner, starting
    second = ranked[1][1]
    return winner, min(top, second + proxy.increment_at(DEFAULT_INCREMENTS, second))

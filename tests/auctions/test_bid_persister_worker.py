"""The bid persister as a worker of its own (``liveshop auctions persist``): with
``LIVESHOP_AUCTION_BID_PERSISTER=false`` the app leaves the Redis bids stream to it,
and the worker writes the stream to the record as the app's persister would."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from liveshop.accounts.models import User
from liveshop.auctions import bidding
from liveshop.auctions.engines import bid_engine_for
from liveshop.auctions.jobs import persist_in_worker, run_bid_persister_forever
from liveshop.auctions.models import Auction, AuctionBid
from liveshop.auctions.redis_bids import RedisBidEngine, from_us, to_us
from liveshop.cli import app
from liveshop.core.clock import as_utc
from liveshop.core.db import unit_of_work
from liveshop.core.settings import Settings, get_settings
from tests.auctions.conftest import Shelf, bid_log, bidders, running_auction
from tests.conftest import REDIS_URL, require_service
from tests.promotions.conftest import TEST_REDIS_DB


@pytest.mark.redis
def test_the_app_leaves_the_stream_to_a_worker_when_told_to(database_url: str) -> None:
    """Off, the app's persister job returns at once instead of reading the stream."""
    require_service("Redis", REDIS_URL, 6379)
    redis_url = f"{REDIS_URL}/{TEST_REDIS_DB}"
    assert isinstance(bid_engine_for(redis_url), RedisBidEngine)
    settings = Settings(database_url=database_url, redis_url=redis_url, auction_bid_persister=False)
    asyncio.run(asyncio.wait_for(run_bid_persister_forever(settings), timeout=10))


@pytest.mark.redis
def test_the_worker_writes_the_stream_to_the_record(
    database_url: str, shelf: Shelf, redis_bids: RedisBidEngine
) -> None:
    people = [bidders(database_url, 1, prefix=name)[0] for name in ("gus", "hal")]
    auction_id = running_auction(database_url, shelf, duration_seconds=600)
    with unit_of_work(database_url) as session:
        for index in range(4):
            bidding.place_bid(
                session,
                bidder=session.get_one(User, people[index % 2]),
                auction_id=auction_id,
                max_amount=2_000 + index * 1_000,
                idempotency_key=f"w{index}",
                engine=redis_bids,
            )
    assert persist_in_worker(database_url, redis_bids, once=True) == 4
    assert persist_in_worker(database_url, redis_bids, once=True) == 0
    with unit_of_work(database_url) as session:
        assert [row.idempotency_key for row in bid_log(session, auction_id)] == [
            f"w{index}" for index in range(4)
        ]
        auction = session.get_one(Auction, auction_id)
        assert (auction.bid_count, auction.leader_id, auction.current_price) == (
            4,
            people[1],
            4_100,
        )


def test_the_worker_refuses_to_start_without_the_redis_engine(
    monkeypatch: pytest.MonkeyPatch, database_url: str
) -> None:
    monkeypatch.delenv("LIVESHOP_REDIS_URL", raising=False)
    monkeypatch.setenv("LIVESHOP_DATABASE_URL", database_url)
    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(app, ["auctions", "persist", "--once"])
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 2
    assert "LIVESHOP_REDIS_URL" in result.output


@pytest.mark.redis
def test_packed_and_older_entries_reach_the_record_exactly(
    database_url: str, shelf: Shelf, redis_bids: RedisBidEngine
) -> None:
    """The script's entry packs a bid in one field, its microseconds whole; an entry of
    a field per value, as the script wrote them before, is still written."""
    amy, ben = (bidders(database_url, 1, prefix=name)[0] for name in ("ivy", "jon"))
    auction_id = running_auction(database_url, shelf, duration_seconds=600)
    with unit_of_work(database_url) as session:
        _standing, bid, _replayed = bidding.place_bid(
            session,
            bidder=session.get_one(User, amy),
            auction_id=auction_id,
            max_amount=2_000,
            idempotency_key="packed",
            engine=redis_bids,
        )
    at_us = to_us(bid.created_at) + 1
    older = {
        "auction": auction_id, "seq": 2, "bidder": ben, "max": 5_000, "price": 2_100,
        "leading": 1, "leader": ben, "leader_max": 5_000, "outbid": amy,
        "ends_at": at_us + 600_000_000, "at": at_us, "key": "older", "extended": 0,
    }  # fmt: skip
    redis_bids.client.xadd(redis_bids.stream, older)  # type: ignore[arg-type]
    assert persist_in_worker(database_url, redis_bids, once=True) == 2
    with unit_of_work(database_url) as session:
        rows = session.execute(
            select(AuctionBid.seq, AuctionBid.idempotency_key, AuctionBid.created_at)
            .where(AuctionBid.auction_id == auction_id)
            .order_by(AuctionBid.seq)
        ).all()
        assert [(seq, key, as_utc(at)) for seq, key, at in rows] == [
            (1, "packed", bid.created_at),
            (2, "older", from_us(at_us)),
        ]
        auction = session.get_one(Auction, auction_id)
        assert (auction.bid_count, auction.leader_id, auction.current_price) == (2, ben, 2_100)

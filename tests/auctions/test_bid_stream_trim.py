"""The Redis bids stream keeps only what the SQL record may still need: entries the
persister wrote and acknowledged are trimmed, so round after round of bids leaves it
at one entry; an entry read and not acknowledged (a persister killed mid-batch), and
every entry after it, stays until it is written."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from liveshop.accounts.models import User
from liveshop.auctions import bidding
from liveshop.auctions.bid_persister import CONSUMER, ensure_group, persist_bids, write_entries
from liveshop.auctions.redis_bids import PERSISTERS, RedisBidEngine
from liveshop.core.db import unit_of_work
from liveshop.core.redis_streams import trim_acknowledged
from tests.auctions.conftest import Shelf, bid_log, bidders, running_auction

pytestmark = pytest.mark.redis


def _place(
    database_url: str,
    engine: RedisBidEngine,
    auction_id: int,
    people: list[int],
    amounts: Iterator[int],
    keys: list[str],
) -> None:
    for index, key in enumerate(keys):
        with unit_of_work(database_url, writes=False) as session:  # as the route on Redis
            bidding.place_bid(
                session,
                bidder=session.get_one(User, people[index % len(people)]),
                auction_id=auction_id,
                max_amount=next(amounts),
                idempotency_key=key,
                engine=engine,
            )


def test_persisted_bids_leave_the_stream_and_unpersisted_ones_stay(
    database_url: str, shelf: Shelf, redis_bids: RedisBidEngine
) -> None:
    people = bidders(database_url, 2, prefix="trim")
    auction_id = running_auction(database_url, shelf, duration_seconds=600)
    amounts = iter(range(2_000, 100_000_000, 12_000))  # above any increment: all accepted
    client, stream = redis_bids.client, redis_bids.stream
    _place(database_url, redis_bids, auction_id, people, amounts, [f"a{i}" for i in range(6)])

    ensure_group(redis_bids)
    killed: Any = client.xreadgroup(PERSISTERS, CONSUMER, {stream: ">"}, count=4)  # never acked
    assert len(killed[0][1]) == 4
    assert trim_acknowledged(client, stream) == 0  # 4 pending, 2 never delivered
    live: Any = client.xreadgroup(PERSISTERS, CONSUMER, {stream: ">"}, count=10)  # the last 2
    write_entries(database_url, [fields for _id, fields in live[0][1]])
    client.xack(stream, PERSISTERS, *[entry_id for entry_id, _ in live[0][1]])
    assert trim_acknowledged(client, stream) == 0  # acked after a pending one: kept
    assert client.xlen(stream) == 6

    assert persist_bids(database_url, redis_bids) == 4  # the killed persister's four
    assert client.xlen(stream) == 1  # the last acknowledged entry marks the place
    for round_number in range(20):
        keys = [f"r{round_number}-{i}" for i in range(5)]
        _place(database_url, redis_bids, auction_id, people, amounts, keys)
        assert client.xlen(stream) == 6
        assert persist_bids(database_url, redis_bids) == 5
        assert client.xlen(stream) == 1
    assert client.xpending(stream, PERSISTERS)["pending"] == 0
    with unit_of_work(database_url) as session:
        assert [row.seq for row in bid_log(session, auction_id)] == list(range(1, 107))

"""On the Redis engine, a bid whose auction's facts and bidder's admission are in
memory is decided and answered in the event loop (``bidding.bid_reply_from_memory``):
no worker thread, no session, no SQL, and the same answers, refusals and record as a
bid answered in a thread (``bidding.bid_reply``). Anything it does not know, it
leaves to the thread."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest

from liveshop.accounts.models import User
from liveshop.auctions import bidding
from liveshop.auctions.bid_persister import persist_bids
from liveshop.auctions.redis_bids import IN_LOOP_CONNECTIONS, RedisBidEngine
from liveshop.core.db import unit_of_work
from liveshop.core.errors import LiveShopError
from tests.auctions.conftest import Shelf, bid_log, bidders, running_auction
from tests.auctions.test_bid_cost import _users, statements_sent

pytestmark = pytest.mark.redis


def _in_loop(
    database_url: str, engine: RedisBidEngine, auction_id: int, user: User, amount: int, key: str
) -> dict[str, Any] | None:
    reply = asyncio.run(
        bidding.bid_reply_from_memory(
            database_url,
            bidder=user,
            auction_id=auction_id,
            max_amount=amount,
            idempotency_key=key,
            engine=engine,
        )
    )
    return None if reply is None else json.loads(reply)


def _in_thread(
    database_url: str, engine: RedisBidEngine, auction_id: int, user: User, amount: int, key: str
) -> dict[str, Any]:
    reply = bidding.bid_reply(
        database_url,
        bidder=user,
        auction_id=auction_id,
        max_amount=amount,
        idempotency_key=key,
        engine=engine,
    )
    return dict(json.loads(reply))


def _code(call: Any) -> str:
    try:
        call()
    except LiveShopError as refusal:
        return refusal.code
    raise AssertionError("not refused")


def test_a_known_bidders_bid_is_answered_in_the_loop_without_sql(
    database_url: str, shelf: Shelf, redis_bids: RedisBidEngine
) -> None:
    amy, ben = _users(database_url, bidders(database_url, 2, prefix="loop"))
    auction_id = running_auction(database_url, shelf)
    assert _in_loop(database_url, redis_bids, auction_id, amy, 2_000, "a1") is None  # unknown
    first = _in_thread(database_url, redis_bids, auction_id, amy, 2_000, "a1")
    assert first["bid"]["seq"] == 1
    assert _in_loop(database_url, redis_bids, auction_id, ben, 3_000, "b1") is None  # ben is new
    _in_thread(database_url, redis_bids, auction_id, ben, 3_000, "b1")

    with statements_sent() as sent:
        raised = _in_loop(database_url, redis_bids, auction_id, amy, 5_000, "a2")
        again = _in_loop(database_url, redis_bids, auction_id, amy, 5_000, "a2")
    assert sent == []
    assert raised is not None
    assert again is not None
    assert raised["bid"] | {"at": None} == {
        "seq": 3,
        "bidder": "l**",
        "bidder_id": amy.id,
        "max_amount": 5_000,
        "price_after": 3_100,
        "leading": True,
        "at": None,
    }
    assert (raised["auction"]["bid_count"], raised["auction"]["leader"]) == (3, "l**")
    assert (raised["replayed"], again["replayed"], again["bid"]) == (False, True, raised["bid"])

    assert persist_bids(database_url, redis_bids) == 3
    with unit_of_work(database_url, writes=False) as session:
        assert [(row.seq, row.idempotency_key) for row in bid_log(session, auction_id)] == [
            (1, "a1"),
            (2, "b1"),
            (3, "a2"),
        ]


def test_the_loop_refuses_as_the_thread_does(
    database_url: str, shelf: Shelf, redis_bids: RedisBidEngine
) -> None:
    amy, ben = _users(database_url, bidders(database_url, 2, prefix="nay"))
    host = _users(database_url, [shelf.host.id])[0]
    auction_id = running_auction(database_url, shelf)
    _in_thread(database_url, redis_bids, auction_id, amy, 2_000, "a1")
    _in_thread(database_url, redis_bids, auction_id, ben, 9_000, "b1")
    refusals = [
        _code(lambda: _in_loop(database_url, redis_bids, auction_id, host, 20_000, "h1")),
        _code(lambda: _in_loop(database_url, redis_bids, auction_id, amy, 2_100, "a2")),
        _code(lambda: _in_loop(database_url, redis_bids, auction_id, ben, 8_000, "b2")),
        _code(lambda: _in_loop(database_url, redis_bids, auction_id, amy, 3_000, "a1")),
    ]
    assert refusals == [
        "own_auction",
        "bid_too_low",
        "not_above_own_maximum",
        "idempotency_conflict",
    ]


def test_a_crowd_in_the_loop_queues_for_redis_connections(
    database_url: str, shelf: Shelf, redis_bids: RedisBidEngine
) -> None:
    """More bids in flight at once than the loop's pool holds wait for a connection."""
    amy, ben = _users(database_url, bidders(database_url, 2, prefix="crowd"))
    auction_id = running_auction(database_url, shelf)
    for who, key in [(amy, "a0"), (ben, "b0")]:
        _in_thread(database_url, redis_bids, auction_id, who, 2_000, key)

    async def crowd() -> list[bytes | BaseException | None]:
        return await asyncio.gather(
            *(
                bidding.bid_reply_from_memory(
                    database_url,
                    bidder=(amy, ben)[index % 2],
                    auction_id=auction_id,
                    max_amount=10_000 + index * 1_000,
                    idempotency_key=f"c{index}",
                    engine=redis_bids,
                )
                for index in range(3 * IN_LOOP_CONNECTIONS)
            ),
            return_exceptions=True,
        )

    answers = asyncio.run(crowd())
    assert all(isinstance(answer, bytes | LiveShopError) for answer in answers), answers
    accepted = sum(isinstance(answer, bytes) for answer in answers)
    assert persist_bids(database_url, redis_bids) == accepted + 2

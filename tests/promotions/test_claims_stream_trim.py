"""The flash sale's claims stream keeps only the claims recovery may still need: once
recovery has acknowledged them (their orders exist), they are trimmed, so sale after
sale leaves it at one entry; a claim not yet read, or read and pending (its order not
written yet), stays until its order is written."""

from __future__ import annotations

import asyncio

import pytest

from liveshop.core.redis_streams import trim_acknowledged
from liveshop.orders.claims_recovery import recover_claims
from liveshop.promotions.stock_engines import ClaimOutcome, RedisStockEngine
from tests.promotions.conftest import Shelf, create_buyers, start_sale
from tests.promotions.test_flash_order_batches import buy_together, recover_now
from tests.promotions.test_flash_sale_fast_path import buyer, redis_engine

__all__ = ["redis_engine"]

pytestmark = pytest.mark.redis


def _orphans(database_url: str, shelf: Shelf, engine: RedisStockEngine, count: int) -> None:
    """A sale whose ``count`` buyers each claimed a unit in Redis and whose requests died."""
    sale_id = start_sale(database_url, shelf, engine, quantity=count, per_user_limit=1)
    for user_id in create_buyers(database_url, count, f"orphan{sale_id}"):
        claim = asyncio.run(
            engine.claim_units(
                sale_id=sale_id, per_user_limit=1, user_id=user_id, quantity=1, attempt_key="tap"
            )
        )
        assert claim.outcome is ClaimOutcome.CLAIMED


def test_recovered_claims_leave_the_stream_and_unwritten_ones_stay(
    database_url: str, shelf: Shelf, redis_engine: RedisStockEngine
) -> None:
    client, stream = redis_engine.client, redis_engine.stream
    _orphans(database_url, shelf, redis_engine, 3)
    assert trim_acknowledged(client, stream) == 0  # no group has read them
    assert recover_claims(redis_engine, database_url=database_url, payment_minutes=5) == 0
    assert client.xlen(stream) == 3  # read, pending within the grace period: kept

    assert recover_now(redis_engine, database_url) == 3
    assert client.xlen(stream) == 1  # written and acknowledged: trimmed to the last

    for round_number in range(5):
        sale_id = start_sale(database_url, shelf, redis_engine, quantity=4, per_user_limit=1)
        people = [
            buyer(database_url, user_id)
            for user_id in create_buyers(database_url, 4, f"round{round_number}")
        ]
        answers = buy_together(
            database_url, redis_engine, sale_id, people, attempt_key=lambda user: f"t-{user.id}"
        )
        assert all(created for _order, created in answers)
        assert client.xlen(stream) == 5  # the requests acknowledged claims never read
        assert recover_now(redis_engine, database_url) == 0  # their orders exist
        assert client.xlen(stream) == 1
    assert client.xpending(stream, "order-writers")["pending"] == 0

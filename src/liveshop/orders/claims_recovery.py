"""Writes the orders of Redis flash-sale claims whose request died before committing.

Every claim is also an entry on a Redis Stream. The request acknowledges its
entry once its order is committed; entries still unacknowledged after a grace
period belong to a request that died, and their orders are written here.
Idempotent on (sale, user, attempt): an order that exists is left alone.

Each run ends by trimming what every reader acknowledged (``core/redis_streams.py``):
the stream keeps the claims still pending and the ones not read yet, not every claim
the sale ever took.
"""

from __future__ import annotations

import logging

import redis
from sqlalchemy.orm import Session

from liveshop.accounts.service import get_user
from liveshop.catalog.access import require_shopper
from liveshop.core.db import unit_of_work
from liveshop.core.errors import LiveShopError
from liveshop.core.redis_streams import trim_acknowledged
from liveshop.orders.flash_purchase import find_attempt_order
from liveshop.orders.models import Order
from liveshop.orders.placement import AttemptInProgress, Win, place_won_orders
from liveshop.promotions import flash_sales
from liveshop.promotions.stock_engines import CLAIMS_GROUP, RedisStockEngine

logger = logging.getLogger(__name__)

GRACE_MILLISECONDS = 10_000  # far above a request's time from claim to commit
CONSUMER = "recovery"


def ensure_group(engine: RedisStockEngine) -> None:
    try:
        engine.client.xgroup_create(engine.stream, CLAIMS_GROUP, id="0", mkstream=True)
    except redis.ResponseError as error:
        if "BUSYGROUP" not in str(error):
            raise


def recover_claims(
    engine: RedisStockEngine,
    *,
    database_url: str,
    payment_minutes: int,
    grace_milliseconds: int = GRACE_MILLISECONDS,
) -> int:
    """Write missing orders for old unacknowledged claims; returns how many were written."""
    ensure_group(engine)
    client = engine.client
    client.xreadgroup(CLAIMS_GROUP, CONSUMER, {engine.stream: ">"}, count=10_000)
    written = 0
    start = "0-0"
    while True:
        start, entries, _deleted = client.xautoclaim(
            engine.stream, CLAIMS_GROUP, CONSUMER, grace_milliseconds, start, count=500
        )
        for entry_id, fields in entries:
            try:
                written += _write_order(database_url, fields, payment_minutes)
            except LiveShopError as error:
                _give_up(engine, entry_id, fields, reason=error.code)
                continue
            client.xack(engine.stream, CLAIMS_GROUP, entry_id)
        if start in (b"0-0", "0-0"):
            trim_acknowledged(client, engine.stream)
            return written


def _give_up(
    engine: RedisStockEngine, entry_id: bytes, fields: dict[bytes, bytes], *, reason: str
) -> None:
    """A claim whose order can never be written (its product was withdrawn since, say):
    its unit returns to the sale. Acknowledged first: a crash in between leaves the
    unit unsold, never sold twice."""
    engine.client.xack(engine.stream, CLAIMS_GROUP, entry_id)
    engine.give_back(int(fields[b"sale"]), int(fields[b"user"]), int(fields[b"quantity"]))
    logger.warning("a flash-sale claim cannot become an order (%s); its unit is back", reason)


def _write_order(database_url: str, fields: dict[bytes, bytes], payment_minutes: int) -> int:
    try:
        with unit_of_work(database_url) as session:
            return _ensure_order(session, fields, payment_minutes)
    except AttemptInProgress:
        # An order took the attempt's key meanwhile. Its request's, committed late:
        # nothing to write, and the unit is sold. Another order under that key (the
        # buyer's own checkout key): the claim can never have its order.
        with unit_of_work(database_url, writes=False) as session:
            if _attempt_order(session, fields) is not None:
                return 0
        raise


def _attempt_order(session: Session, fields: dict[bytes, bytes]) -> Order | None:
    return find_attempt_order(
        session,
        buyer_id=int(fields[b"user"]),
        sale_id=int(fields[b"sale"]),
        key=fields[b"attempt"].decode(),
    )


def _ensure_order(session: Session, fields: dict[bytes, bytes], payment_minutes: int) -> int:
    sale_id = int(fields[b"sale"])
    user_id = int(fields[b"user"])
    quantity = int(fields[b"quantity"])
    attempt_key = fields[b"attempt"].decode()
    buyer = get_user(session, user_id=user_id)
    if _attempt_order(session, fields) is not None:
        return 0
    require_shopper(buyer)
    terms = flash_sales.sale_terms(session, sale_id=sale_id)
    win = Win(buyer, terms, quantity, attempt_key, payment_minutes)
    place_won_orders(session, [win], count_sold=True)
    logger.warning("wrote the order of an orphaned flash-sale claim (sale %s)", sale_id)
    return 1

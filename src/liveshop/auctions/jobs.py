"""The auctions' background jobs: close auctions at their deadline (the winner's order
placed at once) and offer unpaid ones to the runner-up; on the Redis engine, the bid
persister that writes the bids stream to SQL. Safe in every worker at once: each
auction is decided under its row lock, and the persister's writes are idempotent.

On Redis an auction is closed only once Redis takes no more bids for it and every
bid of its stream is in SQL: the bids are persisted, Redis is told to stop (unless a
late bid moved the deadline), the bids that raced in are persisted, and then the
closing reads the row as the record has it.
"""

from __future__ import annotations

import asyncio
import logging
import time
from datetime import datetime

import redis
from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError

from liveshop.auctions.bid_persister import persist_bids
from liveshop.auctions.closing import close_due_auctions, offer_unpaid_auctions
from liveshop.auctions.engines import BidEngine, bid_engine_for
from liveshop.auctions.models import Auction, AuctionStatus
from liveshop.auctions.redis_bids import RedisBidEngine
from liveshop.core.background import InThread
from liveshop.core.clock import utcnow
from liveshop.core.db import unit_of_work
from liveshop.core.settings import Settings

logger = logging.getLogger(__name__)
TICK_SECONDS = 1.0
PERSIST_WAIT_MILLISECONDS = 200  # the persister's wait for new bids before it looks again
# After writing, the persister lets the next bids gather this long: a batch costs a few
# statements whatever its size, and the room shows them at its next 100 ms tick anyway.
PERSIST_GATHER_SECONDS = 0.05


def run_auction_jobs_once(
    database_url: str, engine: BidEngine | None = None, *, now: datetime | None = None
) -> dict[str, int]:
    moment = now or utcnow()
    if isinstance(engine, RedisBidEngine):
        finish_due_in_redis(database_url, engine, moment=moment)
    with unit_of_work(database_url) as session:
        closed = close_due_auctions(session, now=moment)
    with unit_of_work(database_url) as session:
        offered = offer_unpaid_auctions(session, now=moment)
    return {"closed": len(closed), "offered": len(offered)}


def finish_due_in_redis(database_url: str, engine: RedisBidEngine, *, moment: datetime) -> None:
    """Every auction due at ``moment`` by the record stops taking bids in Redis (one a
    late bid extended is left running), and the record gets every bid Redis took."""
    persist_bids(database_url, engine)
    with unit_of_work(database_url, writes=False) as session:
        due = session.scalars(
            select(Auction.id).where(
                Auction.status == AuctionStatus.RUNNING, Auction.ends_at <= moment
            )
        ).all()
    if due:
        for auction_id in due:
            engine.finish(auction_id, moment=moment)
        persist_bids(database_url, engine)


async def run_auction_jobs_forever(
    settings: Settings, *, in_thread: InThread = asyncio.to_thread
) -> None:
    database_url = settings.resolved_database_url()
    engine = bid_engine_for(settings.redis_url)
    while True:
        try:
            await in_thread(run_auction_jobs_once, database_url, engine)
        except Exception:  # a failed round is retried on the next tick
            logger.exception("auction jobs failed")
        await asyncio.sleep(TICK_SECONDS)


async def run_bid_persister_forever(
    settings: Settings, *, in_thread: InThread = asyncio.to_thread
) -> None:
    """On the Redis engine, write the bids stream to SQL as bids arrive (at start
    first, what a killed process left); on the SQL engine there is nothing to do, nor
    when a worker of its own does it (``auction_bid_persister`` off:
    ``persist_in_worker``)."""
    engine = bid_engine_for(settings.redis_url)
    if not isinstance(engine, RedisBidEngine) or not settings.auction_bid_persister:
        return
    database_url = settings.resolved_database_url()
    while True:
        try:
            written = await in_thread(
                persist_bids, database_url, engine, block_ms=PERSIST_WAIT_MILLISECONDS
            )
        except Exception:  # retried: nothing is acknowledged before it is written
            logger.exception("the auction bid persister failed")
            await asyncio.sleep(TICK_SECONDS)
            continue
        if written:
            await asyncio.sleep(PERSIST_GATHER_SECONDS)


def persist_in_worker(database_url: str, engine: RedisBidEngine, *, once: bool = False) -> int:
    """The bid persister as a process of its own (``liveshop auctions persist``): what
    ``run_bid_persister_forever`` does in the app, so that the app's CPU goes to
    answering bids. ``once``: write what the stream holds now and return the bids
    written; else run until killed. Killed at any moment it loses nothing (entries are
    acknowledged after their commit)."""
    if once:
        return persist_bids(database_url, engine)
    while True:
        try:
            written = persist_bids(database_url, engine, block_ms=PERSIST_WAIT_MILLISECONDS)
        except (redis.ConnectionError, SQLAlchemyError):  # retried: nothing acknowledged
            logger.exception("the auction bid persister failed")
            time.sleep(TICK_SECONDS)
            continue
        if written:
            time.sleep(PERSIST_GATHER_SECONDS)

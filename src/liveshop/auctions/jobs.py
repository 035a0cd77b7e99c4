"""The auctions' background job: close auctions at their deadline (the winner's order
placed at once) and offer unpaid ones to the runner-up. Safe in every worker at
once: each auction is decided under its row lock."""

from __future__ import annotations

import asyncio
import logging

from liveshop.auctions.closing import close_due_auctions, offer_unpaid_auctions
from liveshop.core.db import unit_of_work
from liveshop.core.settings import Settings

logger = logging.getLogger(__name__)
TICK_SECONDS = 1.0


def run_auction_jobs_once(database_url: str) -> dict[str, int]:
    with unit_of_work(database_url) as session:
        closed = close_due_auctions(session)
    with unit_of_work(database_url) as session:
        offered = offer_unpaid_auctions(session)
    return {"closed": len(closed), "offered": len(offered)}


async def run_auction_jobs_forever(settings: Settings) -> None:
    database_url = settings.resolved_database_url()
    while True:
        try:
            await asyncio.to_thread(run_auction_jobs_once, database_url)
        except Exception:  # a failed round is retried on the next tick
            logger.exception("auction jobs failed")
        await asyncio.sleep(TICK_SECONDS)

"""Background work of the orders domain: expiring unpaid orders, recovering claims,
approving after-sales requests a merchant left unanswered, drawing due lucky draws.

Runs in every worker; both jobs are safe to run concurrently (conditional
updates and idempotent writes), and both run once at start, so orders that
expired while the server was down are handled after a restart.
"""

from __future__ import annotations

import asyncio
import logging

from liveshop.core.background import InThread
from liveshop.core.db import unit_of_work
from liveshop.core.settings import Settings
from liveshop.orders import after_sales, claims_recovery, draws
from liveshop.orders.service import expire_unpaid_orders
from liveshop.promotions.flash_sales import stock_engine_for
from liveshop.promotions.stock_engines import RedisStockEngine

logger = logging.getLogger(__name__)


def run_order_jobs_once(settings: Settings) -> dict[str, int]:
    database_url = settings.resolved_database_url()
    engine = stock_engine_for(settings.redis_url, database_url)
    recovered = 0
    if isinstance(engine, RedisStockEngine):
        recovered = claims_recovery.recover_claims(
            engine,
            database_url=database_url,
            payment_minutes=settings.flash_sale_payment_minutes,
        )
    with unit_of_work(database_url) as session:
        expired = expire_unpaid_orders(session, engine=engine)
    with unit_of_work(database_url) as session:
        approved = after_sales.approve_overdue(session)
    drawn = 0
    for draw_id in _due_draws(database_url):
        with unit_of_work(database_url) as session:
            draws.run_draw(session, draw_id=draw_id)
            drawn += 1
    return {"expired": expired, "recovered": recovered, "auto_approved": approved, "drawn": drawn}


def _due_draws(database_url: str) -> list[int]:
    with unit_of_work(database_url) as session:
        return draws.due_draws(session)


async def run_order_jobs_forever(
    settings: Settings, *, in_thread: InThread = asyncio.to_thread
) -> None:
    while True:
        try:
            await in_thread(run_order_jobs_once, settings)
        except Exception:
            logger.exception("order jobs failed; will retry")
        await asyncio.sleep(settings.order_expiry_check_seconds)

"""The auctions' bid engine for a request, from the settings (Redis when
``LIVESHOP_REDIS_URL`` is set, as for the flash sale's stock engine), and a bid's
unit of work."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends
from sqlalchemy.orm import Session

from liveshop.auctions.engines import BidEngine, bid_engine_for
from liveshop.core.dependencies import SettingsDep, request_unit_of_work


def get_bid_engine(settings: SettingsDep) -> BidEngine:
    return bid_engine_for(settings.redis_url)


BidEngineDep = Annotated[BidEngine, Depends(get_bid_engine)]


async def get_bid_session(settings: SettingsDep, engine: BidEngineDep) -> AsyncIterator[Session]:
    """A bid's transaction: the writing one on the SQL engine; on Redis a bid writes
    nothing to SQL (the persister does), so its request reads without taking SQLite's
    write lock or a place at the writers' gate, and a write in it would fail."""
    database_url = settings.resolved_database_url()
    async with request_unit_of_work(database_url, writes=engine.writes_in_request) as session:
        yield session


# scope="function", as the request's DbSession: committed before the answer is sent
BidSession = Annotated[Session, Depends(get_bid_session, scope="function")]

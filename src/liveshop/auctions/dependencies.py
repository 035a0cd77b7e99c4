"""The auctions' bid engine for a request, from the settings (Redis when
``LIVESHOP_REDIS_URL`` is set, as for the flash sale's stock engine)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from liveshop.auctions.engines import BidEngine, bid_engine_for
from liveshop.core.dependencies import SettingsDep


def get_bid_engine(settings: SettingsDep) -> BidEngine:
    return bid_engine_for(settings.redis_url)


BidEngineDep = Annotated[BidEngine, Depends(get_bid_engine)]

"""The auctions' bid engine for a request, from the settings (Redis when
``LIVESHOP_REDIS_URL`` is set, as for the flash sale's stock engine). The bid route
reads it through ``get_bid_engine`` itself, so a test's dependency override of it
holds there too."""

from __future__ import annotations

from liveshop.auctions.engines import BidEngine, bid_engine_for
from liveshop.core.settings import Settings


def get_bid_engine(settings: Settings) -> BidEngine:
    return bid_engine_for(settings.redis_url)

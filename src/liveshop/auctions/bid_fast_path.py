"""The auction bid route, answered before FastAPI's router.

A live auction's last seconds bring every bidder at once, and a bid's own work (one
locked row and a few statements on SQL, one Lua script on Redis) costs less than the
framework around it: the middleware stack, routing, dependency solving (rebuilt per
request while the app has dependency overrides), a thread hop per sync dependency
and for the route and its response. This middleware hands ``POST
/api/auctions/{id}/bids`` straight to the route's own function (``api.bid``), which
authenticates, validates and answers as the routed request would; everything else,
and any id the route would refuse, goes through the app as usual. The route stays
in the router for the OpenAPI schema. The same shape as the flash sale's buy
(``orders/flash_fast_path.py``).
"""

from __future__ import annotations

import re

from fastapi.exceptions import RequestValidationError
from starlette.requests import Request
from starlette.types import ASGIApp, Receive, Scope, Send

from liveshop.auctions.api import bid
from liveshop.core.dependencies import MAX_ROW_ID

BID_PATH = re.compile(r"/api/auctions/([1-9][0-9]{0,17})/bids")


class AuctionBidFastPath:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        auction_id = _bid_auction_id(scope)
        if auction_id is None:
            await self.app(scope, receive, send)
            return
        request = Request(scope, receive)
        try:
            response = await bid(auction_id, request)
        except RequestValidationError as error:
            # The app's own handler: the same 422 body as any other route's.
            handler = scope["app"].exception_handlers[RequestValidationError]
            response = await handler(request, error)
        await response(scope, receive, send)


def _bid_auction_id(scope: Scope) -> int | None:
    if scope["type"] != "http" or scope["method"] != "POST":
        return None
    match = BID_PATH.fullmatch(scope["path"])
    if match is None:
        return None
    auction_id = int(match[1])
    return auction_id if auction_id <= MAX_ROW_ID else None

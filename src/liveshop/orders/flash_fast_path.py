"""The flash-sale buy route, answered before FastAPI's router.

When a sale opens, thousands of buyers tap at once and nearly every answer is
"sold out" from memory; the framework's routing, dependency solving and
exception middleware then cost more than the sale's own work (measured with
``benchmarks/flash_sale.py``). This middleware hands ``POST
/api/flash-sales/{id}/buy`` straight to the route's own function, which reads
and validates the request itself; everything else, and any id the route would
refuse, goes through the app as usual. The route stays in the router for the
OpenAPI schema and for clients of other paths.
"""

from __future__ import annotations

import re

from fastapi.exceptions import RequestValidationError
from starlette.requests import Request
from starlette.types import ASGIApp, Receive, Scope, Send

from liveshop.core.dependencies import MAX_ROW_ID
from liveshop.orders.api import buy_flash_sale

BUY_PATH = re.compile(r"/api/flash-sales/([1-9][0-9]{0,17})/buy")


class FlashSaleBuyFastPath:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        sale_id = _buy_sale_id(scope)
        if sale_id is None:
            await self.app(scope, receive, send)
            return
        request = Request(scope, receive)
        try:
            response = await buy_flash_sale(sale_id, request)
        except RequestValidationError as error:
            # The app's own handler: the same 422 body as any other route's.
            handler = scope["app"].exception_handlers[RequestValidationError]
            response = await handler(request, error)
        await response(scope, receive, send)


def _buy_sale_id(scope: Scope) -> int | None:
    if scope["type"] != "http" or scope["method"] != "POST":
        return None
    match = BUY_PATH.fullmatch(scope["path"])
    if match is None:
        return None
    sale_id = int(match[1])
    return sale_id if sale_id <= MAX_ROW_ID else None

"""The recommendation GETs, answered before FastAPI's router.

Every page open asks for recommendations (the home feed, a product page's "more like
this", the room list), and the ranking itself costs about a millisecond, less than the
framework around it did (measured with ``benchmarks/recommend.py``: the server's CPU
per request was about three times the service function's): routing past every route
of the app, solving the dependencies (their graph rebuilt per request while the app
has dependency overrides), a thread hop per sync dependency and for the route.

This middleware hands ``GET /api/recommendations/products`` and ``/rooms`` straight
to the routes' own reply functions (``api.products_reply``, ``api.rooms_reply``),
after authenticating the caller as ``OptionalUser`` does (a bearer token, else the
session cookie; anonymous allowed; a bad token is the same 401) from the token cache
in the event loop. Only a query it can read as FastAPI would is answered here: the
``context`` and ``limit`` given at most once each, and plainly valid (a limit of one or
two digits, a context matching the route's pattern); anything else, a 422 among them,
goes through the app as usual, so its answer is the router's. The middleware sits
innermost (inside the security headers and the campaigns' touches), so the response
carries what a routed one does. A context the viewer may not see is the app's own
``LiveShopError`` answer.
"""

from __future__ import annotations

import re

from starlette.datastructures import QueryParams
from starlette.requests import Request
from starlette.types import ASGIApp, Receive, Scope, Send

from liveshop.accounts.dependencies import bearer_token, caller
from liveshop.core.dependencies import app_settings
from liveshop.core.errors import LiveShopError
from liveshop.recommend.api import (
    CONTEXT_MAX_LENGTH,
    CONTEXT_PATTERN,
    DEFAULT_CONTEXT,
    DEFAULT_LIMIT,
    MAX_LIMIT,
    products_reply,
    rooms_reply,
)

PRODUCTS_PATH = "/api/recommendations/products"
ROOMS_PATH = "/api/recommendations/rooms"
# Python's ``$`` also matches before a final newline, Pydantic's pattern does not:
# the anchors are dropped and the whole string must match.
PLAIN_CONTEXT = re.compile(CONTEXT_PATTERN.removeprefix("^").removesuffix("$"))
PLAIN_LIMIT = re.compile(r"[1-9][0-9]?")
DEFAULT_LIMIT_TEXT = str(DEFAULT_LIMIT)


class RecommendationsFastPath:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        query = _plain_query(scope)
        if query is None:
            await self.app(scope, receive, send)
            return
        context, limit = query
        request = Request(scope, receive)
        try:
            settings = app_settings(request.app)
            viewer = await caller(request, settings, bearer_token(request))
            if context is None:
                response = await rooms_reply(request, settings, viewer=viewer, limit=limit)
            else:
                response = await products_reply(
                    request, settings, viewer=viewer, context=context, limit=limit
                )
        except LiveShopError as error:
            # The app's own handler: the same answer as the routed request's.
            response = await request.app.exception_handlers[LiveShopError](request, error)
        await response(scope, receive, send)


def _plain_query(scope: Scope) -> tuple[str | None, int] | None:
    """(context, limit) of a request answered here (the context None for the rooms),
    or None: not one of the two GETs, or a query for FastAPI to judge."""
    if scope["type"] != "http" or scope["method"] != "GET":
        return None
    path = scope["path"]
    if path != PRODUCTS_PATH and path != ROOMS_PATH:
        return None
    params = QueryParams(scope["query_string"])
    limit = _plain_value(params, "limit", DEFAULT_LIMIT_TEXT, PLAIN_LIMIT)
    if limit is None or int(limit) > MAX_LIMIT:
        return None
    if path == ROOMS_PATH:
        return None, int(limit)
    context = _plain_value(params, "context", DEFAULT_CONTEXT, PLAIN_CONTEXT)
    if context is None or len(context) > CONTEXT_MAX_LENGTH:
        return None
    return context, int(limit)


def _plain_value(
    params: QueryParams, name: str, default: str, plain: re.Pattern[str]
) -> str | None:
    """The parameter's value (its default when absent), or None when it is given more
    than once or is not plainly valid."""
    values = params.getlist(name)
    if not values:
        return default
    if len(values) > 1 or plain.fullmatch(values[0]) is None:
        return None
    return values[0]

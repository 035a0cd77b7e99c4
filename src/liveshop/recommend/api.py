"""``GET /api/recommendations/rooms`` and ``GET /api/recommendations/products``.

A page asks for them on every open (the home feed, a product page, the room list), so
they are answered before FastAPI's router by ``fast_path.py`` whenever their query is
one it can read without FastAPI; these routes answer the rest (a query FastAPI must
judge, e.g. for its 422) and keep the OpenAPI schema. Either way ``products_reply`` and
``rooms_reply`` build the answer: the request's read-only unit of work, the ranking and
the JSON in one worker thread (a sync route and its dependencies took a thread hop each,
and its response was validated again).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Annotated

from anyio import to_thread
from fastapi import APIRouter, Query, Request, Response
from pydantic import BaseModel
from sqlalchemy.orm import Session

from liveshop.accounts.dependencies import OptionalUser
from liveshop.accounts.models import User
from liveshop.core.db import unit_of_work
from liveshop.core.dependencies import SettingsDep
from liveshop.core.settings import Settings
from liveshop.recommend import service
from liveshop.recommend.schemas import ProductRecommendations, RoomRecommendations

router = APIRouter(tags=["recommendations"])
MAX_LIMIT = 50
DEFAULT_LIMIT = 10
DEFAULT_CONTEXT = "home"
CONTEXT_MAX_LENGTH = 40
CONTEXT_PATTERN = r"^[a-z]+(:[0-9]+)?$"

Limit = Annotated[int, Query(ge=1, le=MAX_LIMIT)]


def engine_of(request: Request) -> service.Recommendations:
    engine = request.app.state.recommendations
    assert isinstance(engine, service.Recommendations)
    return engine


@router.get("/api/recommendations/rooms", response_model=RoomRecommendations)
async def recommended_rooms(
    request: Request, settings: SettingsDep, viewer: OptionalUser, limit: Limit = DEFAULT_LIMIT
) -> Response:
    """Live and soon-starting rooms for the viewer, each with its reason."""
    return await rooms_reply(request, settings, viewer=viewer, limit=limit)


@router.get("/api/recommendations/products", response_model=ProductRecommendations)
async def recommended_products(
    request: Request,
    settings: SettingsDep,
    viewer: OptionalUser,
    context: Annotated[
        str, Query(max_length=CONTEXT_MAX_LENGTH, pattern=CONTEXT_PATTERN)
    ] = DEFAULT_CONTEXT,
    limit: Limit = DEFAULT_LIMIT,
) -> Response:
    """Products for ``context`` (home, room:ID, product:ID), each with its reason."""
    return await products_reply(request, settings, viewer=viewer, context=context, limit=limit)


async def products_reply(
    request: Request, settings: Settings, *, viewer: User | None, context: str, limit: int
) -> Response:
    """The products' answer; a ``LiveShopError`` (a context the viewer may not see)
    is raised for the app's handler."""
    answer = partial(
        service.recommend_products,
        engine=engine_of(request),
        viewer=viewer,
        context=context,
        limit=limit,
    )
    return await _reply(settings, answer)


async def rooms_reply(
    request: Request, settings: Settings, *, viewer: User | None, limit: int
) -> Response:
    answer = partial(
        service.recommend_live_rooms, engine=engine_of(request), viewer=viewer, limit=limit
    )
    return await _reply(settings, answer)


async def _reply(settings: Settings, answer: Callable[[Session], BaseModel]) -> Response:
    """``answer``'s unit of work and its JSON in one worker thread."""
    body = await to_thread.run_sync(_answer_json, settings.resolved_database_url(), answer)
    return Response(body, media_type="application/json")


def _answer_json(database_url: str, answer: Callable[[Session], BaseModel]) -> bytes:
    # The answer's JSON is Pydantic's, as FastAPI writes a response model's.
    with unit_of_work(database_url, writes=False) as session:
        result = answer(session)
    return result.model_dump_json().encode()

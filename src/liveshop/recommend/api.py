"""``GET /api/recommendations/rooms`` and ``GET /api/recommendations/products``."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request

from liveshop.accounts.dependencies import OptionalUser
from liveshop.core.dependencies import DbSession
from liveshop.recommend import service
from liveshop.recommend.schemas import ProductRecommendations, RoomRecommendations

router = APIRouter(tags=["recommendations"])
MAX_LIMIT = 50

Limit = Annotated[int, Query(ge=1, le=MAX_LIMIT)]


def engine_of(request: Request) -> service.Recommendations:
    engine = request.app.state.recommendations
    assert isinstance(engine, service.Recommendations)
    return engine


@router.get("/api/recommendations/rooms")
def recommended_rooms(
    request: Request, session: DbSession, viewer: OptionalUser, limit: Limit = 10
) -> RoomRecommendations:
    """Live and soon-starting rooms for the viewer, each with its reason."""
    return service.recommend_live_rooms(
        session, engine=engine_of(request), viewer=viewer, limit=limit
    )


@router.get("/api/recommendations/products")
def recommended_products(
    request: Request,
    session: DbSession,
    viewer: OptionalUser,
    context: Annotated[str, Query(max_length=40, pattern=r"^[a-z]+(:[0-9]+)?$")] = "home",
    limit: Limit = 10,
) -> ProductRecommendations:
    """Products for ``context`` (home, room:ID, product:ID), each with its reason."""
    return service.recommend_products(
        session, engine=engine_of(request), viewer=viewer, context=context, limit=limit
    )

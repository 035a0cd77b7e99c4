"""The one interface the API and the pages ask: products and rooms for a viewer."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy.orm import Session

from liveshop.accounts.models import User
from liveshop.core.settings import Settings
from liveshop.events.recorder import pseudonymous_id
from liveshop.recommend import access
from liveshop.recommend.rooms import recommend_rooms
from liveshop.recommend.schemas import (
    ProductRecommendations,
    RecommendedProduct,
    RoomRecommendations,
)
from liveshop.recommend.serving import (
    ModelCache,
    candidate_products,
    parse_context,
    rank_products,
)
from liveshop.recommend.sessions import MemorySessionActivity, SessionActivity, session_activity

DEFAULT_MAX_PER_SHOP = 3
DEFAULT_MAX_PER_CATEGORY = 4


@dataclass
class Recommendations:
    """What serving keeps in memory for the app's life: the model and the sessions."""

    home: Path
    secret_key: str
    max_per_shop: int = DEFAULT_MAX_PER_SHOP
    max_per_category: int = DEFAULT_MAX_PER_CATEGORY
    activity: SessionActivity = field(default_factory=MemorySessionActivity)
    models: ModelCache = field(init=False)

    def __post_init__(self) -> None:
        self.models = ModelCache(self.home)

    @classmethod
    def from_settings(cls, settings: Settings) -> Recommendations:
        """The app's: sessions in Redis when several workers share it."""
        return cls(
            home=settings.home,
            secret_key=settings.resolved_secret_key(),
            max_per_shop=settings.recommend_max_per_shop,
            max_per_category=settings.recommend_max_per_category,
            activity=session_activity(settings.redis_url),
        )

    def viewer_key(self, viewer: User) -> str:
        return pseudonymous_id(viewer.id, self.secret_key)


def recommend_products(
    session: Session,
    *,
    engine: Recommendations,
    viewer: User | None,
    context: str,
    limit: int,
) -> ProductRecommendations:
    parsed = parse_context(context)
    access.require_visible_context(session, viewer=viewer, context=parsed)
    personal = access.can_personalise(session, viewer=viewer)
    key = engine.viewer_key(viewer) if personal and viewer is not None else None
    served = engine.models.served()  # one version for the whole answer
    found = candidate_products(
        session,
        served=served,
        context=parsed,
        viewer=key,
        actions=engine.activity.recent(key) if key else [],
    )
    picks = rank_products(
        session,
        found,
        limit=limit,
        max_per_shop=engine.max_per_shop,
        max_per_category=engine.max_per_category,
    )
    return ProductRecommendations(
        context=context,
        personalised=key is not None,
        model_version=served.version,
        items=[RecommendedProduct(**pick.__dict__) for pick in picks],
    )


def recommend_live_rooms(
    session: Session, *, engine: Recommendations, viewer: User | None, limit: int
) -> RoomRecommendations:
    personal = access.can_personalise(session, viewer=viewer)
    key = engine.viewer_key(viewer) if personal and viewer is not None else None
    served = engine.models.served()
    picks = recommend_rooms(
        session,
        served=served,
        viewer=viewer,
        viewer_key=key,
        actions=engine.activity.recent(key) if key else [],
        limit=limit,
    )
    return RoomRecommendations(
        personalised=key is not None,
        model_version=served.version,
        items=picks,
    )

"""Who gets what from recommendations.

Anyone may ask (an anonymous visitor gets the non-personalised ranking). A
ranking is personal only for a signed-in viewer who allowed personalised
recommendations (privacy's consent); a context names a room or a product the
caller may see (a held product is absent to others, a missing room is a 404).
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from liveshop.accounts.models import User
from liveshop.catalog.service import get_visible_product
from liveshop.live.service import get_room
from liveshop.privacy.consents import personalised_recommendations_allowed
from liveshop.recommend.serving import Context


def can_personalise(session: Session, *, viewer: User | None) -> bool:
    return viewer is not None and personalised_recommendations_allowed(session, viewer.id)


def require_visible_context(session: Session, *, viewer: User | None, context: Context) -> None:
    """Raises NotFound for a context the viewer may not see."""
    if context.kind == "product" and context.target_id is not None:
        get_visible_product(session, user=viewer, product_id=context.target_id)
    elif context.kind == "room" and context.target_id is not None:
        get_room(session, room_id=context.target_id)

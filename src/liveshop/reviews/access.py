"""Who may write, edit, answer, vote on and moderate reviews."""

from __future__ import annotations

from sqlalchemy.orm import Session

from liveshop.accounts.models import Role, User
from liveshop.catalog.access import can_manage_shop
from liveshop.core.errors import NotFound, PermissionDenied
from liveshop.orders.models import Order
from liveshop.reviews.models import Review, ReviewStatus

MODERATOR_ROLES = frozenset({Role.MODERATOR, Role.ADMIN})
READ_ONLY_ROLES = frozenset({Role.REGULATOR})


def require_order_reviewer(actor: User, *, order: Order) -> None:
    """Only the order's buyer reviews its lines; to anyone else the line does not exist."""
    if actor.id != order.buyer_id:
        raise NotFound("order line not found", code="order_item_not_found")


def can_moderate_reviews(actor: User) -> bool:
    return actor.role in MODERATOR_ROLES


def require_review_moderator(actor: User) -> None:
    if not can_moderate_reviews(actor):
        raise PermissionDenied("only moderators decide held reviews", code="wrong_role")


def can_see_review(actor: User | None, *, review: Review) -> bool:
    """Published reviews are public; a held or removed one only to its author and moderators."""
    if review.status is ReviewStatus.PUBLISHED:
        return True
    return actor is not None and (actor.id == review.buyer_id or can_moderate_reviews(actor))


def require_review_visible(actor: User | None, *, review: Review) -> None:
    if not can_see_review(actor, review=review):
        raise NotFound(f"review {review.id} not found", code="review_not_found")


def require_review_author(actor: User, *, review: Review) -> None:
    require_review_visible(actor, review=review)
    if actor.id != review.buyer_id:
        raise PermissionDenied("only its author edits a review", code="not_author")


def require_review_replier(session: Session, *, actor: User, review: Review) -> None:
    """The reviewed shop's owner or staff answers (admins act for any shop)."""
    require_review_visible(actor, review=review)
    if not can_manage_shop(session, actor=actor, shop_id=review.shop_id):
        raise PermissionDenied("only the reviewed shop answers a review", code="not_your_shop")


def require_review_voter(actor: User, *, review: Review) -> None:
    require_review_visible(actor, review=review)
    if actor.role in READ_ONLY_ROLES:
        raise PermissionDenied("a regulator only reads", code="read_only")
    if actor.id == review.buyer_id:
        raise PermissionDenied("you cannot vote for your own review", code="own_review")

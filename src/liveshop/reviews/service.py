"""Writing, editing, answering and voting on reviews. Services flush; the caller commits.

A review's text (and a shop's reply) goes through moderation's filter: a block
refuses it (422), a mask stars the words, a line the filter wants a person to see
is held (only its author sees it) until a moderator approves it.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from liveshop.accounts.models import User
from liveshop.core.clock import utcnow
from liveshop.core.db import rows_changed
from liveshop.core.errors import Conflict, InvalidInput, NotFound
from liveshop.moderation.engine import default_moderator
from liveshop.moderation.lists import Action, Surface
from liveshop.orders.models import Order, OrderItem, OrderStatus
from liveshop.reviews import access
from liveshop.reviews.models import Review, ReviewStatus, ReviewVote
from liveshop.reviews.schemas import ReviewIn, ReviewPatch

REVIEWABLE_STATES = frozenset({OrderStatus.DELIVERED, OrderStatus.COMPLETED})


class ModeratedText:
    """The filter's answer for a review's text: what to store and whether to hold it."""

    def __init__(self, text: str) -> None:
        verdict = default_moderator().moderate(text, surface=Surface.COMMENT) if text else None
        if verdict is not None and verdict.action is Action.BLOCK:
            raise InvalidInput(
                "this text breaks the platform's rules: " + ", ".join(verdict.categories),
                code="text_blocked",
            )
        masked = verdict is not None and verdict.action is Action.MASK
        self.text = verdict.masked if verdict is not None and masked else text
        self.held = verdict is not None and verdict.action is Action.REVIEW
        self.categories = list(verdict.categories) if verdict is not None else []


def get_review(session: Session, *, review_id: int) -> Review:
    review = session.get(Review, review_id)
    if review is None:
        raise NotFound(f"review {review_id} not found", code="review_not_found")
    return review


def _reviewable_line(
    session: Session, *, buyer: User, order_item_id: int
) -> tuple[OrderItem, Order]:
    item = session.get(OrderItem, order_item_id)
    if item is None:
        raise NotFound("order line not found", code="order_item_not_found")
    order = session.get_one(Order, item.order_id)
    access.require_order_reviewer(buyer, order=order)
    if order.status not in REVIEWABLE_STATES:
        raise Conflict(
            f"only a delivered order is reviewed; this one is {order.status.value}",
            code="not_delivered",
        )
    return item, order


def write_review(
    session: Session,
    *,
    buyer: User,
    order_item_id: int,
    body: ReviewIn,
    edit_window: timedelta,
    now: datetime | None = None,
) -> Review:
    """The buyer's review of one line of a delivered order; a second one is a Conflict."""
    item, order = _reviewable_line(session, buyer=buyer, order_item_id=order_item_id)
    moderated = ModeratedText(body.text)
    moment = now or utcnow()
    review = Review(
        order_item_id=item.id,
        order_id=order.id,
        product_id=item.product_id,
        shop_id=order.shop_id,
        buyer_id=buyer.id,
        rating=body.rating,
        text=moderated.text,
        photos=list(body.photos),
        status=ReviewStatus.HELD if moderated.held else ReviewStatus.PUBLISHED,
        moderation_categories=moderated.categories,
        helpful_count=0,
        editable_until=moment + edit_window,
        created_at=moment,
        updated_at=moment,
    )
    try:
        with session.begin_nested():
            session.add(review)
    except IntegrityError as error:
        raise Conflict("this order line has a review already", code="already_reviewed") from error
    return review


def edit_review(
    session: Session,
    *,
    buyer: User,
    review_id: int,
    patch: ReviewPatch,
    now: datetime | None = None,
) -> Review:
    """Change one's own review while its edit window is open; new text is filtered again."""
    review = get_review(session, review_id=review_id)
    access.require_review_author(buyer, review=review)
    moment = now or utcnow()
    if review.status is ReviewStatus.REMOVED:
        raise Conflict("a removed review cannot be edited", code="review_removed")
    if moment > review.editable_until:
        raise Conflict("the time to edit this review is over", code="edit_window_closed")
    if patch.rating is not None:
        review.rating = patch.rating
    if patch.photos is not None:
        review.photos = list(patch.photos)
    if patch.text is not None:
        moderated = ModeratedText(patch.text)
        review.text = moderated.text
        review.moderation_categories = moderated.categories
        review.status = ReviewStatus.HELD if moderated.held else ReviewStatus.PUBLISHED
    review.updated_at = moment
    session.flush()
    return review


def reply_to_review(
    session: Session, *, actor: User, review_id: int, text: str, now: datetime | None = None
) -> Review:
    """The shop's answer (given again, it replaces the last one)."""
    review = get_review(session, review_id=review_id)
    access.require_review_replier(session, actor=actor, review=review)
    moderated = ModeratedText(text)
    if moderated.held:
        raise InvalidInput(
            "this reply needs a moderator's look: rephrase it without "
            + ", ".join(moderated.categories),
            code="reply_held",
        )
    review.reply = moderated.text
    review.replied_by = actor.id
    review.replied_at = now or utcnow()
    session.flush()
    return review


def vote_helpful(session: Session, *, voter: User, review_id: int) -> Review:
    """Count the reader's "helpful" once; voting again changes nothing."""
    review = get_review(session, review_id=review_id)
    access.require_review_voter(voter, review=review)
    try:
        with session.begin_nested():
            session.add(ReviewVote(review_id=review.id, user_id=voter.id))
    except IntegrityError:
        return review
    session.execute(
        update(Review)
        .where(Review.id == review.id)
        .values(helpful_count=Review.helpful_count + 1)
        .execution_options(synchronize_session=False)
    )
    session.refresh(review)
    return review


def held_reviews(session: Session, *, moderator: User, limit: int = 50) -> list[Review]:
    access.require_review_moderator(moderator)
    return list(
        session.scalars(
            select(Review)
            .where(Review.status == ReviewStatus.HELD)
            .order_by(Review.updated_at, Review.id)
            .limit(limit)
        )
    )


def decide_held_review(
    session: Session, *, moderator: User, review_id: int, approve: bool
) -> Review:
    """A moderator publishes a held review, or removes it."""
    access.require_review_moderator(moderator)
    review = get_review(session, review_id=review_id)
    moved = session.execute(
        update(Review)
        .where(Review.id == review.id, Review.status == ReviewStatus.HELD)
        .values(status=ReviewStatus.PUBLISHED if approve else ReviewStatus.REMOVED)
        .execution_options(synchronize_session=False)
    )
    session.refresh(review)
    if rows_changed(moved) != 1:
        raise Conflict(f"the review is {review.status.value}, not held", code="not_held")
    return review

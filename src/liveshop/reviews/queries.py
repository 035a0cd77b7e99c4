"""What readers see: a product's reviews, and product and shop ratings."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from sqlalchemy import ColumnElement, func, or_, select
from sqlalchemy.orm import Session

from liveshop.accounts.models import User
from liveshop.orders.models import OrderItem
from liveshop.privacy.masking import mask_username
from liveshop.reviews.access import can_moderate_reviews
from liveshop.reviews.models import Review, ReviewStatus
from liveshop.reviews.schemas import ProductReviewsOut, RatingSummary, ReviewOut

ReviewOrder = Literal["recent", "helpful", "rating_high", "rating_low"]
STARS = (5, 4, 3, 2, 1)


def _summary(session: Session, condition: ColumnElement[bool]) -> RatingSummary:
    rows = session.execute(
        select(Review.rating, func.count())
        .where(condition, Review.status == ReviewStatus.PUBLISHED)
        .group_by(Review.rating)
    ).all()
    distribution = dict.fromkeys(STARS, 0)
    for stars, count in rows:
        distribution[int(stars)] = int(count)
    count = sum(distribution.values())
    total = sum(stars * number for stars, number in distribution.items())
    # Round half up to one decimal in integers (no float drift at .x5).
    average = (total * 20 + count) // (count * 2) / 10 if count else 0.0
    return RatingSummary(count=count, average=average, distribution=distribution)


def product_rating(session: Session, *, product_id: int) -> RatingSummary:
    return _summary(session, Review.product_id == product_id)


def shop_rating(session: Session, *, shop_id: int, since: datetime | None = None) -> RatingSummary:
    condition: ColumnElement[bool] = Review.shop_id == shop_id
    if since is not None:
        condition = condition & (Review.created_at >= since)
    return _summary(session, condition)


def review_out(session: Session, review: Review, *, reader_id: int | None = None) -> ReviewOut:
    author = session.get_one(User, review.buyer_id)
    item = session.get(OrderItem, review.order_item_id)
    return ReviewOut(
        id=review.id,
        order_item_id=review.order_item_id,
        product_id=review.product_id,
        shop_id=review.shop_id,
        author=mask_username(author.public_name),
        rating=review.rating,
        text=review.text,
        photos=list(review.photos),
        status=review.status,
        reply=review.reply,
        replied_at=review.replied_at,
        helpful_count=review.helpful_count,
        created_at=review.created_at,
        updated_at=review.updated_at,
        editable_until=review.editable_until,
        variant=item.title if item else "",
        mine=reader_id == review.buyer_id,
    )


def _ordering(order: ReviewOrder) -> list[ColumnElement[Any]]:
    if order == "helpful":
        return [Review.helpful_count.desc(), Review.id.desc()]
    if order == "rating_high":
        return [Review.rating.desc(), Review.id.desc()]
    if order == "rating_low":
        return [Review.rating.asc(), Review.id.desc()]
    return [Review.created_at.desc(), Review.id.desc()]


def product_reviews(
    session: Session,
    *,
    product_id: int,
    shop_id: int,
    viewer: User | None,
    order: ReviewOrder = "recent",
    stars: int | None = None,
    limit: int = 20,
    offset: int = 0,
) -> ProductReviewsOut:
    """Published reviews (and the viewer's own held ones; moderators see held ones too),
    with the product's and the shop's ratings. The caller checked the product is visible."""
    shown: ColumnElement[bool] = Review.status == ReviewStatus.PUBLISHED
    if viewer is not None and can_moderate_reviews(viewer):
        shown = Review.status.in_([ReviewStatus.PUBLISHED, ReviewStatus.HELD])
    elif viewer is not None:
        shown = or_(shown, (Review.buyer_id == viewer.id) & (Review.status == ReviewStatus.HELD))
    condition = (Review.product_id == product_id) & shown
    if stars is not None:
        condition = condition & (Review.rating == stars)
    total = int(session.scalar(select(func.count()).select_from(Review).where(condition)) or 0)
    rows = session.scalars(
        select(Review).where(condition).order_by(*_ordering(order)).limit(limit).offset(offset)
    ).all()
    return ProductReviewsOut(
        product_id=product_id,
        product=product_rating(session, product_id=product_id),
        shop=shop_rating(session, shop_id=shop_id),
        reviews=[
            review_out(session, review, reader_id=viewer.id if viewer else None) for review in rows
        ],
        total=total,
        offset=offset,
        limit=limit,
    )

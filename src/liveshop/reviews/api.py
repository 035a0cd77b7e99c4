"""Reviews over HTTP: thin routes, one service call each."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Query, status

from liveshop.accounts.dependencies import CurrentUser, OptionalUser
from liveshop.catalog import service as catalog
from liveshop.core.dependencies import DbSession, RowId, SettingsDep
from liveshop.reviews import queries, service
from liveshop.reviews.queries import ReviewOrder
from liveshop.reviews.schemas import ProductReviewsOut, ReplyIn, ReviewIn, ReviewOut, ReviewPatch

router = APIRouter(tags=["reviews"])


@router.get("/api/products/{product_id}/reviews")
def product_reviews(
    product_id: RowId,
    user: OptionalUser,
    session: DbSession,
    order: ReviewOrder = "recent",
    stars: Annotated[int | None, Query(ge=1, le=5)] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    offset: Annotated[int, Query(ge=0, le=100_000)] = 0,
) -> ProductReviewsOut:
    product = catalog.get_visible_product(session, user=user, product_id=product_id)
    return queries.product_reviews(
        session,
        product_id=product.id,
        shop_id=product.shop_id,
        viewer=user,
        order=order,
        stars=stars,
        limit=limit,
        offset=offset,
    )


@router.post("/api/order-items/{item_id}/review", status_code=status.HTTP_201_CREATED)
def write_review(
    item_id: RowId, body: ReviewIn, user: CurrentUser, session: DbSession, settings: SettingsDep
) -> ReviewOut:
    review = service.write_review(
        session,
        buyer=user,
        order_item_id=item_id,
        body=body,
        edit_window=timedelta(hours=settings.review_edit_hours),
    )
    return queries.review_out(session, review, reader_id=user.id)


@router.patch("/api/reviews/{review_id}")
def edit_review(
    review_id: RowId, body: ReviewPatch, user: CurrentUser, session: DbSession
) -> ReviewOut:
    review = service.edit_review(session, buyer=user, review_id=review_id, patch=body)
    return queries.review_out(session, review, reader_id=user.id)


@router.put("/api/reviews/{review_id}/reply")
def reply_to_review(
    review_id: RowId, body: ReplyIn, user: CurrentUser, session: DbSession
) -> ReviewOut:
    review = service.reply_to_review(session, actor=user, review_id=review_id, text=body.text)
    return queries.review_out(session, review, reader_id=user.id)


@router.post("/api/reviews/{review_id}/helpful")
def vote_helpful(review_id: RowId, user: CurrentUser, session: DbSession) -> ReviewOut:
    review = service.vote_helpful(session, voter=user, review_id=review_id)
    return queries.review_out(session, review, reader_id=user.id)


@router.get("/api/reviews/held")
def held_reviews(user: CurrentUser, session: DbSession) -> list[ReviewOut]:
    return [
        queries.review_out(session, review, reader_id=user.id)
        for review in service.held_reviews(session, moderator=user)
    ]


@router.post("/api/reviews/{review_id}/approve")
def approve_review(review_id: RowId, user: CurrentUser, session: DbSession) -> ReviewOut:
    review = service.decide_held_review(session, moderator=user, review_id=review_id, approve=True)
    return queries.review_out(session, review, reader_id=user.id)


@router.post("/api/reviews/{review_id}/reject")
def reject_review(review_id: RowId, user: CurrentUser, session: DbSession) -> ReviewOut:
    review = service.decide_held_review(session, moderator=user, review_id=review_id, approve=False)
    return queries.review_out(session, review, reader_id=user.id)

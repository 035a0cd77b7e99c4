"""Reviews as governance sees them (governance may not import reviews).

``liveshop.wiring`` registers :func:`review_evidence` as the evidence source of
reports on reviews and :func:`shop_rating_figures` as the ratings behind the shop
score, and subscribes :class:`RemoveReviewsOnReportActioned` to ReportActioned.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import update
from sqlalchemy.orm import Session

from liveshop.core.db import rows_changed, unit_of_work
from liveshop.governance.events import ReportActioned
from liveshop.governance.reports import CapturedEvidence
from liveshop.governance.scores import RatingFigures
from liveshop.reviews.models import Review, ReviewStatus
from liveshop.reviews.queries import shop_rating
from liveshop.reviews.service import get_review

REVIEW_TARGET = "review"


def review_evidence(session: Session, review_id: int) -> CapturedEvidence:
    """The review as it stands when reported: its author is the accused."""
    review = get_review(session, review_id=review_id)
    return CapturedEvidence(
        accused_user_id=review.buyer_id,
        facts={
            "text": review.text,
            "rating": review.rating,
            "photos": list(review.photos),
            "product_id": review.product_id,
            "shop_id": review.shop_id,
            "status": review.status.value,
        },
    )


def shop_rating_figures(session: Session, shop_id: int, since: datetime) -> RatingFigures:
    """Published reviews of the shop written since ``since``, for its score."""
    summary = shop_rating(session, shop_id=shop_id, since=since)
    return RatingFigures(count=summary.count, average_tenths=round(summary.average * 10))


def remove_reported_review(session: Session, *, review_id: int, report_id: int) -> bool:
    """Hide a review a moderator acted on; True if it was visible until now."""
    removed = session.execute(
        update(Review)
        .where(Review.id == review_id, Review.status != ReviewStatus.REMOVED)
        .values(status=ReviewStatus.REMOVED, removed_by_report=report_id)
        .execution_options(synchronize_session=False)
    )
    return rows_changed(removed) == 1


class RemoveReviewsOnReportActioned:
    """Subscribed to ReportActioned: a review a moderator acted on leaves every page."""

    def __init__(self, database_url: str) -> None:
        self.database_url = database_url

    def __call__(self, event: ReportActioned) -> None:
        if event.target_type != REVIEW_TARGET:
            return
        with unit_of_work(self.database_url) as session:
            remove_reported_review(session, review_id=event.target_id, report_id=event.report_id)

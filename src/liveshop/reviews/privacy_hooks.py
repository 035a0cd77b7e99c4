"""What reviews hold about a person, for privacy's export and erasure.

Erasing an account takes the words and photos out of its reviews and hides them
(the ratings leave the averages); the votes it cast go.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, select, update

from liveshop.core.db import rows_changed
from liveshop.privacy.registry import DataSubject
from liveshop.reviews.models import Review, ReviewStatus, ReviewVote


def export_reviews(subject: DataSubject) -> dict[str, Any]:
    reviews = subject.session.scalars(
        select(Review).where(Review.buyer_id == subject.user_id).order_by(Review.id)
    ).all()
    votes = subject.session.scalars(
        select(ReviewVote.review_id).where(ReviewVote.user_id == subject.user_id)
    ).all()
    return {
        "reviews": [
            {
                "id": review.id,
                "product_id": review.product_id,
                "order_item_id": review.order_item_id,
                "rating": review.rating,
                "text": review.text,
                "photos": list(review.photos),
                "status": review.status.value,
                "shop_reply": review.reply,
                "created_at": review.created_at.isoformat(),
            }
            for review in reviews
        ],
        "helpful_votes_on_reviews": list(votes),
    }


def erase_reviews(subject: DataSubject) -> dict[str, int]:
    session = subject.session
    emptied = session.execute(
        update(Review)
        .where(Review.buyer_id == subject.user_id)
        .values(text="", photos=[], status=ReviewStatus.REMOVED)
    )
    votes = session.execute(delete(ReviewVote).where(ReviewVote.user_id == subject.user_id))
    return {"reviews": rows_changed(emptied), "review_votes": rows_changed(votes)}

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import (
    JSON,
    CheckConstraint,
    Enum,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from liveshop.core.clock import utcnow
from liveshop.core.db import Base, UtcDateTime


class ReviewStatus(enum.StrEnum):
    PUBLISHED = "published"  # everyone sees it and it counts in the ratings
    HELD = "held"  # the text filter asked a moderator to look first: only its author sees it
    REMOVED = "removed"  # a moderator acted on a report: hidden, not counted


class Review(Base):
    """One buyer's rating of one delivered order line (one review per line)."""

    __tablename__ = "reviews"
    __table_args__ = (
        CheckConstraint("rating BETWEEN 1 AND 5", name="rating_in_range"),
        CheckConstraint("helpful_count >= 0", name="helpful_not_negative"),
        Index("ix_reviews_product_status", "product_id", "status"),
        Index("ix_reviews_shop_status", "shop_id", "status"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    order_item_id: Mapped[int] = mapped_column(
        ForeignKey("order_items.id", ondelete="CASCADE"), unique=True
    )
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"))
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"))
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id"))
    buyer_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    rating: Mapped[int] = mapped_column(Integer)
    text: Mapped[str] = mapped_column(String(2000), default="")
    photos: Mapped[list[str]] = mapped_column(JSON, default=list)
    status: Mapped[ReviewStatus] = mapped_column(
        Enum(ReviewStatus, native_enum=False, length=10), default=ReviewStatus.PUBLISHED
    )
    moderation_categories: Mapped[list[str]] = mapped_column(JSON, default=list)
    reply: Mapped[str | None] = mapped_column(String(1000), nullable=True)
    replied_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    replied_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    helpful_count: Mapped[int] = mapped_column(Integer, default=0)
    editable_until: Mapped[datetime] = mapped_column(UtcDateTime)
    removed_by_report: Mapped[int | None] = mapped_column(Integer, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow, onupdate=utcnow)


class ReviewVote(Base):
    """A reader found a review helpful (once per reader and review)."""

    __tablename__ = "review_votes"
    __table_args__ = (UniqueConstraint("review_id", "user_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    review_id: Mapped[int] = mapped_column(ForeignKey("reviews.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)

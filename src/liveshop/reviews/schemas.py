from __future__ import annotations

from datetime import datetime
from typing import Annotated
from urllib.parse import urlsplit

from pydantic import AfterValidator, BaseModel, Field

from liveshop.core.validation import PlainText
from liveshop.reviews.models import ReviewStatus

MAX_PHOTOS = 9
MAX_PHOTO_URL = 500


def _https_photo_url(value: str) -> str:
    """A photo is an https address of a host: no credentials, no spaces, no other scheme."""
    value = value.strip()
    if len(value) > MAX_PHOTO_URL:
        raise ValueError(f"a photo address is at most {MAX_PHOTO_URL} characters")
    parts = urlsplit(value)
    if parts.scheme != "https" or not parts.hostname:
        raise ValueError("a photo must be an https:// address")
    if parts.username or parts.password:
        raise ValueError("a photo address may not carry a user name or password")
    if any(character.isspace() or ord(character) < 0x20 for character in value):
        raise ValueError("a photo address may not contain spaces or control characters")
    return value


PhotoUrl = Annotated[str, AfterValidator(_https_photo_url)]
Rating = Annotated[int, Field(ge=1, le=5)]


class ReviewIn(BaseModel):
    rating: Rating
    text: PlainText = Field(default="", max_length=2_000)
    photos: list[PhotoUrl] = Field(default_factory=list, max_length=MAX_PHOTOS)


class ReviewPatch(BaseModel):
    rating: Rating | None = None
    text: PlainText | None = Field(default=None, max_length=2_000)
    photos: list[PhotoUrl] | None = Field(default=None, max_length=MAX_PHOTOS)


class ReplyIn(BaseModel):
    text: PlainText = Field(min_length=1, max_length=1_000)


class ReviewOut(BaseModel):
    id: int
    order_item_id: int
    product_id: int
    shop_id: int
    author: str  # masked: 张** style
    rating: int
    text: str
    photos: list[str]
    status: ReviewStatus
    reply: str | None
    replied_at: datetime | None
    helpful_count: int
    created_at: datetime
    updated_at: datetime
    editable_until: datetime
    variant: str  # the order line's title: which SKU was bought
    mine: bool = False  # the reader wrote it


class RatingSummary(BaseModel):
    """Published reviews only. ``average`` is rounded to one decimal (0 with none)."""

    count: int
    average: float
    distribution: dict[int, int]  # stars -> how many reviews gave them


class ProductReviewsOut(BaseModel):
    product_id: int
    product: RatingSummary
    shop: RatingSummary
    reviews: list[ReviewOut]
    total: int
    offset: int
    limit: int

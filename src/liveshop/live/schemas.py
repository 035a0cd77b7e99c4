from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from liveshop.core.dependencies import MAX_ROW_ID
from liveshop.core.validation import PlainText
from liveshop.live.models import HeldCommentStatus, QuestionStatus, RestrictionKind, RoomStatus

MAX_RESTRICTION_MINUTES = 60 * 24 * 30


class RoomCreate(BaseModel):
    # Forbidden extras: a client still sending the retired host-set ``playback_url``
    # hears why (the video's URL comes from the media server while the room is live).
    model_config = ConfigDict(extra="forbid")

    title: PlainText = Field(min_length=1, max_length=120)
    description: PlainText = Field(default="", max_length=5000)
    scheduled_at: AwareDatetime | None = None


class HostOut(BaseModel):
    id: int
    username: str


class RoomOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    host: HostOut
    title: str
    description: str
    playback_url: str | None
    status: RoomStatus
    scheduled_at: datetime | None
    started_at: datetime | None
    ended_at: datetime | None
    viewers: int
    peak_viewers: int
    likes: int
    comment_count: int
    pinned: PinnedCard | None
    stream_status: Literal["offline", "live"] = Field(
        default="offline", description="whether the room's video reaches the media server"
    )


class PinIn(BaseModel):
    product_id: int = Field(ge=1, le=MAX_ROW_ID)


class ShelfIn(BaseModel):
    product_ids: list[int] = Field(max_length=100)


class ShelfExperimentIn(BaseModel):
    experiment_id: int = Field(ge=1, le=MAX_ROW_ID)
    leads: dict[str, int] = Field(
        min_length=2, max_length=10, description="each variant's first product (on the shelf)"
    )


class ShelfExperimentOut(BaseModel):
    room_id: int
    experiment_id: int
    leads: dict[str, int]
    exposed: bool = Field(
        description="a viewer was shown a variant: the attachment can no longer change"
    )


class PinnedSku(BaseModel):
    id: int
    options: dict[str, str]
    price: int
    in_stock: bool


class PinnedCard(BaseModel):
    """The catalog product pinned in the room; prices are the catalog's (分)."""

    product_id: int
    shop_id: int
    title: str
    price: int = Field(description="the lowest SKU price, minor units (分)")
    currency: str
    image_url: str | None
    skus: list[PinnedSku]


class TextIn(BaseModel):
    text: str = Field(min_length=1, max_length=500)


class LikesIn(BaseModel):
    count: int = Field(default=1, ge=1, le=1000)


class RestrictionIn(BaseModel):
    user_id: int = Field(ge=1, le=MAX_ROW_ID)
    minutes: int = Field(ge=1, le=MAX_RESTRICTION_MINUTES)


class RestrictionOut(BaseModel):
    room_id: int
    user_id: int
    kind: RestrictionKind
    until: datetime


class AnswerIn(BaseModel):
    answer: str = Field(min_length=1, max_length=2000)


class QuestionOut(BaseModel):
    id: int
    room_id: int
    user: str
    text: str
    upvotes: int
    status: QuestionStatus
    answer: str | None
    pinned: bool
    ts: float


class CommentOut(BaseModel):
    id: str = Field(description="a 63-bit id as a string: JavaScript numbers keep only 53 bits")
    user: str | None
    user_id: int | None
    kind: str
    text: str
    ts: float


class HeldCommentOut(BaseModel):
    """A chat line the filter held for a moderator, with whom, where and why."""

    id: str = Field(description="a 63-bit id as a string: JavaScript numbers keep only 53 bits")
    room_id: int
    room_title: str
    user_id: int
    user: str
    kind: str
    text: str
    categories: list[str]
    status: HeldCommentStatus
    at: datetime
    decided_by: int | None
    decided_at: datetime | None
    decision_note: str | None


class HeldCommentDecisionIn(BaseModel):
    note: PlainText = Field(default="", max_length=500)


RoomOut.model_rebuild()

from __future__ import annotations

from datetime import datetime

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, HttpUrl

from liveshop.live.models import QuestionStatus, RestrictionKind, RoomStatus

MAX_RESTRICTION_MINUTES = 60 * 24 * 30


class RoomCreate(BaseModel):
    title: str = Field(min_length=1, max_length=120)
    description: str = Field(default="", max_length=5000)
    scheduled_at: AwareDatetime | None = None
    playback_url: HttpUrl | None = None


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
    pinned: ProductCard | None


class ProductCard(BaseModel):
    """A product card pinned in the room (free-form until the catalog lands)."""

    title: str = Field(min_length=1, max_length=120)
    price: int = Field(ge=0, le=10**12, description="minor units (分)")
    currency: str = Field(default="CNY", pattern=r"^[A-Z]{3}$")
    image_url: HttpUrl | None = None


class TextIn(BaseModel):
    text: str = Field(min_length=1, max_length=500)


class LikesIn(BaseModel):
    count: int = Field(default=1, ge=1, le=1000)


class RestrictionIn(BaseModel):
    user_id: int = Field(ge=1)
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
    id: int
    user: str | None
    user_id: int | None
    kind: str
    text: str
    ts: float


RoomOut.model_rebuild()

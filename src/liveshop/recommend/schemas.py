"""What the recommendation endpoints answer."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel


class RecommendedProduct(BaseModel):
    product_id: int
    title: str
    shop_id: int
    category: str
    score: float
    reason: str  # for people: "because you watched X", "popular in Y"
    reason_kind: str  # stable key of the reason (pages word it in their language)
    reason_subject: str  # the X or Y of the reason, or ""


class ProductRecommendations(BaseModel):
    context: str
    personalised: bool  # False: the viewer is anonymous or turned personalisation off
    model_version: str | None
    items: list[RecommendedProduct]


class RecommendedRoom(BaseModel):
    room_id: int
    title: str
    host_id: int
    host_name: str
    status: str
    scheduled_at: datetime | None
    viewers: int
    score: float
    reason: str
    reason_kind: str
    reason_subject: str


class RoomRecommendations(BaseModel):
    personalised: bool
    model_version: str | None
    items: list[RecommendedRoom]

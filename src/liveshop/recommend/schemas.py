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


class RoomRecommendations(BaseModel):
    personalised: bool
    model_version: str | None
    items: list[RecommendedRoom]

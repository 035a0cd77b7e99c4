from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from liveshop.tracking.models import ParcelStatus


class ShipmentIn(BaseModel):
    carrier: str = Field(min_length=2, max_length=30, pattern=r"^[a-z0-9_]+$")
    tracking_number: str = Field(min_length=4, max_length=64, pattern=r"^[A-Za-z0-9\-]+$")


class CarrierEventOut(BaseModel):
    status: ParcelStatus
    location: str
    description: str
    occurred_at: datetime


class ShipmentOut(BaseModel):
    order_id: int
    carrier: str
    carrier_name: str
    tracking_number: str
    status: ParcelStatus
    delivered_at: datetime | None
    events: list[CarrierEventOut]  # newest first


class PushResult(BaseModel):
    recorded: int
    duplicates: int

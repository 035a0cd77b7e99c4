from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from liveshop.tracking.models import ParcelStatus


class ShipmentIn(BaseModel):
    carrier: str = Field(min_length=2, max_length=30, pattern=r"^[a-z0-9_]+$")
    tracking_number: str = Field(min_length=4, max_length=64, pattern=r"^[A-Za-z0-9\-]+$")


class CarrierEventOut(BaseModel):
    status: ParcelStatus
    scan: str | None  # what happened, as a code; None on a scan kept before codes
    description: str  # the scan in the request's language (or as stored, without a code)
    lang: str  # the language of ``description``: "en", "zh-CN"
    location: str  # as the carrier wrote it
    carrier_note: str  # the carrier's own words, as it sent them ("" when none)
    occurred_at: datetime


class ShipmentOut(BaseModel):
    order_id: int
    carrier: str
    carrier_name: str  # in the request's language
    tracking_number: str
    status: ParcelStatus
    delivered_at: datetime | None
    events: list[CarrierEventOut]  # newest first


class PushResult(BaseModel):
    recorded: int
    duplicates: int

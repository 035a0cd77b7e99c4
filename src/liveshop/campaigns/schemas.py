"""Campaigns' request and response bodies (money in integer minor units)."""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Self

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from liveshop.core.validation import PlainText

KNOWN_CHANNELS = (
    "douyin",
    "wechat",
    "weibo",
    "xiaohongshu",
    "tiktok",
    "instagram",
    "facebook",
)
SHARE_CHANNEL = "share"  # a viewer's share link: never a campaign's channel
CHANNEL_PATTERN = re.compile(r"^[a-z0-9][a-z0-9_\-]{0,39}$")
TARGET_PATTERN = re.compile(r"^(room|product|coupon):([1-9][0-9]{0,9})$")
MAX_ROW_ID = 2**31 - 1  # ids are INTEGER on PostgreSQL
GOALS = ("awareness", "traffic", "room_visits", "sales", "followers")


def normalise_channel(value: str) -> str:
    """Known channels by name, or a custom one: lower case letters, digits, ``_`` ``-``."""
    channel = value.strip().lower()
    if not CHANNEL_PATTERN.match(channel):
        raise ValueError(
            f"channel {value!r}: use one of {', '.join(KNOWN_CHANNELS)} or a custom name "
            "of letters, digits, '_' and '-' (at most 40)"
        )
    if channel == SHARE_CHANNEL:
        raise ValueError("'share' is the channel of viewers' share links")
    return channel


class CampaignIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: PlainText = Field(min_length=1, max_length=120)
    channels: list[str] = Field(min_length=1, max_length=20)
    budget: int = Field(ge=0, le=10**13, description="minor units (分)")
    starts_at: datetime
    ends_at: datetime
    goal: str = Field(default="sales", description=f"one of {', '.join(GOALS)}")
    commission_bps: int = Field(
        default=0, ge=0, le=5_000, description="KOLs' commission on attributed orders, 1/100 %"
    )

    @field_validator("channels")
    @classmethod
    def _channels(cls, value: list[str]) -> list[str]:
        return list(dict.fromkeys(normalise_channel(channel) for channel in value))

    @field_validator("goal")
    @classmethod
    def _goal(cls, value: str) -> str:
        if value not in GOALS:
            raise ValueError(f"goal is one of {', '.join(GOALS)}")
        return value

    @model_validator(mode="after")
    def _dates(self) -> Self:
        if self.starts_at.tzinfo is None or self.ends_at.tzinfo is None:
            raise ValueError("dates carry a time zone (e.g. 2026-12-06T10:00:00+08:00)")
        if self.ends_at <= self.starts_at:
            raise ValueError("ends_at is after starts_at")
        return self


class CampaignOut(BaseModel):
    id: int
    shop_id: int
    name: str
    channels: list[str]
    budget: int
    currency: str
    starts_at: datetime
    ends_at: datetime
    goal: str
    commission_bps: int
    created_at: datetime


class LinkIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    target: str = Field(description="room:ID, product:ID or coupon:ID")
    channel: str
    creative: PlainText = Field(default="", max_length=80)
    kol: PlainText = Field(default="", max_length=80, description="the KOL's name or handle")
    kol_user_id: int | None = Field(
        default=None,
        ge=1,
        le=MAX_ROW_ID,
        description="the KOL's LiveShop account, paid the commission",
    )

    @field_validator("target")
    @classmethod
    def _target(cls, value: str) -> str:
        match = TARGET_PATTERN.match(value)
        if not match or int(match.group(2)) > MAX_ROW_ID:
            raise ValueError("target is room:ID, product:ID or coupon:ID")
        return value

    @field_validator("channel")
    @classmethod
    def _channel(cls, value: str) -> str:
        return normalise_channel(value)


class LandingIn(BaseModel):
    """Where one variant of a link's landing test sends its clicks, and its creative."""

    model_config = ConfigDict(extra="forbid")

    target: str = Field(description="room:ID, product:ID or coupon:ID, of the campaign's shop")
    creative: PlainText = Field(default="", max_length=80)

    @field_validator("target")
    @classmethod
    def _target(cls, value: str) -> str:
        match = TARGET_PATTERN.match(value)
        if not match or int(match.group(2)) > MAX_ROW_ID:
            raise ValueError("target is room:ID, product:ID or coupon:ID")
        return value


class LandingExperimentIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    experiment_id: int = Field(ge=1, le=MAX_ROW_ID)
    landings: dict[str, LandingIn] = Field(min_length=2, max_length=10)


class LandingExperimentOut(BaseModel):
    code: str
    experiment_id: int
    landings: dict[str, LandingIn]
    exposed: bool = Field(description="someone was shown a variant: the test can no longer change")


class ShareLinkIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    target: str = Field(description="room:ID or product:ID")

    @field_validator("target")
    @classmethod
    def _target(cls, value: str) -> str:
        match = TARGET_PATTERN.match(value)
        if not match or match.group(1) == "coupon" or int(match.group(2)) > MAX_ROW_ID:
            raise ValueError("a share link leads to room:ID or product:ID")
        return value


class LinkOut(BaseModel):
    code: str
    url: str
    qr_url: str
    campaign_id: int | None
    target: str
    channel: str
    creative: str
    kol: str
    kol_user_id: int | None
    sharer_id: int | None
    created_at: datetime


class SpendRowIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    date: date
    channel: str
    impressions: int = Field(ge=0, le=10**13)
    spend: int = Field(ge=0, le=10**13, description="minor units")
    creative: PlainText = Field(default="", max_length=80)

    @field_validator("channel")
    @classmethod
    def _channel(cls, value: str) -> str:
        return normalise_channel(value)


class SpendIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    rows: list[SpendRowIn] = Field(min_length=1, max_length=20_000)


class SpendImportOut(BaseModel):
    rows: int
    impressions: int
    spend: int
    source_format: str


class MetricsOut(BaseModel):
    campaign_id: int
    by: str
    model: str
    window_days: int
    rows: list[dict[str, object]]
    totals: dict[str, object]
    definitions: dict[str, str]


class KolLineOut(BaseModel):
    kol: str
    kol_user_id: int | None
    links: int
    orders: int
    gmv: int
    pending: int = Field(description="commissions not yet settled, minor units")
    settled: int
    cancelled: int
    clawed_back: int = Field(description="of the settled, what later refunds took back")


class ReferralLinkOut(BaseModel):
    code: str
    url: str
    target: str
    created_at: datetime
    clicks: int
    orders: int = Field(description="paid orders attributed to the link that earn a commission")
    gmv: int = Field(description="those orders' totals, minor units")
    commission_pending: int = Field(description="inside the orders' after-sales window")
    commission_settled: int = Field(description="posted to the sharer's earnings in the ledger")
    clawed_back: int = Field(description="taken back from settled commissions by refunds")


class ReferralsOut(BaseModel):
    commission_bps: int = Field(description="the sharers' rate, basis points of an order")
    links: list[ReferralLinkOut]
    clicks: int
    orders: int
    gmv: int
    commission_pending: int
    commission_settled: int
    clawed_back: int

"""Campaigns' tables: campaigns, tracking links, touches (clicks, visits, attributed
calls), spend rows, paid orders seen (conversions), KOL commissions, experiments and
their exposures, audience pushes and their recipients."""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Date,
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


class Campaign(Base):
    """A shop's promotion on social channels, with a budget (minor units) and dates."""

    __tablename__ = "campaigns"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id"), index=True)
    name: Mapped[str] = mapped_column(String(120))
    channels: Mapped[list[str]] = mapped_column(JSON)
    budget: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3), default="CNY")
    starts_at: Mapped[datetime] = mapped_column(UtcDateTime)
    ends_at: Mapped[datetime] = mapped_column(UtcDateTime)
    goal: Mapped[str] = mapped_column(String(40))
    commission_bps: Mapped[int] = mapped_column(Integer, default=0)  # KOLs' share, 1/100 %
    created_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class TargetKind(enum.StrEnum):
    ROOM = "room"
    PRODUCT = "product"
    COUPON = "coupon"


class TrackingLink(Base):
    """A short code that leads to a room, product or coupon, for one campaign, channel,
    creative and KOL; or a viewer's share link (channel ``share``, no campaign)."""

    __tablename__ = "tracking_links"
    __table_args__ = (Index("ix_tracking_links_sharer_target", "sharer_id", "target"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(16), unique=True)
    campaign_id: Mapped[int | None] = mapped_column(
        ForeignKey("campaigns.id"), index=True, nullable=True
    )
    shop_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    target: Mapped[str] = mapped_column(String(40))  # "room:12"
    channel: Mapped[str] = mapped_column(String(40))
    creative: Mapped[str] = mapped_column(String(80), default="")
    kol: Mapped[str] = mapped_column(String(80), default="")
    kol_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    sharer_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    # An A/B test of where its clicks land (``link_experiments.py``): per variant, the
    # target and the creative, {"b": {"target": "product:7", "creative": "poster-b"}}.
    experiment_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    experiment_landings: Mapped[dict[str, dict[str, str]] | None] = mapped_column(
        JSON, nullable=True
    )
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class TouchKind(enum.StrEnum):
    CLICK = "click"  # the link was opened
    VISIT = "visit"  # a room page or room API read carrying the link's cookie
    CALL = "call"  # any other API call carrying it


class Touch(Base):
    """One contact of a visitor (and, once known, a user) with a tracking link."""

    __tablename__ = "attribution_touches"
    __table_args__ = (
        Index("ix_attribution_touches_user_at", "user_id", "at"),
        Index("ix_attribution_touches_link_kind", "link_id", "kind"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    link_id: Mapped[int] = mapped_column(ForeignKey("tracking_links.id", ondelete="CASCADE"))
    visitor: Mapped[str] = mapped_column(String(32), index=True)
    user_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    kind: Mapped[TouchKind] = mapped_column(Enum(TouchKind, native_enum=False, length=10))
    room_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class SpendRow(Base):
    """Impressions and spend of one campaign, channel, creative and day."""

    __tablename__ = "campaign_spend"
    __table_args__ = (UniqueConstraint("campaign_id", "day", "channel", "creative"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"))
    day: Mapped[date] = mapped_column(Date)
    channel: Mapped[str] = mapped_column(String(40))
    creative: Mapped[str] = mapped_column(String(80), default="")
    impressions: Mapped[int] = mapped_column(BigInteger)
    spend: Mapped[int] = mapped_column(BigInteger)  # minor units


class Conversion(Base):
    """A paid order, as OrderPaid told it (campaigns never read orders' tables)."""

    __tablename__ = "campaign_conversions"
    __table_args__ = (Index("ix_campaign_conversions_buyer_paid", "buyer_id", "paid_at"),)

    order_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    buyer_id: Mapped[int] = mapped_column(Integer)
    shop_id: Mapped[int] = mapped_column(Integer, index=True)
    room_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    paid_at: Mapped[datetime] = mapped_column(UtcDateTime)
    total: Mapped[int] = mapped_column(BigInteger)
    refunded: Mapped[int] = mapped_column(BigInteger, default=0)


class CommissionStatus(enum.StrEnum):
    PENDING = "pending"
    SETTLED = "settled"
    CANCELLED = "cancelled"


class Commission(Base):
    """A KOL's (or sharer's) commission on one attributed order."""

    __tablename__ = "kol_commissions"

    order_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    link_id: Mapped[int] = mapped_column(ForeignKey("tracking_links.id"))
    kol_user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    shop_id: Mapped[int] = mapped_column(Integer)
    amount: Mapped[int] = mapped_column(BigInteger)
    clawed_back: Mapped[int] = mapped_column(BigInteger, default=0)  # taken back by refunds
    status: Mapped[CommissionStatus] = mapped_column(
        Enum(CommissionStatus, native_enum=False, length=10)
    )
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    decided_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)


class Experiment(Base):
    """An A/B test: weighted variants, assigned by a hash of experiment and user."""

    __tablename__ = "experiments"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    shop_id: Mapped[int | None] = mapped_column(ForeignKey("shops.id"), nullable=True)
    name: Mapped[str] = mapped_column(String(120))
    variants: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    metric: Mapped[str] = mapped_column(String(40))
    planned_users: Mapped[int | None] = mapped_column(Integer, nullable=True)  # per variant
    created_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class Exposure(Base):
    """The first time a user was shown their variant (logged once)."""

    __tablename__ = "experiment_exposures"
    __table_args__ = (UniqueConstraint("experiment_id", "user_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    experiment_id: Mapped[int] = mapped_column(ForeignKey("experiments.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(Integer)
    variant: Mapped[str] = mapped_column(String(60))
    at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class VisitorExposure(Base):
    """A signed-out visitor's variant (by the attribution cookie's visitor id), logged
    the first time a link's click landed them on it."""

    __tablename__ = "experiment_visitor_exposures"
    __table_args__ = (UniqueConstraint("experiment_id", "visitor"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    experiment_id: Mapped[int] = mapped_column(ForeignKey("experiments.id", ondelete="CASCADE"))
    visitor: Mapped[str] = mapped_column(String(32))
    variant: Mapped[str] = mapped_column(String(60))
    at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class Push(Base):
    """A coupon or room reminder sent to an audience, with a random holdout kept out."""

    __tablename__ = "audience_pushes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))  # coupon, room_reminder
    target: Mapped[str] = mapped_column(String(40))
    message: Mapped[str] = mapped_column(String(300), default="")
    holdout_share: Mapped[int] = mapped_column(Integer)  # percent
    created_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    sent_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class PushRecipient(Base):
    """A user of a push's audience: sent to (treated) or held out."""

    __tablename__ = "audience_push_recipients"
    __table_args__ = (UniqueConstraint("push_id", "user_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    push_id: Mapped[int] = mapped_column(ForeignKey("audience_pushes.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(Integer)
    held_out: Mapped[bool] = mapped_column(default=False)

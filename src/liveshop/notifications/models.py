from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
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


class NotificationKind(enum.StrEnum):
    ROOM_LIVE = "room_live"  # a followed host or shop went live
    ROOM_STARTING = "room_starting"  # a room I subscribed to starts in minutes
    ORDER_SHIPPED = "order_shipped"
    ORDER_DELIVERED = "order_delivered"
    PARCEL_EXCEPTION = "parcel_exception"
    REFUND_DECIDED = "refund_decided"
    COUPON_EXPIRING = "coupon_expiring"
    AUCTION_OUTBID = "auction_outbid"
    ROOM_PROMOTED = "room_promoted"  # a shop's room reminder pushed to an audience
    ORDER_APPEAL = "order_appeal"  # an order the risk review cancelled, reconsidered


class HostFollower(Base):
    """A user follows a host (shops are followed in catalog's shop_followers)."""

    __tablename__ = "host_followers"
    __table_args__ = (UniqueConstraint("host_id", "user_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    host_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    followed_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class RoomReminder(Base):
    """A user's subscription (预约) to a scheduled room: reminded once before it starts."""

    __tablename__ = "room_reminders"
    __table_args__ = (UniqueConstraint("room_id", "user_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    room_id: Mapped[int] = mapped_column(ForeignKey("rooms.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    reminded_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)


class Notification(Base):
    """One notice in a user's centre. ``dedupe_key`` makes each fact notify once per
    user, however often the event or a fan-out batch is retried."""

    __tablename__ = "notifications"
    __table_args__ = (
        UniqueConstraint("user_id", "dedupe_key"),
        Index("ix_notifications_user_read", "user_id", "read_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    kind: Mapped[NotificationKind] = mapped_column(
        Enum(NotificationKind, native_enum=False, length=20)
    )
    # What the notice says, worded when read in the reader's language (notifications.words).
    # None on notices kept before they had parameters: their title and body are their words.
    params: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    title: Mapped[str] = mapped_column(String(200), default="")
    body: Mapped[str] = mapped_column(String(500), default="")
    link: Mapped[str] = mapped_column(String(300), default="")
    dedupe_key: Mapped[str] = mapped_column(String(120))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    read_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)


class NotificationSettings(Base):
    """Where a user's email goes; without an address nothing is emailed."""

    __tablename__ = "notification_settings"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    email: Mapped[str | None] = mapped_column(String(254), nullable=True)
    # Per kind: {"room_live": {"in_app": true, "email": false}, ...}; a kind left out
    # takes the defaults (in the centre, no email).
    kinds: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow, onupdate=utcnow)


class OutboundEmailStatus(enum.StrEnum):
    PENDING = "pending"
    SENT = "sent"
    FAILED = "failed"  # gave up after the last attempt


class OutboundEmail(Base):
    """An email waiting for (or past) the SMTP relay: sent by a background job."""

    __tablename__ = "outbound_emails"
    __table_args__ = (
        UniqueConstraint("user_id", "dedupe_key"),
        Index("ix_outbound_emails_status", "status", "id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # The user and the fact it tells (the notice itself may be off in the centre).
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    dedupe_key: Mapped[str] = mapped_column(String(120))
    kind: Mapped[NotificationKind] = mapped_column(
        Enum(NotificationKind, native_enum=False, length=20)
    )
    recipient: Mapped[str] = mapped_column(String(254))
    subject: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(String(4000))
    unsubscribe_url: Mapped[str] = mapped_column(String(500))
    status: Mapped[OutboundEmailStatus] = mapped_column(
        Enum(OutboundEmailStatus, native_enum=False, length=10),
        default=OutboundEmailStatus.PENDING,
    )
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(String(300), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)


class FanOutStatus(enum.StrEnum):
    PENDING = "pending"
    DONE = "done"


class FanOut(Base):
    """A notice to every follower of a host or shop, written in batches by a
    background job: ``cursor`` is the last user id written (users in id order)."""

    __tablename__ = "notification_fan_outs"
    __table_args__ = (Index("ix_notification_fan_outs_status", "status", "id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[NotificationKind] = mapped_column(
        Enum(NotificationKind, native_enum=False, length=20)
    )
    dedupe_key: Mapped[str] = mapped_column(String(120), unique=True)
    host_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    shop_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    # The notice's parameters (None on a fan-out queued before notices had them, whose
    # title and body are its words).
    params: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    title: Mapped[str] = mapped_column(String(200), default="")
    body: Mapped[str] = mapped_column(String(500), default="")
    link: Mapped[str] = mapped_column(String(300), default="")
    status: Mapped[FanOutStatus] = mapped_column(
        Enum(FanOutStatus, native_enum=False, length=10), default=FanOutStatus.PENDING
    )
    cursor: Mapped[int] = mapped_column(Integer, default=0)
    delivered: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)

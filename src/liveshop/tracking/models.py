from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import Enum, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from liveshop.core.clock import utcnow
from liveshop.core.db import Base, UtcDateTime


class ParcelStatus(enum.StrEnum):
    REGISTERED = "registered"  # the label exists; the carrier has not scanned it yet
    PICKED_UP = "picked_up"
    IN_TRANSIT = "in_transit"
    OUT_FOR_DELIVERY = "out_for_delivery"
    DELIVERED = "delivered"
    EXCEPTION = "exception"  # lost, damaged, refused, address problem


class Shipment(Base):
    """An order's parcel: its carrier, tracking number and where it is now."""

    __tablename__ = "shipments"
    __table_args__ = (UniqueConstraint("carrier", "tracking_number"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), unique=True)
    carrier: Mapped[str] = mapped_column(String(30))
    tracking_number: Mapped[str] = mapped_column(String(64))
    status: Mapped[ParcelStatus] = mapped_column(
        Enum(ParcelStatus, native_enum=False, length=20), default=ParcelStatus.REGISTERED
    )
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow, onupdate=utcnow)
    delivered_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)


class CarrierEvent(Base):
    """One scan on the carrier's side. ``event_id`` is the carrier's own id, so a
    webhook delivered twice records the event once."""

    __tablename__ = "carrier_events"
    __table_args__ = (
        UniqueConstraint("shipment_id", "event_id"),
        Index("ix_carrier_events_shipment_at", "shipment_id", "occurred_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    shipment_id: Mapped[int] = mapped_column(ForeignKey("shipments.id", ondelete="CASCADE"))
    event_id: Mapped[str] = mapped_column(String(80))
    status: Mapped[ParcelStatus] = mapped_column(Enum(ParcelStatus, native_enum=False, length=20))
    # What happened, as a code worded when read (tracking.words); None on scans kept
    # before scans had one, whose ``description`` is the words they were stored with.
    scan: Mapped[str | None] = mapped_column(String(30), nullable=True)
    location: Mapped[str] = mapped_column(String(120), default="")  # as the carrier wrote it
    description: Mapped[str] = mapped_column(String(300), default="")  # the carrier's own note
    occurred_at: Mapped[datetime] = mapped_column(UtcDateTime)
    received_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    CheckConstraint,
    Enum,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from liveshop.core.clock import utcnow
from liveshop.core.db import Base, UtcDateTime


class ListingStatus(enum.StrEnum):
    """Whether buyers see a product: its copy passed the advertising-law check (or a
    moderator approved it), or it waits for a moderator."""

    PUBLISHED = "published"
    HELD_FOR_REVIEW = "held_for_review"


class Shop(Base):
    __tablename__ = "shops"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id"), unique=True)
    name: Mapped[str] = mapped_column(String(80))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class ShopStaff(Base):
    """A user who acts for a shop (they accepted its owner's invitation). A user
    staffs at most one shop, and never one besides a shop of their own."""

    __tablename__ = "shop_staff"
    __table_args__ = (UniqueConstraint("shop_id", "user_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True, unique=True)


class InvitationStatus(enum.StrEnum):
    PENDING = "pending"
    ACCEPTED = "accepted"
    DECLINED = "declined"
    REVOKED = "revoked"  # by the owner, before an answer


class ShopStaffInvitation(Base):
    """A shop owner asks a user to act for the shop; nothing changes until they accept."""

    __tablename__ = "shop_staff_invitations"
    __table_args__ = (
        # One open question per shop and user at a time.
        Index(
            "uq_shop_staff_invitations_pending",
            "shop_id",
            "user_id",
            unique=True,
            sqlite_where=text("status = 'PENDING'"),
            postgresql_where=text("status = 'PENDING'"),
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    invited_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    status: Mapped[InvitationStatus] = mapped_column(
        Enum(InvitationStatus, native_enum=False, length=10)
    )
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    decided_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)


class Product(Base):
    __tablename__ = "products"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id"), index=True)
    title: Mapped[str] = mapped_column(String(120))
    description: Mapped[str] = mapped_column(Text, default="")
    category: Mapped[str] = mapped_column(String(60), default="")
    brand: Mapped[str] = mapped_column(String(60), default="")
    attributes: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    images: Mapped[list[str]] = mapped_column(JSON, default=list)
    currency: Mapped[str] = mapped_column(String(3), default="CNY")
    # No default: whoever saves a product has checked its copy (catalog.copy_review).
    listing_status: Mapped[ListingStatus] = mapped_column(
        Enum(ListingStatus, native_enum=False, length=20), index=True
    )
    listing_findings: Mapped[list[dict[str, str]]] = mapped_column(JSON, default=list)
    listing_note: Mapped[str | None] = mapped_column(String(500), nullable=True)
    # A user id without a foreign key: adding one rebuilds the table on SQLite (migration 0014).
    listing_reviewed_by: Mapped[int | None] = mapped_column(Integer, nullable=True)
    listing_reviewed_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow, onupdate=utcnow)


class Sku(Base):
    """A variant with its own price and stock; stock never goes below zero."""

    __tablename__ = "skus"
    __table_args__ = (
        UniqueConstraint("product_id", "code"),
        CheckConstraint("stock >= 0", name="stock_not_negative"),
        CheckConstraint("price >= 0", name="price_not_negative"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    product_id: Mapped[int] = mapped_column(
        ForeignKey("products.id", ondelete="CASCADE"), index=True
    )
    code: Mapped[str] = mapped_column(String(64))
    options: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    price: Mapped[int] = mapped_column(Integer)
    stock: Mapped[int] = mapped_column(Integer, default=0)
    position: Mapped[int] = mapped_column(Integer, default=0)


class PriceChange(Base):
    """Every price a SKU has had, so that "was 299, now 99" claims can be checked."""

    __tablename__ = "price_changes"
    __table_args__ = (Index("ix_price_changes_sku_at", "sku_id", "effective_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    sku_id: Mapped[int] = mapped_column(ForeignKey("skus.id", ondelete="CASCADE"))
    price: Mapped[int] = mapped_column(Integer)
    effective_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class ShopFollower(Base):
    __tablename__ = "shop_followers"
    __table_args__ = (UniqueConstraint("shop_id", "user_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    followed_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)

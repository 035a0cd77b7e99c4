from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Enum,
    ForeignKey,
    Integer,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from liveshop.core.clock import utcnow
from liveshop.core.db import Base, UtcDateTime


class FlashSale(Base):
    """Units of one SKU set aside for a timed sale in a room; sold + remaining == quantity."""

    __tablename__ = "flash_sales"
    __table_args__ = (
        CheckConstraint("sold >= 0 AND sold <= quantity", name="sold_within_quantity"),
        CheckConstraint("price >= 0", name="price_not_negative"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    room_id: Mapped[int] = mapped_column(ForeignKey("rooms.id"), index=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id"), index=True)
    sku_id: Mapped[int] = mapped_column(ForeignKey("skus.id"))
    price: Mapped[int] = mapped_column(Integer)
    reference_price: Mapped[int] = mapped_column(Integer)
    quantity: Mapped[int] = mapped_column(Integer)
    sold: Mapped[int] = mapped_column(Integer, default=0)
    per_user_limit: Mapped[int] = mapped_column(Integer)
    starts_at: Mapped[datetime] = mapped_column(UtcDateTime)
    ends_at: Mapped[datetime] = mapped_column(UtcDateTime)
    created_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class FlashSaleBuyer(Base):
    """How many units each buyer holds in a sale (the per-user limit is checked on it)."""

    __tablename__ = "flash_sale_buyers"
    __table_args__ = (
        UniqueConstraint("sale_id", "user_id"),
        CheckConstraint("bought >= 0", name="bought_not_negative"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    sale_id: Mapped[int] = mapped_column(ForeignKey("flash_sales.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    bought: Mapped[int] = mapped_column(Integer, default=0)


class FlashSaleAdmission(Base):
    """The public admission log: who got units, in what order, for which order."""

    __tablename__ = "flash_sale_admissions"
    __table_args__ = (UniqueConstraint("sale_id", "user_id", "attempt_key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    sale_id: Mapped[int] = mapped_column(
        ForeignKey("flash_sales.id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    attempt_key: Mapped[str] = mapped_column(String(100))
    quantity: Mapped[int] = mapped_column(Integer)
    order_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    admitted_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    released: Mapped[bool] = mapped_column(Boolean, default=False)


class CouponKind(enum.StrEnum):
    THRESHOLD = "threshold"  # 满减: spend ``threshold``, save ``amount``
    PERCENT = "percent"  # ``percent`` off, at most ``cap``
    FIXED = "fixed"  # ``amount`` off


class CouponIssuer(enum.StrEnum):
    SHOP = "shop"
    PLATFORM = "platform"


class Coupon(Base):
    """A coupon batch; ``room_id`` makes it a drop that viewers grab live in the room."""

    __tablename__ = "coupons"
    __table_args__ = (
        CheckConstraint("claimed >= 0 AND claimed <= total_quantity", name="claimed_within_total"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(80))
    issuer: Mapped[CouponIssuer] = mapped_column(Enum(CouponIssuer, native_enum=False, length=10))
    shop_id: Mapped[int | None] = mapped_column(ForeignKey("shops.id"), nullable=True, index=True)
    product_id: Mapped[int | None] = mapped_column(ForeignKey("products.id"), nullable=True)
    room_id: Mapped[int | None] = mapped_column(ForeignKey("rooms.id"), nullable=True, index=True)
    kind: Mapped[CouponKind] = mapped_column(Enum(CouponKind, native_enum=False, length=10))
    threshold: Mapped[int] = mapped_column(Integer, default=0)
    amount: Mapped[int] = mapped_column(Integer, default=0)
    percent: Mapped[int] = mapped_column(Integer, default=0)
    cap: Mapped[int] = mapped_column(Integer, default=0)
    starts_at: Mapped[datetime] = mapped_column(UtcDateTime)
    ends_at: Mapped[datetime] = mapped_column(UtcDateTime)
    total_quantity: Mapped[int] = mapped_column(Integer)
    claimed: Mapped[int] = mapped_column(Integer, default=0)
    per_user_limit: Mapped[int] = mapped_column(Integer, default=1)
    # An A/B test of its depth (``coupon_experiments.py``): campaigns' experiment (no
    # foreign key: campaigns sits above promotions) and each variant's depth, the
    # amount in minor units, or the percent of a percent coupon.
    experiment_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    experiment_depths: Mapped[dict[str, int] | None] = mapped_column(JSON, nullable=True)
    # An A/B test of how long a viewer has to grab it once shown (``coupon_countdowns.py``):
    # the experiment and each variant's seconds.
    countdown_experiment_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    countdown_seconds: Mapped[dict[str, int] | None] = mapped_column(JSON, nullable=True)
    created_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class CouponHolder(Base):
    """How many of a coupon each user claimed (the per-user limit is checked on it)."""

    __tablename__ = "coupon_holders"
    __table_args__ = (UniqueConstraint("coupon_id", "user_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    coupon_id: Mapped[int] = mapped_column(ForeignKey("coupons.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    claimed: Mapped[int] = mapped_column(Integer, default=0)


class UserCoupon(Base):
    """One claimed coupon in a user's wallet; used by at most one order at a time."""

    __tablename__ = "user_coupons"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    coupon_id: Mapped[int] = mapped_column(ForeignKey("coupons.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    order_id: Mapped[int | None] = mapped_column(Integer, nullable=True, index=True)
    claimed_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    depth: Mapped[int | None] = mapped_column(Integer, nullable=True)  # set: the variant's


class CouponCountdown(Base):
    """One viewer's window to grab a coupon whose countdown is tested: opened the first
    time they are shown it, at their variant's length (never past the coupon's end)."""

    __tablename__ = "coupon_countdowns"
    __table_args__ = (UniqueConstraint("coupon_id", "user_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    coupon_id: Mapped[int] = mapped_column(ForeignKey("coupons.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    seconds: Mapped[int] = mapped_column(Integer)
    ends_at: Mapped[datetime] = mapped_column(UtcDateTime)

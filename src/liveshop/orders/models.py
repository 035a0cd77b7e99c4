from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Enum,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import Mapped, mapped_column

from liveshop.core.clock import utcnow
from liveshop.core.db import Base, UtcDateTime


class OrderStatus(enum.StrEnum):
    PENDING_PAYMENT = "pending_payment"
    PAID = "paid"
    SHIPPED = "shipped"
    DELIVERED = "delivered"
    COMPLETED = "completed"
    CANCELLED = "cancelled"
    REFUNDED = "refunded"


class OrderOrigin(enum.StrEnum):
    """What made the order. Only a lucky draw makes ``lucky_draw`` orders, and only
    those are claimed as prizes (never decided by how an idempotency key is spelled)."""

    CHECKOUT = "checkout"  # the buyer: the cart, buy now in a room
    FLASH_SALE = "flash_sale"  # a unit the buyer won in a flash sale
    LUCKY_DRAW = "lucky_draw"  # a prize the draw gave its winner, at price 0
    AUCTION = "auction"  # an item won in a live auction (or offered to its runner-up)


class Address(Base):
    __tablename__ = "addresses"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    recipient: Mapped[str] = mapped_column(String(60))
    phone: Mapped[str] = mapped_column(String(30))
    region: Mapped[str] = mapped_column(String(120))
    line: Mapped[str] = mapped_column(String(200))
    postal_code: Mapped[str] = mapped_column(String(12), default="")
    is_default: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class Order(Base):
    __tablename__ = "orders"
    __table_args__ = (
        UniqueConstraint("buyer_id", "idempotency_key"),
        Index("ix_orders_status_expires", "status", "expires_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    buyer_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id"), index=True)
    room_id: Mapped[int | None] = mapped_column(ForeignKey("rooms.id"), nullable=True, index=True)
    host_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    flash_sale_id: Mapped[int | None] = mapped_column(Integer, nullable=True, index=True)
    origin: Mapped[OrderOrigin] = mapped_column(
        Enum(OrderOrigin, native_enum=False, length=20),
        default=OrderOrigin.CHECKOUT,
        server_default=OrderOrigin.CHECKOUT.name,
    )
    status: Mapped[OrderStatus] = mapped_column(
        Enum(OrderStatus, native_enum=False, length=30), default=OrderStatus.PENDING_PAYMENT
    )
    currency: Mapped[str] = mapped_column(String(3))
    items_total: Mapped[int] = mapped_column(Integer)
    discount_total: Mapped[int] = mapped_column(Integer, default=0)
    shipping_fee: Mapped[int] = mapped_column(Integer, default=0)
    total: Mapped[int] = mapped_column(Integer)
    pricing: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    idempotency_key: Mapped[str] = mapped_column(String(100))
    request_fingerprint: Mapped[str] = mapped_column(String(64))
    address: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    tracking_number: Mapped[str | None] = mapped_column(String(64), nullable=True)
    payment_ref: Mapped[str | None] = mapped_column(String(100), nullable=True)
    expires_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    # Held by the risk engine for an analyst's review: not payable until released.
    risk_hold: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow, onupdate=utcnow)


class OrderItem(Base):
    __tablename__ = "order_items"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), index=True)
    sku_id: Mapped[int] = mapped_column(ForeignKey("skus.id"))
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"))
    title: Mapped[str] = mapped_column(String(200))
    unit_price: Mapped[int] = mapped_column(Integer)
    quantity: Mapped[int] = mapped_column(Integer)
    discount: Mapped[int] = mapped_column(Integer, default=0)
    total: Mapped[int] = mapped_column(Integer)


class OrderTransition(Base):
    """Every change of an order's state: who, when, from what to what."""

    __tablename__ = "order_transitions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), index=True)
    from_status: Mapped[str | None] = mapped_column(String(30), nullable=True)
    to_status: Mapped[str] = mapped_column(String(30))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    note: Mapped[str] = mapped_column(String(300), default="")
    at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class AfterSaleKind(enum.StrEnum):
    REFUND = "refund"  # money back, nothing to send back
    RETURN = "return"  # send the goods back, then money back


class AfterSaleStatus(enum.StrEnum):
    REQUESTED = "requested"
    AWAITING_RETURN = "awaiting_return"
    RETURN_SHIPPED = "return_shipped"
    REFUNDED = "refunded"
    REJECTED = "rejected"
    DISPUTED = "disputed"
    CLOSED = "closed"  # a dispute decided for the merchant


class AfterSale(Base):
    """A refund or return request (售后) and its decisions."""

    __tablename__ = "after_sales"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"), index=True)
    buyer_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id"), index=True)
    kind: Mapped[AfterSaleKind] = mapped_column(Enum(AfterSaleKind, native_enum=False, length=10))
    status: Mapped[AfterSaleStatus] = mapped_column(
        Enum(AfterSaleStatus, native_enum=False, length=20)
    )
    reason: Mapped[str] = mapped_column(String(500))
    items: Mapped[list[dict[str, int]]] = mapped_column(JSON)
    amount: Mapped[int] = mapped_column(Integer)
    merchant_deadline: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    rejection_reason: Mapped[str | None] = mapped_column(String(500), nullable=True)
    return_tracking: Mapped[str | None] = mapped_column(String(64), nullable=True)
    resolution: Mapped[str | None] = mapped_column(String(500), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow, onupdate=utcnow)


class ProductComplaint(Base):
    """A quality complaint about a product, counted per product and shop."""

    __tablename__ = "product_complaints"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"), index=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id"), index=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    category: Mapped[str] = mapped_column(String(40))
    text: Mapped[str] = mapped_column(String(1000))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class DrawStatus(enum.StrEnum):
    OPEN = "open"
    DRAWN = "drawn"


class LuckyDraw(Base):
    """A provably fair lucky draw (福袋): the seed's SHA-256 is public from the start,
    the seed itself from the draw on; winners are a function of both (see draws.py)."""

    __tablename__ = "lucky_draws"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    room_id: Mapped[int] = mapped_column(ForeignKey("rooms.id"), index=True)
    created_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    title: Mapped[str] = mapped_column(String(80))
    prize_sku_id: Mapped[int | None] = mapped_column(ForeignKey("skus.id"), nullable=True)
    prize_coupon_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    winners_count: Mapped[int] = mapped_column(Integer)
    tasks: Mapped[dict[str, Any]] = mapped_column(JSON)
    commitment: Mapped[str] = mapped_column(String(64))
    seed: Mapped[str] = mapped_column(String(64))
    status: Mapped[DrawStatus] = mapped_column(Enum(DrawStatus, native_enum=False, length=10))
    opens_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    deadline: Mapped[datetime] = mapped_column(UtcDateTime)
    claim_hours: Mapped[int] = mapped_column(Integer, default=24)
    winners: Mapped[list[int] | None] = mapped_column(JSON, nullable=True)
    drawn_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)


class DrawEntry(Base):
    __tablename__ = "draw_entries"
    __table_args__ = (UniqueConstraint("draw_id", "user_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    draw_id: Mapped[int] = mapped_column(
        ForeignKey("lucky_draws.id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    entered_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)

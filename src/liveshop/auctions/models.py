"""Live auctions: one item of the host's shop, sold in the room to the highest bidder.

``auctions`` holds the state every bid changes (current price, leader and their
maximum, the deadline); ``auction_bids`` the ordered log of every bid, accepted or
not, with its idempotency key. A bid is one transaction that locks the auction row.
"""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from liveshop.core.clock import utcnow
from liveshop.core.db import Base, UtcDateTime


class AuctionStatus(enum.StrEnum):
    DRAFT = "draft"  # created, not started
    RUNNING = "running"  # taking bids until ends_at
    WON = "won"  # closed; the winner's order is waiting for payment (or paid)
    OFFERED = "offered"  # the winner did not pay; the runner-up was offered the item
    UNSOLD = "unsold"  # closed with no bid, or below the reserve, or nobody paid


class AuctionEnding(enum.StrEnum):
    EXTEND = "extend"  # a bid in the last N seconds moves the deadline to now + N
    SUDDEN_DEATH = "sudden_death"  # the deadline never moves


class Auction(Base):
    __tablename__ = "auctions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    room_id: Mapped[int] = mapped_column(ForeignKey("rooms.id"), index=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id"), index=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"))
    sku_id: Mapped[int] = mapped_column(ForeignKey("skus.id"))
    title: Mapped[str] = mapped_column(String(200))
    currency: Mapped[str] = mapped_column(String(3))
    created_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    starting_price: Mapped[int] = mapped_column(Integer)
    reserve_price: Mapped[int | None] = mapped_column(Integer, nullable=True)
    # [[from_price, step], ...] sorted by from_price, first from 0
    increments: Mapped[list[Any]] = mapped_column(JSON)
    ending: Mapped[AuctionEnding] = mapped_column(String(20))
    duration_seconds: Mapped[int] = mapped_column(Integer)
    extend_seconds: Mapped[int] = mapped_column(Integer)
    payment_minutes: Mapped[int] = mapped_column(Integer)
    status: Mapped[AuctionStatus] = mapped_column(String(20), index=True)
    starts_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    ends_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True, index=True)
    current_price: Mapped[int | None] = mapped_column(Integer, nullable=True)
    leader_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    leader_max: Mapped[int | None] = mapped_column(Integer, nullable=True)
    bid_count: Mapped[int] = mapped_column(Integer, default=0)
    buyer_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    sold_price: Mapped[int | None] = mapped_column(Integer, nullable=True)
    order_id: Mapped[int | None] = mapped_column(ForeignKey("orders.id"), nullable=True)
    closed_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class AuctionBid(Base):
    """One bid as it was decided, in the order the auction's lock admitted them."""

    __tablename__ = "auction_bids"
    __table_args__ = (
        UniqueConstraint("auction_id", "bidder_id", "idempotency_key"),
        Index("ix_auction_bids_auction_seq", "auction_id", "seq"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    auction_id: Mapped[int] = mapped_column(ForeignKey("auctions.id", ondelete="CASCADE"))
    seq: Mapped[int] = mapped_column(Integer)  # 1, 2, ... per auction: the bid's place
    bidder_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    max_amount: Mapped[int] = mapped_column(Integer)
    price_after: Mapped[int] = mapped_column(Integer)  # the auction's price once decided
    leading: Mapped[bool] = mapped_column(default=False)  # the bidder led after it
    idempotency_key: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from liveshop.core.bus import DomainEvent


@dataclass(frozen=True, slots=True)
class PaidLine:
    """One line of a paid order, as its subscribers need it (no query behind it)."""

    product_id: int
    sku_id: int
    quantity: int
    amount: int  # minor units: the line's subtotal less its share of the discounts
    discounted: bool  # a coupon took part of this line
    category: str  # the product's, when the order was paid ("" if none)
    brand: str


@dataclass(frozen=True, slots=True)
class OrderPaid(DomainEvent):
    """Money was captured for an order: its buyer, room, shop and every line."""

    order_id: int
    buyer_id: int
    room_id: int | None
    shop_id: int
    flash_sale_id: int | None
    paid_at: datetime
    total: int  # minor units
    lines: tuple[PaidLine, ...]


@dataclass(frozen=True, slots=True)
class AfterSaleRejected(DomainEvent):
    """The shop turned down a refund or return request (the buyer may escalate)."""

    after_sale_id: int
    order_id: int
    buyer_id: int
    reason: str


@dataclass(frozen=True, slots=True)
class AfterSaleRefunded(DomainEvent):
    """Money must go back to the buyer (payments moves it)."""

    after_sale_id: int
    order_id: int
    buyer_id: int
    amount: int


@dataclass(frozen=True, slots=True)
class RefusedOrderReconsidered(DomainEvent):
    """An order the risk review had cancelled was cleared on appeal: back in its
    payment window (``restored``), or not, and why (a code the buyer's notice words)."""

    order_id: int
    buyer_id: int
    restored: bool
    reason: str  # why not, as a code (risk_holds.NOT_RESTORED, "order_changed"); "" when restored

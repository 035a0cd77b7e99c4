from __future__ import annotations

from dataclasses import dataclass

from liveshop.core.bus import DomainEvent


@dataclass(frozen=True)
class OrderStatusChanged(DomainEvent):
    order_id: int
    room_id: int | None
    flash_sale_id: int | None
    buyer_id: int
    status: str
    total: int


@dataclass(frozen=True)
class AfterSaleRefunded(DomainEvent):
    """Money must go back to the buyer (payments moves it)."""

    after_sale_id: int
    order_id: int
    buyer_id: int
    amount: int

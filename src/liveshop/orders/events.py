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

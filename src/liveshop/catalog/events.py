"""Domain events of the catalogue: what other domains (search) follow."""

from __future__ import annotations

from dataclasses import dataclass

from liveshop.core.bus import DomainEvent


@dataclass(frozen=True, slots=True)
class ProductChanged(DomainEvent):
    """A product was created, edited (copy, price, stock), decided on or delisted."""

    product_id: int
    shop_id: int


@dataclass(frozen=True, slots=True)
class ShopChanged(DomainEvent):
    """A shop was opened (or its name changed)."""

    shop_id: int

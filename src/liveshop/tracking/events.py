"""Domain events of parcel tracking (notifications tells the buyer and the shop)."""

from __future__ import annotations

from dataclasses import dataclass

from liveshop.core.bus import DomainEvent


@dataclass(frozen=True)
class ParcelShipped(DomainEvent):
    order_id: int
    buyer_id: int
    shop_id: int
    carrier: str
    tracking_number: str


@dataclass(frozen=True)
class ParcelDelivered(DomainEvent):
    """The carrier scanned the parcel delivered; the order is delivered (after-sales runs)."""

    order_id: int
    buyer_id: int
    shop_id: int


@dataclass(frozen=True)
class ParcelException(DomainEvent):
    """Lost, damaged, refused or undeliverable: the buyer and the shop are told.
    ``scan`` is what happened (a code, tracking.words); ``description`` the carrier's
    own words, or its place when it sent none."""

    order_id: int
    buyer_id: int
    shop_id: int
    scan: str
    description: str

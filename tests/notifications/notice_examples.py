"""One notice of every kind and variant, with what people typed (names, titles, a
reason) in English, so Chinese in an English rendering is the platform's."""

from __future__ import annotations

from typing import Any

from liveshop.notifications.models import NotificationKind
from liveshop.notifications.words import NOT_RESTORED
from liveshop.tracking.words import SCAN_WORDS

Kind = NotificationKind

EXAMPLES: list[tuple[NotificationKind, dict[str, Any]]] = [
    (Kind.ROOM_LIVE, {"host": "anna", "room": "Evening sale"}),
    (Kind.ROOM_PROMOTED, {"host": "anna", "room": "Evening sale", "message": ""}),
    (Kind.ROOM_PROMOTED, {"host": "anna", "room": "Evening sale", "message": "Come at eight"}),
    (Kind.ROOM_STARTING, {"host": "anna", "room": "Evening sale", "minutes": 1}),
    (Kind.ROOM_STARTING, {"host": "anna", "room": "Evening sale", "minutes": 10}),
    (Kind.ORDER_SHIPPED, {"order": 40, "carrier": "sf", "tracking_number": "4200001"}),
    (Kind.ORDER_SHIPPED, {"order": 41, "carrier": "sandbox", "tracking_number": "4200002"}),
    (Kind.ORDER_DELIVERED, {"order": 40}),
    *[(Kind.PARCEL_EXCEPTION, {"order": 40, "scan": scan}) for scan in SCAN_WORDS],
    (Kind.REFUND_DECIDED, {"decision": "approved", "order": 40, "amount": 1234}),
    (Kind.REFUND_DECIDED, {"decision": "rejected", "order": 40, "reason": "Already worn"}),
    (Kind.ORDER_APPEAL, {"order": 40, "restored": True, "reason": ""}),
    *[
        (Kind.ORDER_APPEAL, {"order": 40, "restored": False, "reason": reason})
        for reason in NOT_RESTORED
    ],
    (Kind.COUPON_EXPIRING, {"coupon": "Spring 20 off", "hours": 1}),
    (Kind.COUPON_EXPIRING, {"coupon": "Spring 20 off", "hours": 5}),
    (Kind.AUCTION_OUTBID, {"item": "Jade bangle", "price": 88000}),
]
# What people typed above: left out when a Chinese rendering is checked for English.
TYPED = ("anna", "Evening sale", "Come at eight", "Already worn", "Spring 20 off", "Jade bangle")

"""The gifts and red packets of a room, oldest first, for its replay (nobody named).

Registered with media's timeline (``media/timeline_sources.py``) by ``liveshop.wiring``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from liveshop.core.clock import as_utc
from liveshop.payments.models import GiftSend, RedPacket


def room_gift_moments(session: Session, room_id: int) -> list[Mapping[str, Any]]:
    """Each gift sent in the room: which gift, how many and their price in coins."""
    sends = session.scalars(
        select(GiftSend)
        .where(GiftSend.room_id == room_id)
        .order_by(GiftSend.created_at, GiftSend.id)
    )
    return [
        {
            "at": as_utc(send.created_at),
            "type": "gift",
            "gift_id": send.id,
            "gift_code": send.gift_code,
            "count": send.count,
            "coins": send.coins,
        }
        for send in sends
    ]


def room_red_packet_moments(session: Session, room_id: int) -> list[Mapping[str, Any]]:
    """Each red packet dropped in the room: its total, shares and greeting."""
    packets = session.scalars(
        select(RedPacket)
        .where(RedPacket.room_id == room_id)
        .order_by(RedPacket.created_at, RedPacket.id)
    )
    return [
        {
            "at": as_utc(packet.created_at),
            "type": "red_packet",
            "packet_id": packet.id,
            "total": packet.total,
            "currency": packet.currency,
            "shares": packet.shares,
            "greeting": packet.greeting,
        }
        for packet in packets
    ]

"""Domain events of campaigns (subscribed in ``liveshop.wiring``)."""

from __future__ import annotations

from dataclasses import dataclass

from liveshop.core.bus import DomainEvent


@dataclass(frozen=True)
class RoomReminderPushed(DomainEvent):
    """A shop pushed a room reminder to an audience: notifications tells ``user_ids``
    (the treated users only; the holdout is never in it)."""

    push_id: int
    room_id: int
    message: str
    user_ids: tuple[int, ...]

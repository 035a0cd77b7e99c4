"""Moderation's penalties, carried out in the live room (moderation may not import live)."""

from __future__ import annotations

import time

from liveshop.core.bus import EventBus, bus
from liveshop.core.db import unit_of_work
from liveshop.live import events, service
from liveshop.moderation.enforcement_events import ModerationActionTaken

FOREVER_SECONDS = 10 * 365 * 24 * 3600.0


def apply_moderation_action(database_url: str, event: ModerationActionTaken) -> None:
    """A stopped room ends now; a muted or banned user goes quiet in the room."""
    if event.kind == "stop_room" and event.target_type == "room":
        with unit_of_work(database_url) as session:
            service.stop_room_by_moderation(session, room_id=event.target_id)
    elif event.kind in ("mute", "ban") and event.target_type == "user" and event.room_id:
        until = event.until.timestamp() if event.until else time.time() + FOREVER_SECONDS
        bus.publish(
            events.ViewerRestricted(
                room_id=event.room_id, user_id=event.target_id, kind="mute", until=until
            )
        )


class ApplyModerationActions:
    """Subscribed to ModerationActionTaken on the bus."""

    def __init__(self, database_url: str) -> None:
        self.database_url = database_url

    def __call__(self, event: ModerationActionTaken) -> None:
        apply_moderation_action(self.database_url, event)

    def subscribe(self, bus: EventBus) -> None:
        bus.subscribe(ModerationActionTaken, self)

    def unsubscribe(self, bus: EventBus) -> None:
        bus.unsubscribe(ModerationActionTaken, self)

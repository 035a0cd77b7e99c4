"""Moderation's penalties, carried out in the live room (moderation may not import live).

``liveshop.wiring`` subscribes :class:`ApplyModerationActions` to
ModerationActionTaken and ModerationActionRevoked, and
:class:`TakeDelistedProductsOffShelves` to ProductDelisted.
"""

from __future__ import annotations

import time

from liveshop.core.bus import bus
from liveshop.core.db import unit_of_work
from liveshop.governance.events import (
    ModerationActionRevoked,
    ModerationActionTaken,
    ProductDelisted,
)
from liveshop.live import events, service, shelf

FOREVER_SECONDS = 10 * 365 * 24 * 3600.0
SILENCING_KINDS = ("mute", "ban")


def apply_moderation_action(database_url: str, event: ModerationActionTaken) -> None:
    """A stopped room ends now; a muted or banned user goes quiet in the room."""
    if event.kind == "stop_room" and event.target_type == "room":
        with unit_of_work(database_url) as session:
            service.stop_room_by_moderation(session, room_id=event.target_id)
    elif event.kind in SILENCING_KINDS and event.target_type == "user" and event.room_id:
        until = event.until.timestamp() if event.until else time.time() + FOREVER_SECONDS
        bus.publish(
            events.ViewerRestricted(
                room_id=event.room_id, user_id=event.target_id, kind="mute", until=until
            )
        )


def undo_moderation_action(event: ModerationActionRevoked) -> None:
    """A revoked mute or ban lets the user talk in the room again at once.

    Nothing else needs undoing here: a limited exposure, a suspension and a ban
    end by themselves (live asks ``governance.queries`` each time,
    and they leave out revoked penalties); a stopped room stays ended (its host
    opens a new one); a deleted comment stays deleted.
    """
    if event.kind in SILENCING_KINDS and event.target_type == "user" and event.room_id:
        bus.publish(
            events.ViewerRestricted(
                room_id=event.room_id, user_id=event.target_id, kind="mute", until=time.time()
            )
        )


class ApplyModerationActions:
    """Subscribed to ModerationActionTaken (``taken``) and ModerationActionRevoked
    (``revoked``) on the bus."""

    def __init__(self, database_url: str) -> None:
        self.database_url = database_url

    def taken(self, event: ModerationActionTaken) -> None:
        apply_moderation_action(self.database_url, event)

    def revoked(self, event: ModerationActionRevoked) -> None:
        undo_moderation_action(event)


class TakeDelistedProductsOffShelves:
    """Subscribed to ProductDelisted: a product moderation took off sale leaves every
    room's shelf and pinned card (catalog already withdrew its stock)."""

    def __init__(self, database_url: str) -> None:
        self.database_url = database_url

    def __call__(self, event: ProductDelisted) -> None:
        with unit_of_work(self.database_url) as session:
            shelf.take_product_off_shelves(session, product_id=event.product_id)

"""What packages beside ``live`` may know of a room, without importing ``live``.

``promotions`` sits on the same layer as ``live`` (ARCHITECTURE.md), so it may
not import it; ``live`` registers this lookup when it is imported (by the app,
the CLI or the tests), and others ask here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy.orm import Session


@dataclass(frozen=True)
class RoomFacts:
    id: int
    host_id: int
    status: str


RoomLookup = Callable[[Session, int], RoomFacts]
_lookup: list[RoomLookup] = []


def register_room_lookup(lookup: RoomLookup) -> None:
    _lookup[:] = [lookup]


def room_facts(session: Session, room_id: int) -> RoomFacts:
    """The room's host and status; raises NotFound for an unknown room."""
    if not _lookup:
        raise RuntimeError("liveshop.live is not loaded: no room lookup registered")
    return _lookup[0](session, room_id)

"""Domain events of the live room; the hub turns them into frames."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from liveshop.core.bus import DomainEvent


@dataclass(frozen=True)
class RoomStatusChanged(DomainEvent):
    room_id: int
    status: str


@dataclass(frozen=True)
class PinnedChanged(DomainEvent):
    room_id: int
    pinned: dict[str, Any] | None


@dataclass(frozen=True)
class AnnouncementPosted(DomainEvent):
    room_id: int
    comment: dict[str, Any]


@dataclass(frozen=True)
class QuestionChanged(DomainEvent):
    room_id: int
    question: dict[str, Any]


@dataclass(frozen=True)
class ViewerRestricted(DomainEvent):
    room_id: int
    user_id: int
    kind: str
    until: float


@dataclass(frozen=True)
class HeldCommentApproved(DomainEvent):
    """A moderator approved a held chat line: it appears in the room now."""

    room_id: int
    comment: dict[str, Any]


@dataclass(frozen=True)
class RoomChanged(DomainEvent):
    """A room was opened or its title or description changed (search follows it)."""

    room_id: int


@dataclass(frozen=True)
class ChatLineArrived(DomainEvent):
    """A chat line reached this worker's hub (published on the event loop, before the
    frame: listeners only take note and do their work elsewhere)."""

    room_id: int
    comment: dict[str, Any]

"""What packages beside ``live`` may know of a room, without importing ``live``.

``promotions`` sits on the same layer as ``live`` (docs/architecture.md), so it
may not import it; ``liveshop.wiring`` registers live's lookup and each
package's notice source when the app, the CLI or the demo starts, and others
ask here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from liveshop.core.bus import DomainEvent


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
        raise RuntimeError("liveshop.wiring.connect_domains() was not called: no room lookup")
    return _lookup[0](session, room_id)


@dataclass(frozen=True)
class RoomNotice(DomainEvent):
    """Something viewers of a room should see, from a package that may not import ``live``.

    ``topic`` names a piece of room state (``flash_sale:7``) that frames carry as
    its latest ``payload``; ``line``, if given, also appears in the chat, as a line
    of ``line_kind`` (purchases and gifts are kept when chat is sampled). ``says`` is
    what the line says, for the pages to word in their language (issue 18 §2): a kind
    and its values (names as they were, amounts in minor units, counts), as
    ``{"kind": "draw_opened", "params": {"title": ...}}``; ``line`` stays the Chinese
    words of it for whatever shows a line as it came.
    """

    room_id: int
    topic: str
    payload: dict[str, Any] | None = None
    line: str | None = None
    line_kind: str = "system"
    says: dict[str, Any] | None = None


def says(kind: str, **params: Any) -> dict[str, Any]:
    """A room line's meaning (:attr:`RoomNotice.says`): its kind and values."""
    return {"kind": kind, "params": params}


NoticeSource = Callable[[Session, int], list[RoomNotice]]
_notice_sources: list[NoticeSource] = []


def register_notice_source(source: NoticeSource) -> None:
    """A package that publishes RoomNotices also says what is current, for the
    snapshot of a room whose channel opens after the notices went out."""
    if source not in _notice_sources:
        _notice_sources.append(source)


def registered_room_lookup() -> RoomLookup | None:
    return _lookup[0] if _lookup else None


def notice_sources() -> list[NoticeSource]:
    return list(_notice_sources)


def current_notices(session: Session, room_id: int) -> list[RoomNotice]:
    return [notice for source in _notice_sources for notice in source(session, room_id)]

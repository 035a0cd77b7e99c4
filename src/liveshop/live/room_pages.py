"""Rooms a page at a time, for the back-office pages (issue 18): the rooms a host hosts, or
the rooms with a shop's products on their shelf, newest first, found by title, with the
total the page's count shows. Which rooms a caller may list is the caller's business
(``analytics.access``); this module only pages the rooms it is told about."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, func, or_, select
from sqlalchemy.orm import Session

from liveshop.live.models import Room, RoomStatus, ShelfItem

MAX_TITLE_QUERY = 80


@dataclass(frozen=True)
class RoomLine:
    """A room as a list shows it: its title, state and times (no counters)."""

    id: int
    title: str
    status: RoomStatus
    scheduled_at: datetime | None
    started_at: datetime | None
    ended_at: datetime | None


@dataclass(frozen=True)
class RoomPage:
    rooms: list[RoomLine]
    total: int
    page: int
    pages: int
    per_page: int


@dataclass(frozen=True)
class RoomSelection:
    """Which rooms: every room (None for both), or those hosted by ``host_id`` or with one
    of ``shelving`` (product ids) on their shelf."""

    host_id: int | None = None
    shelving: Collection[int] | None = None


def _condition(selection: RoomSelection) -> ColumnElement[bool] | None:
    parts: list[ColumnElement[bool]] = []
    if selection.host_id is not None:
        parts.append(Room.host_id == selection.host_id)
    if selection.shelving is not None:
        shelved = select(ShelfItem.room_id).where(ShelfItem.product_id.in_(selection.shelving))
        parts.append(Room.id.in_(shelved))
    if not parts:
        return None
    return or_(*parts)


def rooms_page(
    session: Session, *, selection: RoomSelection, title: str, page: int, per_page: int
) -> RoomPage:
    """The ``page``-th ``per_page`` rooms of the selection whose title contains ``title``,
    newest first: by when they started (or are scheduled to, or were made)."""
    query = select(Room)
    condition = _condition(selection)
    if condition is not None:
        query = query.where(condition)
    words = title.strip()[:MAX_TITLE_QUERY]
    if words:
        query = query.where(Room.title.icontains(words, autoescape=True))
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    newest = func.coalesce(Room.started_at, Room.scheduled_at, Room.created_at)
    rooms = session.scalars(
        query.order_by(newest.desc(), Room.id.desc()).offset((page - 1) * per_page).limit(per_page)
    ).all()
    return RoomPage(
        rooms=[
            RoomLine(
                id=room.id,
                title=room.title,
                status=room.status,
                scheduled_at=room.scheduled_at,
                started_at=room.started_at,
                ended_at=room.ended_at,
            )
            for room in rooms
        ],
        total=total,
        page=page,
        pages=max(1, -(-total // per_page)),
        per_page=per_page,
    )

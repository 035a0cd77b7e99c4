"""The rooms the listings show, as a ranking reads them (recommendations' room list).

``service.list_rooms`` gives each room as the API shows it, which costs two statements
per room (its host, its video's state): a ranking that reads every live room on each
page open spent most of its time there (40 rooms: 18 ms of the server's CPU per
request, ``benchmarks/recommend.py``). Here a status's rooms are one statement, with
the host's name joined and no video state; the same rooms in the same order as
``list_rooms``, a room whose exposure moderation limited left out.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from liveshop.accounts.models import User
from liveshop.governance.queries import limited_room_ids
from liveshop.live.models import Room, RoomStatus


@dataclass(frozen=True)
class ListedRoom:
    id: int
    title: str
    status: RoomStatus
    scheduled_at: datetime | None
    viewers: int
    host_id: int
    host_name: str  # the host's username, as ``RoomOut.host`` shows it


def listed_rooms(
    session: Session, *, statuses: Sequence[RoomStatus], limit: int
) -> list[ListedRoom]:
    """Up to ``limit`` rooms of each status, the statuses in the order given, each in
    ``list_rooms``' order (live: the highest peak first; else the newest first)."""
    hidden = limited_room_ids(session)
    found: list[ListedRoom] = []
    for status in statuses:
        query = (
            select(
                Room.id,
                Room.title,
                Room.status,
                Room.scheduled_at,
                Room.viewers,
                Room.host_id,
                User.username,
            )
            .join(User, User.id == Room.host_id)
            .where(Room.status == status)
        )
        if hidden:
            query = query.where(Room.id.not_in(hidden))
        order = Room.peak_viewers.desc() if status is RoomStatus.LIVE else Room.id.desc()
        rows = session.execute(query.order_by(order, Room.id.desc()).limit(limit)).tuples()
        found += [ListedRoom(*row) for row in rows]
    return found

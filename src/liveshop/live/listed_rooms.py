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

from sqlalchemy import Select, bindparam, select
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


def _listing(*, live: bool) -> Select[int, str, RoomStatus, datetime | None, int, int, str]:
    """A status's rooms (``:status``, up to ``:limit``) but those in ``:hidden``."""
    order = Room.peak_viewers.desc() if live else Room.id.desc()
    return (
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
        .where(
            Room.status == bindparam("status"),
            Room.id.not_in(bindparam("hidden", expanding=True)),
        )
        .order_by(order, Room.id.desc())
        .limit(bindparam("limit"))
    )


# Built once: a request binds its values instead of building (and keying) the SQL again.
LIVE_LISTING = _listing(live=True)
OTHER_LISTING = _listing(live=False)


def listed_rooms(
    session: Session, *, statuses: Sequence[RoomStatus], limit: int
) -> list[ListedRoom]:
    """Up to ``limit`` rooms of each status, the statuses in the order given, each in
    ``list_rooms``' order (live: the highest peak first; else the newest first)."""
    hidden = list(limited_room_ids(session))
    found: list[ListedRoom] = []
    for status in statuses:
        listing = LIVE_LISTING if status is RoomStatus.LIVE else OTHER_LISTING
        values = {"status": status, "hidden": hidden, "limit": limit}
        found += [ListedRoom(*row) for row in session.execute(listing, values).tuples()]
    return found

"""What happened in a room, in order, for its replay: the host's controls.

The chat is read through ``service.list_comments``; this adds the controls the
host used (``HostAction`` rows: start, end, pin, unpin, announce, mute, kick).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from liveshop.core.clock import as_utc
from liveshop.live.models import HostAction

REPLAYED_ACTIONS = frozenset({"start", "end", "pin", "unpin"})


@dataclass(frozen=True)
class HostMoment:
    at: datetime
    action: str
    details: dict[str, Any]


def host_moments(
    session: Session, *, room_id: int, actions: frozenset[str] = REPLAYED_ACTIONS
) -> list[HostMoment]:
    """The room's host controls of the kinds ``actions``, oldest first."""
    rows = session.scalars(
        select(HostAction)
        .where(HostAction.room_id == room_id, HostAction.action.in_(actions))
        .order_by(HostAction.created_at, HostAction.id)
    )
    return [
        HostMoment(at=as_utc(row.created_at), action=row.action, details=dict(row.details))
        for row in rows
    ]

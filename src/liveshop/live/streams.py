"""What a room's API shows of its video, from the package that runs the media server.

``media`` sits above ``live`` (docs/architecture.md), so ``live`` keeps this small
registry and ``liveshop.wiring`` fills it with media's source. Unregistered (a
tool that never connected the domains), every room is offline.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy.orm import Session

OFFLINE = "offline"


@dataclass(frozen=True)
class StreamView:
    status: str  # "offline" | "live"
    playback_url: str | None  # the HLS playlist while live


StreamSource = Callable[[Session, int], StreamView]
_source: list[StreamSource] = []


def register_stream_source(source: StreamSource) -> None:
    _source[:] = [source]


def stream_view(session: Session, room_id: int) -> StreamView:
    if not _source:
        return StreamView(status=OFFLINE, playback_url=None)
    return _source[0](session, room_id)


def registered_stream_source() -> StreamSource | None:
    return _source[0] if _source else None

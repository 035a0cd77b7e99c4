"""What the replay's timeline reads from domains above or beside ``media``.

Payments (gifts, red packets) and auctions keep what happened in a room in their own
tables, and ``media`` may not import them (docs/architecture.md, "Layers"), so it keeps
this registry and ``liveshop.wiring`` fills it. A source answers the room's moments,
oldest first, each a mapping with ``at`` (an aware datetime), ``type`` and the item's
other fields, naming nobody. Unregistered (a tool that never connected the domains),
the timeline simply lacks those kinds.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from sqlalchemy.orm import Session

TimelineSource = Callable[[Session, int], list[Mapping[str, Any]]]
_sources: dict[str, TimelineSource] = {}


def register_timeline_source(name: str, source: TimelineSource) -> None:
    """Add (or replace) the source called ``name``; connecting again changes nothing."""
    _sources[name] = source


def timeline_sources() -> dict[str, TimelineSource]:
    return dict(_sources)

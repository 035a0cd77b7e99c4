"""Domain events of the notification centre."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from liveshop.core.bus import DomainEvent


@dataclass(frozen=True)
class NotificationsPosted(DomainEvent):
    """Notices were written to users' centres: the app's streams push them to open pages.
    ``items`` are (user id, the notice as JSON)."""

    items: tuple[tuple[int, dict[str, Any]], ...]

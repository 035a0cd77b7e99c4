"""Records behaviour events off the request path and writes them in batches."""

from __future__ import annotations

import asyncio
import contextlib
import enum
import hashlib
import hmac
import logging
import uuid
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from liveshop.core.clock import utcnow
from liveshop.events.store import append_events, watch_seconds

logger = logging.getLogger(__name__)

FLUSH_SECONDS = 2.0
MAX_BUFFERED = 200_000  # beyond this the store is down: keep the newest, count the rest


class EventType(enum.StrEnum):
    """What the platform records; reports read these names (``analytics.reports.common``)."""

    VIEW = "view"
    CART = "cart"
    JOIN = "join"
    LEAVE = "leave"
    COMMENT = "comment"
    LIKE = "like"
    QUESTION = "question"
    PRODUCT_CLICK = "product_click"
    SHARE = "share"
    PURCHASE = "purchase"  # one per line of a paid order: ``amount`` is the line's paid total
    GIFT = "gift"  # one per gift send in a room: ``coins`` is what it cost


def pseudonymous_id(user_id: int | str, secret_key: str) -> str:
    """The same opaque id for the same user; analytics never sees the real id."""
    digest = hmac.new(secret_key.encode(), f"user:{user_id}".encode(), hashlib.sha256)
    return "u_" + digest.hexdigest()[:20]


@dataclass
class LikeTotal:
    first_at: datetime
    count: int = 0
    messages: int = 0


class EventRecorder:
    def __init__(self, path: Path, secret_key: str) -> None:
        self.path = path
        self.secret_key = secret_key
        self._buffer: list[dict[str, Any]] = []
        self._likes: dict[tuple[str | None, int | None], LikeTotal] = {}
        self._task: asyncio.Task[None] | None = None
        self.dropped = 0
        # Purchases stored so far by this recorder: cached reports compare it to know
        # that new sales landed (the data version of ``analytics.report_cache``).
        self.purchases_written = 0

    def record(
        self,
        event_type: EventType,
        *,
        user: int | str | None,
        room_id: int | None = None,
        product_id: int | None = None,
        **properties: Any,
    ) -> None:
        """Buffer one event (cheap, never blocks); ``user`` is pseudonymised here."""
        if len(self._buffer) >= MAX_BUFFERED:
            self._buffer.pop(0)
            self.dropped += 1
        self._buffer.append(
            {
                "event_id": uuid.uuid4().hex,
                "event_type": event_type.value,
                "user_id": pseudonymous_id(user, self.secret_key) if user is not None else None,
                "room_id": room_id,
                "product_id": product_id,
                "ts": utcnow(),
                "properties": properties,
            }
        )

    def record_likes(self, *, user: int | str | None, room_id: int | None, count: int) -> None:
        """Likes come in bursts of many small messages: one event per viewer and room
        per flush, with the total ``count`` and the number of ``messages``."""
        key = (pseudonymous_id(user, self.secret_key) if user is not None else None, room_id)
        total = self._likes.setdefault(key, LikeTotal(first_at=utcnow()))
        total.count += count
        total.messages += 1

    def _take_likes(self) -> list[dict[str, Any]]:
        likes, self._likes = self._likes, {}
        return [
            {
                "event_id": uuid.uuid4().hex,
                "event_type": EventType.LIKE.value,
                "user_id": user_id,
                "room_id": room_id,
                "product_id": None,
                "ts": total.first_at,
                "properties": {"count": total.count, "messages": total.messages},
            }
            for (user_id, room_id), total in likes.items()
        ]

    async def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._flush_forever())

    async def stop(self) -> None:
        """Flush everything that is buffered: none lost on a clean shutdown."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        await self.flush()

    async def _flush_forever(self) -> None:
        while True:
            await asyncio.sleep(FLUSH_SECONDS)
            try:
                await self.flush()
            except Exception:
                logger.exception("writing behaviour events failed; will retry")

    async def flush(self) -> None:
        batch, self._buffer = self._buffer + self._take_likes(), []
        try:
            await asyncio.to_thread(append_events, self.path, batch)
        except Exception:
            self._buffer[:0] = batch
            raise
        self.purchases_written += sum(
            1 for row in batch if row["event_type"] == EventType.PURCHASE.value
        )


def watched_seconds(recorder: EventRecorder, *, room_id: int, user_id: int) -> float:
    """Watch time in the room from stored leave events (sessions that ended)."""
    return watch_seconds(
        recorder.path, room_id=room_id, user_id=pseudonymous_id(user_id, recorder.secret_key)
    )

"""Live delivery of notices to a user's open pages (Server-Sent Events).

One :class:`NotificationStreams` per app: each open page holds a bounded queue;
the bus listener (:meth:`NotificationStreams.on_posted`, called after commit in
whatever thread committed) hands the notices to the event loop, which puts them
in the queues of the users who have a page open. A page that does not keep up
loses the oldest notices (the centre still has them). One process only: with
several workers, a user's page hears the notices written in its own worker and
catches up from ``GET /api/notifications`` when it reconnects.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterable
from typing import Any

from liveshop.notifications.events import NotificationsPosted

QUEUE_SIZE = 100  # notices waiting for one slow page; older ones are dropped


class NotificationStreams:
    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self.queues: dict[int, set[asyncio.Queue[dict[str, Any] | None]]] = {}

    def open(self, user_id: int) -> asyncio.Queue[dict[str, Any] | None]:
        queue: asyncio.Queue[dict[str, Any] | None] = asyncio.Queue(maxsize=QUEUE_SIZE)
        self.queues.setdefault(user_id, set()).add(queue)
        return queue

    def close(self, user_id: int, queue: asyncio.Queue[dict[str, Any] | None]) -> None:
        queues = self.queues.get(user_id)
        if queues is not None:
            queues.discard(queue)
            if not queues:
                del self.queues[user_id]

    def on_posted(self, event: NotificationsPosted) -> None:
        """Bus listener: safe from any thread; ignores users with no page open."""
        targets = [(user_id, item) for user_id, item in event.items if user_id in self.queues]
        if targets and not self.loop.is_closed():
            self.loop.call_soon_threadsafe(self._deliver, targets)

    def _deliver(self, targets: Iterable[tuple[int, dict[str, Any]]]) -> None:
        for user_id, item in targets:
            for queue in self.queues.get(user_id, ()):
                if queue.full():
                    with contextlib.suppress(asyncio.QueueEmpty):
                        queue.get_nowait()
                queue.put_nowait(item)

    def shut(self) -> None:
        """End every open stream (the app is stopping)."""
        for queues in self.queues.values():
            for queue in queues:
                with contextlib.suppress(asyncio.QueueFull):
                    queue.put_nowait(None)

"""What a viewer did in the last half hour, so the next recommendations follow within
seconds (the trained model is minutes to hours old).

The app's recorder is a :class:`RecorderWithSessions`: every event it buffers is
also noted under the viewer's pseudonym (the model's key). With one worker the
actions live in the process (:class:`MemorySessionActivity`); with several, the
next request may reach another worker, so they live in Redis
(:class:`RedisSessionActivity`, when ``LIVESHOP_REDIS_URL`` is set), where every
worker reads them.
"""

from __future__ import annotations

import json
import logging
import time
from collections import OrderedDict, deque
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import redis

from liveshop.events.recorder import EventRecorder, EventType, pseudonymous_id

logger = logging.getLogger(__name__)

SESSION_SECONDS = 30 * 60  # a session is the last half hour
PER_VIEWER = 20  # the most recent actions kept per viewer
MAX_VIEWERS = 200_000  # beyond this the least recently active are forgotten (in-process)
REDIS_PREFIX = "liveshop:recommend:session:"
REDIS_TIMEOUT_SECONDS = 0.25  # a session signal is not worth holding a request for
NOTED = frozenset({
    EventType.VIEW, EventType.PRODUCT_CLICK, EventType.CART, EventType.PURCHASE,
    EventType.SHARE, EventType.JOIN,
})  # fmt: skip


@dataclass(frozen=True)
class Action:
    kind: str
    product_id: int | None
    room_id: int | None
    at: float  # time.time()


class SessionActivity(Protocol):
    def note(self, viewer: str, action: Action) -> None: ...

    def recent(self, viewer: str, *, now: float | None = None) -> list[Action]:
        """The viewer's actions of this session, newest first."""
        ...

    def forget(self, viewer: str) -> int:
        """Drop the viewer's actions; returns how many there were."""
        ...


def _cutoff(seconds: float, now: float | None) -> float:
    return (time.time() if now is None else now) - seconds


class MemorySessionActivity:
    """One process's sessions: right for a single worker."""

    def __init__(self, *, seconds: float = SESSION_SECONDS, max_viewers: int = MAX_VIEWERS):
        self.seconds = seconds
        self.max_viewers = max_viewers
        self._actions: OrderedDict[str, deque[Action]] = OrderedDict()

    def note(self, viewer: str, action: Action) -> None:
        actions = self._actions.get(viewer)
        if actions is None:
            if len(self._actions) >= self.max_viewers:
                self._actions.popitem(last=False)
            actions = self._actions[viewer] = deque(maxlen=PER_VIEWER)
        else:
            self._actions.move_to_end(viewer)
        actions.append(action)

    def recent(self, viewer: str, *, now: float | None = None) -> list[Action]:
        cutoff = _cutoff(self.seconds, now)
        return [a for a in reversed(self._actions.get(viewer, ())) if a.at >= cutoff]

    def forget(self, viewer: str) -> int:
        return len(self._actions.pop(viewer, ()))


class RedisSessionActivity:
    """Sessions every worker shares: a list per viewer, newest first, trimmed to
    ``PER_VIEWER`` and expiring ``seconds`` after the last action. Redis being away
    costs the session signal, never the request: it is logged and skipped."""

    def __init__(
        self, client: redis.Redis, *, seconds: float = SESSION_SECONDS, prefix: str = REDIS_PREFIX
    ):
        self.client = client
        self.seconds = seconds
        self.prefix = prefix

    @staticmethod
    def from_url(url: str, *, prefix: str = REDIS_PREFIX) -> RedisSessionActivity:
        client = redis.Redis.from_url(
            url,
            socket_timeout=REDIS_TIMEOUT_SECONDS,
            socket_connect_timeout=REDIS_TIMEOUT_SECONDS,
        )
        return RedisSessionActivity(client, prefix=prefix)

    def note(self, viewer: str, action: Action) -> None:
        key = self.prefix + viewer
        pipeline = self.client.pipeline(transaction=True)
        pipeline.lpush(key, json.dumps([action.kind, action.product_id, action.room_id, action.at]))
        pipeline.ltrim(key, 0, PER_VIEWER - 1)
        pipeline.expire(key, int(self.seconds) + 1)
        try:
            pipeline.execute()
        except redis.RedisError:
            logger.warning("a session action was not noted: Redis is unavailable", exc_info=True)

    def recent(self, viewer: str, *, now: float | None = None) -> list[Action]:
        try:
            raw = self.client.lrange(self.prefix + viewer, 0, PER_VIEWER - 1)
        except redis.RedisError:
            logger.warning("session actions unread: Redis is unavailable", exc_info=True)
            return []
        cutoff = _cutoff(self.seconds, now)
        actions = [Action(*json.loads(entry)) for entry in raw]
        return [action for action in actions if action.at >= cutoff]

    def forget(self, viewer: str) -> int:
        pipeline = self.client.pipeline(transaction=True)
        pipeline.llen(self.prefix + viewer)
        pipeline.delete(self.prefix + viewer)
        noted, _deleted = pipeline.execute()
        return int(noted)


def session_activity(redis_url: str | None) -> SessionActivity:
    """Redis when configured (several workers share it), else this process's memory."""
    if redis_url:
        return RedisSessionActivity.from_url(redis_url)
    return MemorySessionActivity()


class RecorderWithSessions(EventRecorder):
    """The behaviour recorder that also feeds the :class:`SessionActivity`."""

    def __init__(self, path: Path, secret_key: str, activity: SessionActivity) -> None:
        super().__init__(path, secret_key)
        self.activity = activity

    def record(
        self,
        event_type: EventType,
        *,
        user: int | str | None,
        room_id: int | None = None,
        product_id: int | None = None,
        **properties: Any,
    ) -> None:
        super().record(event_type, user=user, room_id=room_id, product_id=product_id, **properties)
        if user is not None and event_type in NOTED:
            self.activity.note(
                pseudonymous_id(user, self.secret_key),
                Action(event_type.value, product_id, room_id, time.time()),
            )

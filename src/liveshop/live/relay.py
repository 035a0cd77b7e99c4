"""How room inputs reach every worker: in-process, or Redis pub/sub between workers.

An input is a small dict (``{"kind": "comment", ...}``). Each worker applies
every input of the rooms it serves, in the same order, so all workers build
the same frames for their own viewers.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import defaultdict
from collections.abc import Callable
from typing import Any, Protocol

import orjson
import redis.asyncio as aioredis

logger = logging.getLogger(__name__)

ApplyInputs = Callable[[int, list[dict[str, Any]]], None]
CHANNEL_PREFIX = "liveshop:room:"
LIKES_KEY = "liveshop:room-likes:{room_id}"


class Relay(Protocol):
    async def start(self, apply: ApplyInputs) -> None: ...

    async def stop(self) -> None: ...

    async def watch_room(self, room_id: int, stored_likes: int) -> None: ...

    async def unwatch_room(self, room_id: int) -> None: ...

    def submit(self, room_id: int, room_input: dict[str, Any]) -> None: ...

    async def flush(self, likes: dict[int, int]) -> None:
        """Send queued inputs, and add this worker's new likes to each room's total."""


class LocalRelay:
    """One process: inputs are applied at once; the like total is kept here."""

    def __init__(self) -> None:
        self._apply: ApplyInputs | None = None
        self._likes: dict[int, int] = {}

    async def start(self, apply: ApplyInputs) -> None:
        self._apply = apply

    async def stop(self) -> None:
        self._apply = None

    async def watch_room(self, room_id: int, stored_likes: int) -> None:
        self._likes.setdefault(room_id, stored_likes)

    async def unwatch_room(self, room_id: int) -> None:
        self._likes.pop(room_id, None)

    def submit(self, room_id: int, room_input: dict[str, Any]) -> None:
        if self._apply is not None:
            self._apply(room_id, [room_input])

    async def flush(self, likes: dict[int, int]) -> None:
        for room_id, added in likes.items():
            total = self._likes.get(room_id, 0) + added
            self._likes[room_id] = total
            self.submit(room_id, {"kind": "likes", "total": total})


class RedisRelay:
    """Many workers: inputs go out once per tick, batched per room, on a room channel.

    The like total lives in Redis (INCRBY), so every worker shows the same
    absolute number, as Bilibili's running like total does.
    """

    def __init__(self, url: str) -> None:
        self._client = aioredis.from_url(url)
        self._pubsub = self._client.pubsub()
        self._outgoing: dict[int, list[dict[str, Any]]] = defaultdict(list)
        self._reader: asyncio.Task[None] | None = None
        self._apply: ApplyInputs | None = None

    async def start(self, apply: ApplyInputs) -> None:
        self._apply = apply
        await self._client.ping()

    async def stop(self) -> None:
        """The reader ends first: closing the subscription under a read still in
        progress can wait forever for the read's connection."""
        if self._reader is not None:
            self._reader.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._reader
            self._reader = None
        await self._pubsub.aclose()
        await self._client.aclose()

    async def watch_room(self, room_id: int, stored_likes: int) -> None:
        await self._client.set(LIKES_KEY.format(room_id=room_id), stored_likes, nx=True)
        await self._pubsub.subscribe(f"{CHANNEL_PREFIX}{room_id}")
        if self._reader is None:
            self._reader = asyncio.get_running_loop().create_task(self._read())

    async def unwatch_room(self, room_id: int) -> None:
        await self._pubsub.unsubscribe(f"{CHANNEL_PREFIX}{room_id}")

    def submit(self, room_id: int, room_input: dict[str, Any]) -> None:
        self._outgoing[room_id].append(room_input)

    async def flush(self, likes: dict[int, int]) -> None:
        for room_id, added in likes.items():
            total = await self._client.incrby(LIKES_KEY.format(room_id=room_id), added)
            self._outgoing[room_id].append({"kind": "likes", "total": int(total)})
        outgoing, self._outgoing = self._outgoing, defaultdict(list)
        if outgoing:
            async with self._client.pipeline(transaction=False) as pipe:
                for room_id, inputs in outgoing.items():
                    pipe.publish(f"{CHANNEL_PREFIX}{room_id}", orjson.dumps(inputs))
                await pipe.execute()

    async def _read(self) -> None:
        while True:
            try:
                message = await self._pubsub.get_message(
                    ignore_subscribe_messages=True, timeout=1.0
                )
            except asyncio.CancelledError:
                raise
            except Exception:
                logger.exception("reading room inputs from Redis failed; retrying")
                await asyncio.sleep(0.5)
                continue
            if message is None or self._apply is None:
                continue
            room_id = int(message["channel"].decode().removeprefix(CHANNEL_PREFIX))
            self._apply(room_id, orjson.loads(message["data"]))


def make_relay(redis_url: str | None) -> Relay:
    return RedisRelay(redis_url) if redis_url else LocalRelay()

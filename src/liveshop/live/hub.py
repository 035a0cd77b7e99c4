"""The real-time hub: one frame per room per tick, sent as the same bytes to all.

Inputs (comments, likes, host actions, viewer counts) go through the relay,
so with Redis every worker sees every room input; each worker then builds
frames for its own viewers. Comments and counters are written behind in
batches, off the event loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import orjson

from liveshop.core.bus import bus
from liveshop.core.clock import utcnow
from liveshop.core.db import unit_of_work
from liveshop.core.errors import LiveShopError
from liveshop.core.ids import new_id
from liveshop.core.rooms import RoomNotice, current_notices
from liveshop.live import events, metrics, service
from liveshop.live.held_comments import store_held_comments
from liveshop.live.models import HeldCommentStatus, QuestionStatus
from liveshop.live.relay import Relay
from liveshop.live.room_channel import RoomChannel
from liveshop.live.subscribers import Subscriber, count_shared, deliver_one

logger = logging.getLogger(__name__)

HEARTBEAT_SECONDS = 5.0  # an idle room still sends a frame, so clients can tell we are alive
VIEWER_REPORT_SECONDS = 1.0
VIEWER_CHANGE_SECONDS = 0.3
IDLE_CHANNEL_SECONDS = 60.0


class LiveHub:
    def __init__(
        self,
        *,
        database_url: str,
        relay: Relay,
        tick_seconds: float = 0.1,
        comments_per_frame: int = 30,
        counters_flush_seconds: float = 2.0,
    ) -> None:
        self.database_url = database_url
        self.relay = relay
        self.tick_seconds = tick_seconds
        self.comments_per_frame = comments_per_frame
        self.counters_flush_seconds = counters_flush_seconds
        self.worker = secrets.token_hex(4)
        self.channels: dict[int, RoomChannel] = {}
        # viewers who talk over HTTP (the SSE fallback), keyed by (room, user)
        self.http_viewers: dict[tuple[int, int], Any] = {}
        self._opening: dict[int, asyncio.Lock] = defaultdict(asyncio.Lock)
        self._unsaved_comments: list[dict[str, Any]] = []
        self._unsaved_held: list[dict[str, Any]] = []
        self._unsaved_comment_counts: dict[int, int] = defaultdict(int)
        self._new_likes: dict[int, int] = defaultdict(int)
        self._unsaved_likes: dict[int, int] = defaultdict(int)
        self._tasks: list[asyncio.Task[None]] = []
        self._loop: asyncio.AbstractEventLoop | None = None
        self._last_viewer_report = 0.0

    # --- lifecycle ---

    async def start(self) -> None:
        self._loop = asyncio.get_running_loop()
        await self.relay.start(self._apply_inputs)
        self._tasks = [
            self._loop.create_task(self._tick_forever()),
            self._loop.create_task(self._persist_forever()),
        ]

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        for channel in self.channels.values():
            for subscriber in list(channel.subscribers):
                subscriber.close(1001, "server shutting down")
            channel.subscribers.clear()
            self._report_viewers(channel, force=True)  # this worker now serves nobody
        await self.relay.flush(self._take_new_likes())
        await self.persist()
        await self.relay.stop()

    # --- viewers joining and leaving ---

    async def open_channel(self, room_id: int) -> RoomChannel:
        """This worker's channel for the room, loaded from the database on first use."""
        async with self._opening[room_id]:
            channel = self.channels.get(room_id)
            if channel is None:
                channel = await asyncio.to_thread(self._load_channel, room_id)
                await self.relay.watch_room(room_id, channel.likes)
                self.channels[room_id] = channel
            return channel

    def _load_channel(self, room_id: int) -> RoomChannel:
        with unit_of_work(self.database_url, writes=False) as session:
            room = service.room_out(session, service.get_room(session, room_id=room_id))
            questions = service.list_questions(session, room_id=room_id, limit=100)
            recent = service.list_recent_comments(session, room_id=room_id, limit=50)
            notices = current_notices(session, room_id)
        channel = RoomChannel(
            room_id=room_id,
            stream=f"{self.worker}-{room_id}-{int(time.time())}",
            title=room.title,
            host=room.host.username,
            host_id=room.host.id,
            status=room.status.value,
            pinned=room.pinned.model_dump(mode="json") if room.pinned else None,
            likes=room.likes,
            questions={q.id: q.model_dump(mode="json") for q in questions},
            comment_budget=self.comments_per_frame,
        )
        for notice in notices:
            channel.notices[notice.topic] = notice.payload
        for line in recent:
            channel.recent_comments.append(line.model_dump() | {"count": 1})
        return channel

    def join(self, channel: RoomChannel, subscriber: Subscriber) -> None:
        channel.subscribers.add(subscriber)
        channel.idle_since = None
        metrics.connections.inc()
        self._report_viewers(channel, force=False)

    def leave(self, channel: RoomChannel, subscriber: Subscriber) -> None:
        if subscriber in channel.subscribers:
            channel.subscribers.discard(subscriber)
            metrics.connections.dec()
            self._report_viewers(channel, force=False)
        if not channel.subscribers:
            channel.idle_since = time.monotonic()

    # --- inputs from clients (already authorised and validated) ---

    def submit_comment(self, room_id: int, comment: dict[str, Any]) -> None:
        metrics.comments_in.inc()
        self._unsaved_comments.append(
            {
                "id": int(comment["id"]),
                "room_id": room_id,
                "user_id": comment["user_id"],
                "kind": comment["kind"],
                "text": comment["text"],
                "created_at": utcnow(),
            }
        )
        self._unsaved_comment_counts[room_id] += 1
        self.relay.submit(room_id, {"kind": "comment", "comment": comment})
        bus.publish(events.ChatLineArrived(room_id=room_id, comment=comment))  # the assistant

    def hold_comment(
        self, room_id: int, comment: dict[str, Any], *, text: str, categories: Sequence[str]
    ) -> None:
        """A line the filter holds for a moderator: stored behind with the chat, shown
        to no one (the author has their acknowledgement)."""
        self._unsaved_held.append(
            {
                "id": int(comment["id"]),
                "room_id": room_id,
                "user_id": comment["user_id"],
                "kind": comment["kind"],
                "text": text,
                "categories": list(categories),
                "status": HeldCommentStatus.HELD,
                "created_at": utcnow(),
            }
        )

    def add_likes(self, room_id: int, count: int) -> None:
        """Likes are coalesced: one total per room per tick, whatever the rate."""
        metrics.likes_in.inc(count)
        self._new_likes[room_id] += count
        self._unsaved_likes[room_id] += count

    def watching_seconds(self, room_id: int, user_id: int) -> float:
        """How long the viewer has been in the room on this worker, right now."""
        channel = self.channels.get(room_id)
        now = time.monotonic()
        times = [
            now - subscriber.connected_at
            for subscriber in (channel.subscribers if channel else ())
            if subscriber.user_id == user_id
        ]
        return max(times, default=0.0)

    def live_counters(self, room_id: int) -> dict[str, int] | None:
        channel = self.channels.get(room_id)
        if channel is None:
            return None
        return {"viewers": channel.viewers, "likes": channel.likes}

    # --- applying inputs (every worker, same order) ---

    def _apply_inputs(self, room_id: int, inputs: list[dict[str, Any]]) -> None:
        channel = self.channels.get(room_id)
        if channel is None:
            return
        now = time.monotonic()
        for room_input in inputs:
            self._apply_one(channel, room_input, now)

    def _apply_one(self, channel: RoomChannel, room_input: dict[str, Any], now: float) -> None:
        kind = room_input["kind"]
        if kind == "comment":
            channel.add_comment(room_input["comment"], now)
        elif kind == "likes":
            channel.likes = max(channel.likes, room_input["total"])
            channel.dirty = True
        elif kind == "viewers":
            channel.set_viewer_report(room_input["worker"], room_input["count"], now)
        elif kind == "pinned":
            channel.pinned = room_input["pinned"]
            channel.dirty = True
        elif kind == "status":
            channel.status = room_input["status"]
            channel.dirty = True
        elif kind == "question":
            channel.set_question(room_input["question"])
        elif kind == "restricted":
            self._restrict(channel, room_input)
        elif kind == "notice":
            channel.set_notice(room_input["topic"], room_input["payload"])
            if room_input.get("line"):
                channel.add_comment(room_input["line"], now)

    def _restrict(self, channel: RoomChannel, room_input: dict[str, Any]) -> None:
        user_id, until = room_input["user_id"], room_input["until"]
        notice = orjson.dumps({"type": room_input["restriction"], "until": until}).decode()
        if room_input["restriction"] == "mute":
            channel.muted_until[user_id] = until
        for subscriber in [s for s in channel.subscribers if s.user_id == user_id]:
            deliver_one(subscriber, notice)
            if room_input["restriction"] == "kick":
                subscriber.close(4403, "kicked from the room")
                self.leave(channel, subscriber)

    # --- domain events from services (any thread) ---

    def bus_listeners(self) -> list[tuple[type[Any], Callable[[Any], None]]]:
        """What the hub turns into room inputs; ``liveshop.wiring`` subscribes them
        while the app runs (events before ``start`` or after ``stop`` are dropped)."""
        return [
            (events.RoomStatusChanged, self._on_status),
            (events.PinnedChanged, self._on_pinned),
            (events.AnnouncementPosted, self._on_announcement),
            (events.QuestionChanged, self._on_question),
            (events.ViewerRestricted, self._on_restricted),
            (events.HeldCommentApproved, self._on_held_approved),
            (RoomNotice, self._on_notice),
        ]

    def _from_any_thread(self, room_id: int, room_input: dict[str, Any]) -> None:
        if self._loop is not None and not self._loop.is_closed():
            self._loop.call_soon_threadsafe(self.relay.submit, room_id, room_input)

    def _on_status(self, event: events.RoomStatusChanged) -> None:
        self._from_any_thread(event.room_id, {"kind": "status", "status": event.status})

    def _on_pinned(self, event: events.PinnedChanged) -> None:
        self._from_any_thread(event.room_id, {"kind": "pinned", "pinned": event.pinned})

    def _on_announcement(self, event: events.AnnouncementPosted) -> None:
        self._from_any_thread(event.room_id, {"kind": "comment", "comment": event.comment})

    def _on_held_approved(self, event: events.HeldCommentApproved) -> None:
        self._from_any_thread(event.room_id, {"kind": "comment", "comment": event.comment})

    def _on_question(self, event: events.QuestionChanged) -> None:
        question = dict(event.question)
        question["status"] = QuestionStatus(question["status"]).value
        self._from_any_thread(event.room_id, {"kind": "question", "question": question})

    def _on_notice(self, event: RoomNotice) -> None:
        line = None
        if event.line:
            line = {
                "id": str(new_id()),
                "user": None,
                "user_id": None,
                "kind": event.line_kind,
                "text": event.line,
                "ts": time.time(),
                "data": event.payload,  # a gift line carries the gift, for its animation
                "says": event.says,  # what it says, worded by the page in its language
            }
        notice = {"kind": "notice", "topic": event.topic, "payload": event.payload, "line": line}
        self._from_any_thread(event.room_id, notice)

    def _on_restricted(self, event: events.ViewerRestricted) -> None:
        restriction = {
            "kind": "restricted",
            "restriction": event.kind,
            "user_id": event.user_id,
            "until": event.until,
        }
        self._from_any_thread(event.room_id, restriction)

    # --- the tick ---

    async def _tick_forever(self) -> None:
        while True:
            started = time.monotonic()
            try:
                await self.tick()
            except Exception:
                logger.exception("hub tick failed")
            elapsed = time.monotonic() - started
            await asyncio.sleep(max(self.tick_seconds - elapsed, 0.0))

    async def tick(self) -> None:
        await self.relay.flush(self._take_new_likes())
        now = time.monotonic()
        report_due = now - self._last_viewer_report >= VIEWER_REPORT_SECONDS
        if report_due:
            self._last_viewer_report = now
        for channel in list(self.channels.values()):
            self._report_viewers(channel, force=report_due)
            if channel.dirty or now - channel.last_frame_at >= HEARTBEAT_SECONDS:
                self.broadcast(channel, channel.build_frame(now, self.tick_seconds))
            await self._close_if_idle(channel, now)

    def _take_new_likes(self) -> dict[int, int]:
        likes, self._new_likes = dict(self._new_likes), defaultdict(int)
        return likes

    def _report_viewers(self, channel: RoomChannel, *, force: bool) -> None:
        """Send this worker's viewer count when it changed, at most every
        VIEWER_CHANGE_SECONDS (a crowd joining must not make every tick a frame
        for everyone), and every VIEWER_REPORT_SECONDS anyway."""
        count = sum(1 for subscriber in channel.subscribers if subscriber.counted)
        now = time.monotonic()
        changed = count != channel.last_viewers_sent
        if force or (changed and now - channel.last_viewers_report >= VIEWER_CHANGE_SECONDS):
            channel.last_viewers_sent = count
            channel.last_viewers_report = now
            self.relay.submit(
                channel.room_id, {"kind": "viewers", "worker": self.worker, "count": count}
            )

    def broadcast(self, channel: RoomChannel, frame: str) -> None:
        """The same string to every subscriber; the gone ones are removed."""
        gone = []
        shared = 0
        for subscriber in channel.subscribers:
            shared += subscriber.deliver(frame)
            if subscriber.closed:
                gone.append(subscriber)
        count_shared(shared)
        for subscriber in gone:
            self.leave(channel, subscriber)

    async def _close_if_idle(self, channel: RoomChannel, now: float) -> None:
        if channel.idle_since is None or now - channel.idle_since < IDLE_CHANNEL_SECONDS:
            return
        if self._unsaved_comment_counts.get(channel.room_id) or self._unsaved_likes.get(
            channel.room_id
        ):
            return
        del self.channels[channel.room_id]
        await self.relay.unwatch_room(channel.room_id)

    # --- write-behind ---

    async def _persist_forever(self) -> None:
        while True:
            await asyncio.sleep(self.counters_flush_seconds)
            try:
                await self.persist()
            except Exception:
                logger.exception("persisting chat and counters failed; will retry")

    async def persist(self) -> None:
        """Store new comments and add counters, in one transaction off the event loop.

        The batch is taken on the loop (no lock needed) and put back on failure,
        so the next attempt stores it.
        """
        batch = UnsavedBatch(
            comments=self._unsaved_comments,
            held=self._unsaved_held,
            comment_counts=self._unsaved_comment_counts,
            likes=self._unsaved_likes,
            viewers={room_id: channel.viewers for room_id, channel in self.channels.items()},
        )
        self._unsaved_comments = []
        self._unsaved_held = []
        self._unsaved_comment_counts = defaultdict(int)
        self._unsaved_likes = defaultdict(int)
        try:
            await asyncio.to_thread(self._write, batch)
        except Exception:
            self._unsaved_comments[:0] = batch.comments
            self._unsaved_held[:0] = batch.held
            for room_id, count in batch.comment_counts.items():
                self._unsaved_comment_counts[room_id] += count
            for room_id, count in batch.likes.items():
                self._unsaved_likes[room_id] += count
            raise

    def _write(self, batch: UnsavedBatch) -> None:
        with unit_of_work(self.database_url) as session:
            service.store_comments(session, comments=batch.comments)
            store_held_comments(session, held=batch.held)
            for room_id in set(batch.viewers) | set(batch.comment_counts) | set(batch.likes):
                service.add_room_counters(
                    session,
                    room_id=room_id,
                    likes=batch.likes.get(room_id, 0),
                    comments=batch.comment_counts.get(room_id, 0),
                    viewers=batch.viewers.get(room_id, 0),
                )


@dataclass
class UnsavedBatch:
    comments: list[dict[str, Any]]
    held: list[dict[str, Any]]
    comment_counts: dict[int, int]
    likes: dict[int, int]
    viewers: dict[int, int]


def error_frame(error: LiveShopError | str, message: str | None = None) -> str:
    if isinstance(error, LiveShopError):
        return orjson.dumps(
            {"type": "error", "code": error.code, "message": error.message}
        ).decode()
    return orjson.dumps({"type": "error", "code": error, "message": message or error}).decode()

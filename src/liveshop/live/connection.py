"""One viewer's session in a room: what they may send, and what it does.

Shared by the WebSocket and by the HTTP routes that SSE clients post to.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from typing import Any

from liveshop.accounts.models import User
from liveshop.core.db import unit_of_work
from liveshop.core.errors import (
    InvalidInput,
    LiveShopError,
    NotAuthenticated,
    PermissionDenied,
    RateLimited,
)
from liveshop.core.ids import new_id
from liveshop.events.recorder import EventRecorder, EventType
from liveshop.live import access, metrics, service
from liveshop.live.chat import TokenBucket
from liveshop.live.hub import LiveHub
from liveshop.live.room_channel import RoomChannel
from liveshop.moderation.engine import default_moderator
from liveshop.moderation.lists import Action, Surface
from liveshop.moderation.verdict import Verdict

MAX_LIKES_PER_MESSAGE = 50
LIKES_PER_SECOND = 30.0
QUESTIONS_PER_MINUTE = 3
VIOLATIONS_BEFORE_CLOSE = 10
VIOLATION_WINDOW_SECONDS = 30.0


class PolicyViolation(Exception):
    """The client kept on misbehaving: close the connection with code 1008."""


def moderated(text: str) -> Verdict:
    """The chat's moderation verdict: a block refuses the line (422), a mask stars the
    matches, a review holds it back from the room (the author still sees it)."""
    verdict = default_moderator().moderate(text, surface=Surface.COMMENT)
    if verdict.action is Action.BLOCK:
        metrics.messages_rejected.labels(reason="moderation").inc()
        raise InvalidInput(
            "this message breaks the room's rules: " + ", ".join(verdict.categories),
            code="message_blocked",
        )
    if verdict.action is Action.MASK:
        metrics.comments_masked.inc()
    return verdict


@dataclass
class ViewerSession:
    hub: LiveHub
    recorder: EventRecorder
    channel: RoomChannel
    user: User | None
    comment_max_length: int
    comment_bucket: TokenBucket
    like_bucket: TokenBucket = field(
        default_factory=lambda: TokenBucket(rate=LIKES_PER_SECOND, burst=LIKES_PER_SECOND * 2)
    )
    question_bucket: TokenBucket = field(
        default_factory=lambda: TokenBucket(rate=QUESTIONS_PER_MINUTE / 60, burst=2)
    )
    counted: bool = True  # False: a console or dashboard watching, not the audience
    violations: list[float] = field(default_factory=list)
    joined_at: float = field(default_factory=time.monotonic)
    anonymous_key: str = field(default_factory=lambda: f"anon-{new_id()}")

    @property
    def room_id(self) -> int:
        return self.channel.room_id

    @property
    def actor_key(self) -> int | str:
        return self.user.id if self.user else self.anonymous_key

    def you(self) -> dict[str, Any] | None:
        if self.user is None:
            return None
        muted = self.channel.muted_until.get(self.user.id, 0)
        return {
            "id": self.user.id,
            "username": self.user.username,
            "role": self.user.role.value,
            "is_host": self.user.id == self.channel.host_id,
            "muted_until": muted if muted > time.time() else None,
        }

    def note_violation(self, reason: str) -> None:
        """Count a refused message; too many in a short time closes the connection."""
        metrics.messages_rejected.labels(reason=reason).inc()
        now = time.monotonic()
        self.violations = [t for t in self.violations if now - t < VIOLATION_WINDOW_SECONDS]
        self.violations.append(now)
        if len(self.violations) >= VIOLATIONS_BEFORE_CLOSE:
            raise PolicyViolation(reason)

    def _require_user(self) -> User:
        """The signed-in user who may take part (chat, like, ask); regulators only read."""
        if self.user is None:
            raise NotAuthenticated("log in to take part; anonymous viewers may only watch")
        access.require_participant(self.user)
        return self.user

    def comment(self, text: Any) -> dict[str, Any]:
        """Validate and submit a chat line; returns it (the author's acknowledgement)."""
        user = self._require_user()
        if not isinstance(text, str):
            raise InvalidInput("text must be a string")
        if self.channel.status != "live":
            raise PermissionDenied("the room is not live", code="room_not_live")
        if self.channel.muted_until.get(user.id, 0) > time.time():
            raise PermissionDenied("you are muted in this room", code="muted")
        text = service.clean_text(text, max_length=self.comment_max_length)
        if not self.comment_bucket.take():
            raise RateLimited("slow down: about one comment a second")
        verdict = moderated(text)
        comment = {
            "id": str(new_id()),  # 63 bits: JavaScript numbers keep only 53
            "user": user.public_name,  # the name people know them by
            "user_id": user.id,
            "kind": "host" if user.id == self.channel.host_id else "comment",
            "text": verdict.masked,
            "ts": time.time(),
        }
        if verdict.action is Action.REVIEW:
            metrics.comments_held.inc()
            self.hub.hold_comment(self.room_id, comment, text=text, categories=verdict.categories)
            return comment | {"held_for_review": True}  # its author sees it; moderators decide
        self.hub.submit_comment(self.room_id, comment)
        self.recorder.record(
            EventType.COMMENT, user=user.id, room_id=self.room_id, length=len(text)
        )
        return comment

    def like(self, count: Any) -> int:
        self._require_user()
        if not isinstance(count, int) or isinstance(count, bool) or count < 1:
            raise InvalidInput("count must be a positive whole number")
        accepted = min(count, MAX_LIKES_PER_MESSAGE)
        if not self.like_bucket.take(accepted):
            raise RateLimited("too many likes at once")
        self.hub.add_likes(self.room_id, accepted)
        self.recorder.record_likes(user=self.actor_key, room_id=self.room_id, count=accepted)
        return accepted

    async def ask(self, text: Any) -> dict[str, Any]:
        user = self._require_user()
        if not isinstance(text, str):
            raise InvalidInput("text must be a string")
        if not self.question_bucket.take():
            raise RateLimited("at most a few questions a minute")
        verdict = moderated(text)
        if verdict.action is Action.REVIEW:
            raise PermissionDenied("the question is held for review", code="held_for_review")
        question = await asyncio.to_thread(self._store_question, user, verdict.masked)
        self.recorder.record(EventType.QUESTION, user=user.id, room_id=self.room_id)
        return question

    def _store_question(self, user: User, text: str) -> dict[str, Any]:
        with unit_of_work(self.hub.database_url) as session:
            out = service.ask_question(session, user=user, room_id=self.room_id, text=text)
        return out.model_dump(mode="json")

    async def upvote(self, question_id: Any) -> dict[str, Any]:
        user = self._require_user()
        if not isinstance(question_id, int):
            raise InvalidInput("question_id must be a whole number")
        with_session = self.hub.database_url

        def vote() -> dict[str, Any]:
            with unit_of_work(with_session) as session:
                return service.upvote_question(
                    session, user=user, room_id=self.room_id, question_id=question_id
                ).model_dump(mode="json")

        return await asyncio.to_thread(vote)

    def track(self, event_type: EventType, product_id: Any = None, **properties: Any) -> None:
        """Product-card clicks and shares: behaviour events only."""
        if product_id is not None and not isinstance(product_id, int):
            raise InvalidInput("product_id must be a whole number")
        self.recorder.record(
            event_type,
            user=self.actor_key,
            room_id=self.room_id,
            product_id=product_id,
            **properties,
        )

    async def handle(self, message: dict[str, Any]) -> dict[str, Any] | None:
        """Carry out one client message; returns a reply for this client only, if any."""
        kind = message.get("type")
        if kind == "comment":
            return {"type": "ack", "comment": self.comment(message.get("text"))}
        if kind == "like":
            self.like(message.get("count", 1))
            return None
        if kind == "question":
            return {"type": "question_ack", "question": await self.ask(message.get("text"))}
        if kind == "upvote":
            return {"type": "upvote_ack", "question": await self.upvote(message.get("question_id"))}
        if kind in ("click", "share"):
            event_type = EventType.PRODUCT_CLICK if kind == "click" else EventType.SHARE
            self.track(event_type, message.get("product_id"), channel=message.get("channel"))
            return None
        if kind == "ping":
            return {"type": "pong", "ts": time.time()}
        raise InvalidInput(f"unknown message type {kind!r}", code="unknown_type")

    def join(self, transport: str) -> None:
        if self.counted:
            self.recorder.record(
                EventType.JOIN, user=self.actor_key, room_id=self.room_id, transport=transport
            )

    def leave(self) -> None:
        if not self.counted:
            return
        watched = round(time.monotonic() - self.joined_at, 3)
        self.recorder.record(
            EventType.LEAVE, user=self.actor_key, room_id=self.room_id, watch_seconds=watched
        )


__all__ = ["LiveShopError", "PolicyViolation", "ViewerSession"]

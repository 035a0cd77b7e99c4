"""One room's live state in one worker, and the frames built from it."""

from __future__ import annotations

import random
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any

import orjson

from liveshop.live import metrics
from liveshop.live.chat import FOLD_SECONDS, ChatFolder, sample_comments
from liveshop.live.subscribers import Subscriber

RECENT_COMMENTS = 50  # lines in a snapshot
HISTORY_FRAMES = 100  # frames kept for resuming clients: 10 s of ticks
VIEWER_REPORT_STALE_SECONDS = 5.0
TOP_QUESTIONS = 10
MAX_TICKS_CARRIED = 10.0  # a frame after a stall carries at most 10 ticks' worth of lines


@dataclass
class RoomChannel:
    room_id: int
    stream: str
    title: str
    host: str
    host_id: int
    status: str
    pinned: dict[str, Any] | None
    likes: int
    questions: dict[int, dict[str, Any]]
    comment_budget: int
    seq: int = 0
    subscribers: set[Subscriber] = field(default_factory=set)
    pending_comments: list[dict[str, Any]] = field(default_factory=list)
    folded_updates: dict[int, dict[str, Any]] = field(default_factory=dict)
    changed_questions: dict[int, dict[str, Any]] = field(default_factory=dict)
    notices: dict[str, dict[str, Any] | None] = field(default_factory=dict)
    changed_notices: dict[str, dict[str, Any] | None] = field(default_factory=dict)
    recent_comments: deque[dict[str, Any]] = field(
        default_factory=lambda: deque(maxlen=RECENT_COMMENTS)
    )
    history: deque[tuple[int, str]] = field(default_factory=lambda: deque(maxlen=HISTORY_FRAMES))
    viewer_reports: dict[str, tuple[int, float]] = field(default_factory=dict)
    muted_until: dict[int, float] = field(default_factory=dict)
    folder: ChatFolder = field(default_factory=ChatFolder)
    dirty: bool = True
    last_frame_at: float = 0.0
    last_viewers_sent: int = -1
    last_viewers_report: float = 0.0
    idle_since: float | None = None
    rng: random.Random = field(default_factory=random.Random)

    # --- inputs (the same on every worker) ---

    def add_comment(self, comment: dict[str, Any], now: float) -> None:
        folded_into = self.folder.fold(comment, now)
        if folded_into is not None:
            metrics.comments_folded.inc()
            self.folded_updates[folded_into["id"]] = folded_into
        else:
            self.pending_comments.append(comment)
            self.recent_comments.append(comment)
        self.dirty = True

    def set_viewer_report(self, worker: str, count: int, now: float) -> None:
        self.viewer_reports[worker] = (count, now)
        self.dirty = True

    def set_notice(self, topic: str, payload: dict[str, Any] | None) -> None:
        self.notices[topic] = payload
        self.changed_notices[topic] = payload
        self.dirty = True

    def set_question(self, question: dict[str, Any]) -> None:
        self.questions[question["id"]] = question
        self.changed_questions[question["id"]] = question
        self.dirty = True

    @property
    def viewers(self) -> int:
        now = time.monotonic()
        return sum(
            count
            for count, seen in self.viewer_reports.values()
            if now - seen <= VIEWER_REPORT_STALE_SECONDS
        )

    def top_questions(self) -> list[dict[str, Any]]:
        open_first = sorted(
            self.questions.values(),
            key=lambda q: (not q["pinned"], q["status"] != "open", -q["upvotes"], q["id"]),
        )
        return open_first[:TOP_QUESTIONS]

    # --- output ---

    def build_frame(self, now: float, tick_seconds: float) -> str:
        """One frame for everyone in the room: new lines, totals, pinned card.

        The comment budget is per tick elapsed, so a late tick does not sample
        out more than the configured rate.
        """
        ticks = max(1.0, (now - self.last_frame_at) / tick_seconds) if self.last_frame_at else 1.0
        budget = int(self.comment_budget * min(ticks, MAX_TICKS_CARRIED))
        comments, sampled_out = sample_comments(self.pending_comments, budget, self.rng)
        metrics.comments_sampled_out.inc(sampled_out)
        updates = [line for line in self.folded_updates.values() if line not in comments]
        metrics.comments_out.inc(len(comments))
        self.seq += 1
        frame = orjson.dumps(
            {
                "type": "frame",
                "stream": self.stream,
                "seq": self.seq,
                "ts": time.time(),
                "status": self.status,
                "comments": comments + updates,
                "likes": self.likes,
                "viewers": self.viewers,
                "pinned": self.pinned,
                "questions": list(self.changed_questions.values()),
                "notices": self.changed_notices,
            }
        ).decode()
        self.pending_comments = []
        self.folded_updates = {}
        self.changed_questions = {}
        self.changed_notices = {}
        self.folder.forget_older_than(now - FOLD_SECONDS)
        self.history.append((self.seq, frame))
        self.dirty = False
        self.last_frame_at = now
        metrics.frames_built.inc()
        return frame

    def snapshot(self, *, you: dict[str, Any] | None) -> str:
        return orjson.dumps(
            {
                "type": "snapshot",
                "stream": self.stream,
                "seq": self.seq,
                "room": {
                    "id": self.room_id,
                    "title": self.title,
                    "host": self.host,
                    "host_id": self.host_id,
                    "status": self.status,
                },
                "status": self.status,
                "comments": list(self.recent_comments),
                "likes": self.likes,
                "viewers": self.viewers,
                "pinned": self.pinned,
                "questions": self.top_questions(),
                "notices": self.notices,
                "you": you,
            }
        ).decode()

    def frames_since(self, stream: str | None, last_seq: int | None) -> list[str] | None:
        """The frames a reconnecting client missed, or None if a snapshot is needed."""
        if stream != self.stream or last_seq is None or last_seq > self.seq:
            return None
        if last_seq == self.seq:
            return []
        if not self.history or self.history[0][0] > last_seq + 1:
            return None
        return [frame for seq, frame in self.history if seq > last_seq]

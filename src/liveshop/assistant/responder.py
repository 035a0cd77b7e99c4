"""The assistant in the running app: it hears every chat line the hub receives
(``ChatLineArrived``, published by the hub on the event loop) and answers off the
fan-out path.

The bus handler only notes the line for the host's insights and appends it to a
bounded queue; a task of its own reads the queue and does the work (classifier,
retrieval, database) in a worker thread, then posts the answer through the hub
like any chat line (kind ``assistant``, the shop's name, the fact it cites). A
room's frames never wait for it; under a flood the oldest questions are dropped.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from typing import Any

from liveshop.assistant import insights
from liveshop.assistant.classifier import model, read_line
from liveshop.assistant.service import ChatAnswer, answer_chat_line
from liveshop.core.db import unit_of_work
from liveshop.core.ids import new_id
from liveshop.live.chat import fold_key
from liveshop.live.events import ChatLineArrived
from liveshop.live.hub import LiveHub
from liveshop.search.text import warm_up

logger = logging.getLogger(__name__)

QUEUE_LIMIT = 500  # questions waiting; beyond that the oldest are dropped
REPEAT_SECONDS = 20.0  # the same question again this soon: the answer is still on screen
ANSWERED_KINDS = frozenset({"comment"})  # not the host's lines, nor announcements


class AssistantResponder:
    def __init__(self, hub: LiveHub) -> None:
        self.hub = hub
        self.waiting: deque[ChatLineArrived] = deque(maxlen=QUEUE_LIMIT)
        self._task: asyncio.Task[None] | None = None
        self.latencies: deque[float] = deque(maxlen=1000)  # seconds, arrival to posting
        self._recent: dict[tuple[int, str], float] = {}  # (room, folded question) -> when

    def listeners(self) -> list[tuple[type[Any], Any]]:
        return [(ChatLineArrived, self.on_chat_line)]

    def on_chat_line(self, event: ChatLineArrived) -> None:
        """On the event loop, in the hub's ``submit_comment``: constant time only."""
        comment = event.comment
        if comment.get("kind") not in ANSWERED_KINDS:
            return
        self.waiting.append(event)
        if self._task is None or self._task.done():
            self._task = asyncio.get_running_loop().create_task(self._drain())

    async def _drain(self) -> None:
        while self.waiting:
            event = self.waiting.popleft()
            try:
                answer = await asyncio.to_thread(self._answer, event)
            except Exception:
                logger.exception("the assistant failed on a chat line in room %d", event.room_id)
                continue
            if answer is not None and answer.answered and answer.text:
                self._post(event, answer)

    def _answer(self, event: ChatLineArrived) -> ChatAnswer | None:
        comment = event.comment
        reading = read_line(str(comment.get("text", "")))
        insights.note_line(
            event.room_id,
            user=comment.get("user"),
            line_text=str(comment.get("text", "")),
            is_question=reading.is_question,
        )
        if not reading.is_question or self._asked_just_now(event.room_id, str(comment["text"])):
            return None
        with unit_of_work(self.hub.database_url) as session:
            return answer_chat_line(
                session,
                room_id=event.room_id,
                comment_id=int(comment["id"]),
                user_id=comment.get("user_id"),
                text=str(comment["text"]),
            )

    def _asked_just_now(self, room_id: int, text: str) -> bool:
        """A room asks the same thing many times a minute: one answer (or one queued
        question) per REPEAT_SECONDS; the host's insights still count every line."""
        now = time.monotonic()
        key = (room_id, fold_key(text))
        if now - self._recent.get(key, -REPEAT_SECONDS) < REPEAT_SECONDS:
            return True
        if len(self._recent) > 10 * QUEUE_LIMIT:
            self._recent = {k: at for k, at in self._recent.items() if now - at < REPEAT_SECONDS}
        self._recent[key] = now
        return False

    def _post(self, event: ChatLineArrived, answer: ChatAnswer) -> None:
        line = {
            "id": str(new_id()),
            "user": f"{answer.shop_name or '店铺'} · 小助手",
            "user_id": None,
            "kind": "assistant",
            "text": f"@{event.comment.get('user')} {answer.text}",
            "ts": time.time(),
            "data": {"cites": answer.cite, "reply_id": answer.reply_id},
        }
        self.hub.submit_comment(event.room_id, line)
        self.latencies.append(time.time() - float(event.comment.get("ts", time.time())))


def warm_up_assistant() -> None:
    """jieba, pypinyin and the question model, loaded before the first question."""
    warm_up()
    model()

"""Chat intelligence for the host's console, from the chat lines this worker saw:
near-duplicate questions grouped with a count, buying intent as it arrives, and
a summary of the last minute. Kept in memory per room (a bounded window)."""

from __future__ import annotations

import threading
import time
from collections import Counter, deque
from dataclasses import dataclass, field
from typing import Any

from rapidfuzz import fuzz

from liveshop.assistant.lexicon import BUYING_INTENT
from liveshop.live.chat import fold_key
from liveshop.search import text

WINDOW_SECONDS = 300.0  # questions are grouped over five minutes
SUMMARY_SECONDS = 60.0
MAX_LINES = 5000  # per room: a busy room's five minutes, sampled beyond that
SAME_QUESTION = 80.0  # rapidfuzz ratio of two folded lines asking the same thing
SUMMARY_STOP = frozenset(
    [
        "吗",
        "呢",
        "啊",
        "了",
        "的",
        "是",
        "我",
        "你",
        "这个",
        "有",
        "吧",
        "呀",
        "哈",
        "啦",
        "么",
        "嘛",
        "在",
        "也",
        "都",
        "就",
        "还",
        "要",
        "和",
    ]
)


@dataclass
class Line:
    at: float
    user: str | None
    text: str
    is_question: bool
    buying: bool


@dataclass
class RoomChat:
    lines: deque[Line] = field(default_factory=lambda: deque(maxlen=MAX_LINES))


_rooms: dict[int, RoomChat] = {}
_lock = threading.Lock()


def note_line(room_id: int, *, user: str | None, line_text: str, is_question: bool) -> None:
    buying = BUYING_INTENT.search(text.normalise(line_text)) is not None
    with _lock:
        chat = _rooms.setdefault(room_id, RoomChat())
        chat.lines.append(Line(time.time(), user, line_text, is_question, buying))


def forget_rooms() -> None:
    with _lock:
        _rooms.clear()


def _recent(room_id: int, seconds: float, now: float) -> list[Line]:
    with _lock:
        chat = _rooms.get(room_id)
        return [line for line in chat.lines if now - line.at <= seconds] if chat else []


def question_groups(lines: list[Line], limit: int = 10) -> list[dict[str, Any]]:
    groups: list[dict[str, Any]] = []
    for line in lines:
        if not line.is_question:
            continue
        key = fold_key(line.text)
        for group in groups:
            if fuzz.ratio(key, group["key"]) >= SAME_QUESTION:
                group["count"] += 1
                group["last_at"] = line.at
                break
        else:
            groups.append({"key": key, "text": line.text, "count": 1, "last_at": line.at})
    groups.sort(key=lambda group: (-group["count"], -group["last_at"]))
    return [{k: v for k, v in group.items() if k != "key"} for group in groups[:limit]]


def room_insights(room_id: int, *, now: float | None = None) -> dict[str, Any]:
    now = time.time() if now is None else now
    window = _recent(room_id, WINDOW_SECONDS, now)
    minute = [line for line in window if now - line.at <= SUMMARY_SECONDS]
    groups = question_groups(window)
    buying = [
        {"user": line.user, "text": line.text, "at": line.at} for line in window if line.buying
    ][-20:]
    words = Counter(
        word
        for line in minute
        for word in text.words(line.text)
        if word not in SUMMARY_STOP and (len(word) > 1 or text.has_han(word)) and not word.isdigit()
    )
    top = [word for word, _ in words.most_common(5)]
    questions = sum(line.is_question for line in minute)
    intent = sum(line.buying for line in minute)
    summary = f"最近一分钟 {len(minute)} 条弹幕，{questions} 个提问，{intent} 条购买意向"
    if top:
        summary += "；大家在说：" + "、".join(top)
    if groups and groups[0]["count"] > 1:
        summary += f"；问得最多：“{groups[0]['text']}”（{groups[0]['count']} 次）"
    return {
        "question_groups": groups,
        "buying_intent": list(reversed(buying)),
        "summary": {
            "lines": len(minute),
            "questions": questions,
            "buying_intent": intent,
            "top_words": top,
            "text": summary,
        },
    }

"""Readable chat at scale: folding repeated lines, sampling under load, rate limits."""

from __future__ import annotations

import random
import re
import time
import unicodedata
from dataclasses import dataclass, field
from typing import Any

FOLD_SECONDS = 5.0  # "666" lines this close together read as one line with a count
_NOT_WORD = re.compile(r"[\W_]+", re.UNICODE)
_REPEATS = re.compile(r"(.)\1+", re.UNICODE)


def fold_key(text: str) -> str:
    """The same key for near-identical lines: '666', '6666 !', 'ＨＨＨ' and 'hh'."""
    normal = unicodedata.normalize("NFKC", text).casefold()
    normal = _NOT_WORD.sub("", normal) or normal.strip()
    return _REPEATS.sub(r"\1", normal)


@dataclass
class FoldedLine:
    line: dict[str, Any]
    last_seen: float


@dataclass
class ChatFolder:
    """Folds a line into a recent identical one, bumping its ``count``."""

    lines: dict[str, FoldedLine] = field(default_factory=dict)

    def fold(self, comment: dict[str, Any], now: float) -> dict[str, Any] | None:
        """Return the folded-into line (now with a higher count), or None for a new line."""
        if comment.get("kind") != "comment":
            return None
        key = fold_key(comment["text"])
        existing = self.lines.get(key)
        if existing is not None and now - existing.last_seen <= FOLD_SECONDS:
            existing.line["count"] += 1
            existing.last_seen = now
            return existing.line
        self.lines[key] = FoldedLine(line=comment, last_seen=now)
        comment["count"] = 1
        return None

    def forget_older_than(self, moment: float) -> None:
        for key in [key for key, line in self.lines.items() if line.last_seen < moment]:
            del self.lines[key]


PRIORITY_KINDS = frozenset({"host", "announcement", "purchase", "gift"})


def sample_comments(
    comments: list[dict[str, Any]], budget: int, rng: random.Random
) -> tuple[list[dict[str, Any]], int]:
    """Keep at most ``budget`` lines: hosts, purchases and gifts first, then a fair sample.

    Returns the kept lines in arrival order and how many were sampled out.
    """
    if len(comments) <= budget:
        return comments, 0
    priority = [index for index, line in enumerate(comments) if line["kind"] in PRIORITY_KINDS]
    rest = [index for index, line in enumerate(comments) if line["kind"] not in PRIORITY_KINDS]
    room_left = max(budget - len(priority), 0)
    kept = set(priority[:budget]) | set(rng.sample(rest, min(room_left, len(rest))))
    return [comments[index] for index in sorted(kept)], len(comments) - len(kept)


@dataclass
class TokenBucket:
    """``rate`` actions a second with bursts of ``burst``."""

    rate: float
    burst: float
    tokens: float = -1.0
    updated: float = field(default_factory=time.monotonic)

    def __post_init__(self) -> None:
        if self.tokens < 0:
            self.tokens = self.burst

    def take(self, amount: float = 1.0, now: float | None = None) -> bool:
        now = time.monotonic() if now is None else now
        self.tokens = min(self.burst, self.tokens + (now - self.updated) * self.rate)
        self.updated = now
        if self.tokens >= amount:
            self.tokens -= amount
            return True
        return False

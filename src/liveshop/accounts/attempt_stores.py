"""Where sign-in attempts are counted: in this process, or in Redis shared by every worker.

Both keep sliding windows (a log of timestamps per key, so a limit of N per
minute means N in any 60 seconds, not 2N across a minute's boundary) and marks
that expire (lockouts, known addresses). Nothing is stored in the database.
"""

from __future__ import annotations

import threading
import uuid
from collections import OrderedDict, deque
from dataclasses import dataclass
from typing import Protocol

import redis

MEMORY_STORE_MAX_KEYS = 200_000  # about 60 MB at worst; the oldest keys go first


@dataclass(frozen=True)
class Slot:
    """One attempt counted in a window, or refused because the window was full."""

    key: str
    member: str  # what give_back removes ("" when refused)
    retry_after_seconds: float  # 0 when taken: else when the oldest entry leaves the window

    @property
    def is_taken(self) -> bool:
        return self.retry_after_seconds == 0


class AttemptStore(Protocol):
    def take(self, key: str, *, limit: int, window_seconds: float, now: float) -> Slot:
        """Count one attempt under ``key`` unless ``limit`` are already in the window."""

    def give_back(self, slot: Slot) -> None:
        """Uncount an attempt that turned out not to count (a successful sign-in)."""

    def record(self, key: str, *, window_seconds: float, now: float) -> int:
        """Count one event under ``key``; how many are now in the window."""

    def clear(self, key: str) -> None: ...

    def mark(self, key: str, *, seconds: float, now: float) -> None:
        """Set a mark on ``key`` that lasts ``seconds`` (a lockout, a known address)."""

    def marked_for(self, key: str, *, now: float) -> float:
        """Seconds left of the mark on ``key``; 0 if there is none."""


class MemoryAttemptStore:
    """One process's counts (the default, for one worker). Thread-safe: sync routes
    run in a thread pool. Bounded: past ``max_keys`` the least recently used go."""

    def __init__(self, max_keys: int = MEMORY_STORE_MAX_KEYS) -> None:
        self.max_keys = max_keys
        self._windows: OrderedDict[str, deque[tuple[float, str]]] = OrderedDict()
        self._marks: OrderedDict[str, float] = OrderedDict()
        self._lock = threading.Lock()

    def _window(self, key: str, window_seconds: float, now: float) -> deque[tuple[float, str]]:
        entries = self._windows.pop(key, None) or deque()
        while entries and entries[0][0] <= now - window_seconds:
            entries.popleft()
        self._windows[key] = entries  # now the most recently used
        while len(self._windows) > self.max_keys:
            self._windows.popitem(last=False)
        return entries

    def take(self, key: str, *, limit: int, window_seconds: float, now: float) -> Slot:
        with self._lock:
            entries = self._window(key, window_seconds, now)
            if len(entries) >= limit:
                return Slot(key, "", entries[0][0] + window_seconds - now)
            member = uuid.uuid4().hex
            entries.append((now, member))
            return Slot(key, member, 0.0)

    def give_back(self, slot: Slot) -> None:
        with self._lock:
            entries = self._windows.get(slot.key)
            if entries is not None:
                kept = [entry for entry in entries if entry[1] != slot.member]
                self._windows[slot.key] = deque(kept)

    def record(self, key: str, *, window_seconds: float, now: float) -> int:
        with self._lock:
            entries = self._window(key, window_seconds, now)
            entries.append((now, ""))
            return len(entries)

    def clear(self, key: str) -> None:
        with self._lock:
            self._windows.pop(key, None)
            self._marks.pop(key, None)

    def mark(self, key: str, *, seconds: float, now: float) -> None:
        with self._lock:
            self._marks.pop(key, None)
            self._marks[key] = now + seconds
            while len(self._marks) > self.max_keys:
                self._marks.popitem(last=False)

    def marked_for(self, key: str, *, now: float) -> float:
        with self._lock:
            until = self._marks.get(key)
            if until is None:
                return 0.0
            if until <= now:
                del self._marks[key]
                return 0.0
            return until - now


# Sorted sets scored by time; every script keeps the key's expiry at its window.
TAKE_SCRIPT = """
local now, window, limit = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
if redis.call('ZCARD', KEYS[1]) >= limit then
  local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
  return tostring(tonumber(oldest[2]) + window - now)
end
redis.call('ZADD', KEYS[1], now, ARGV[4])
redis.call('PEXPIRE', KEYS[1], math.ceil(window * 1000))
return '0'
"""
RECORD_SCRIPT = """
local now, window = tonumber(ARGV[1]), tonumber(ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
redis.call('ZADD', KEYS[1], now, ARGV[3])
redis.call('PEXPIRE', KEYS[1], math.ceil(window * 1000))
return redis.call('ZCARD', KEYS[1])
"""
# A mark holds the time it ends: the callers' clock, not Redis's, decides.
MARK_SCRIPT = """
redis.call('SET', KEYS[1], ARGV[1], 'PX', math.max(1, math.ceil(tonumber(ARGV[2]) * 1000)))
return 1
"""


class RedisAttemptStore:
    """Counts shared by every worker (``LIVESHOP_REDIS_URL``), each operation atomic."""

    def __init__(self, url: str, *, prefix: str = "liveshop:sign-in:") -> None:
        self.client = redis.Redis.from_url(url)
        self.prefix = prefix
        self._take = self.client.register_script(TAKE_SCRIPT)
        self._record = self.client.register_script(RECORD_SCRIPT)
        self._mark = self.client.register_script(MARK_SCRIPT)

    def take(self, key: str, *, limit: int, window_seconds: float, now: float) -> Slot:
        member = f"{now!r}:{uuid.uuid4().hex}"
        answer = self._take(
            keys=[self.prefix + key], args=[repr(now), repr(window_seconds), limit, member]
        )
        retry_after = float(answer)
        return Slot(key, "" if retry_after else member, retry_after)

    def give_back(self, slot: Slot) -> None:
        if slot.member:
            self.client.zrem(self.prefix + slot.key, slot.member)

    def record(self, key: str, *, window_seconds: float, now: float) -> int:
        member = f"{now!r}:{uuid.uuid4().hex}"
        count = self._record(
            keys=[self.prefix + key], args=[repr(now), repr(window_seconds), member]
        )
        return int(count)

    def clear(self, key: str) -> None:
        self.client.delete(self.prefix + key)

    def mark(self, key: str, *, seconds: float, now: float) -> None:
        self._mark(keys=[self.prefix + key], args=[repr(now + seconds), repr(seconds)])

    def marked_for(self, key: str, *, now: float) -> float:
        until = self.client.get(self.prefix + key)
        if until is None:
            return 0.0
        return max(0.0, float(until) - now)

    def forget_everything(self) -> None:
        """Delete every key of this store's prefix (tests, and an operator's reset)."""
        keys = list(self.client.scan_iter(match=self.prefix + "*", count=1000))
        if keys:
            self.client.delete(*keys)

"""Reports too costly to compute on every dashboard refresh, kept for a short while.

An entry is found by its key and the data version at the time of asking: new
purchases stored by this worker's recorder change the version, so they show at
once; anything else (other workers' events, imported logs, watch time) shows
when the entry's time-to-live runs out.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import Generic, TypeVar

Value = TypeVar("Value")


@dataclass(frozen=True)
class _Entry(Generic[Value]):
    value: Value
    expires_at: float


class ReportCache(Generic[Value]):
    """Computed values by (key, data version), each kept ``ttl_seconds``, at most
    ``max_entries`` of them (the oldest go first). Safe to share between threads;
    two threads missing the same key at once both compute it."""

    def __init__(
        self,
        *,
        ttl_seconds: float,
        max_entries: int,
        data_version: Callable[[], Hashable],
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.ttl_seconds = ttl_seconds
        self.max_entries = max_entries
        self.data_version = data_version
        self.clock = clock
        self._entries: OrderedDict[Hashable, _Entry[Value]] = OrderedDict()
        self._lock = threading.Lock()

    def get_or_compute(self, key: Hashable, compute: Callable[[], Value]) -> Value:
        versioned = (key, self.data_version())
        now = self.clock()
        with self._lock:
            entry = self._entries.get(versioned)
            if entry is not None and entry.expires_at > now:
                return entry.value
        value = compute()
        with self._lock:
            self._entries[versioned] = _Entry(value, now + self.ttl_seconds)
            self._entries.move_to_end(versioned)
            self._drop_stale(now)
        return value

    def _drop_stale(self, now: float) -> None:
        for stale in [k for k, entry in self._entries.items() if entry.expires_at <= now]:
            del self._entries[stale]
        while len(self._entries) > self.max_entries:
            self._entries.popitem(last=False)

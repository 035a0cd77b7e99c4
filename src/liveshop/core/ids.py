"""Time-ordered 63-bit ids that any worker can mint without asking the database.

Comments get their id when they arrive, before the batch that stores them
is written, so that frames and the database agree on it.
"""

from __future__ import annotations

import secrets
import threading
import time

EPOCH_MS = 1_767_225_600_000  # 2026-01-01T00:00:00Z
NODE_BITS = 10
SEQUENCE_BITS = 12


class IdGenerator:
    def __init__(self, node: int | None = None) -> None:
        self._node = (secrets.randbits(NODE_BITS) if node is None else node) & (
            (1 << NODE_BITS) - 1
        )
        self._last_ms = -1
        self._sequence = 0
        self._lock = threading.Lock()

    def next_id(self) -> int:
        with self._lock:
            now_ms = int(time.time() * 1000) - EPOCH_MS
            if now_ms <= self._last_ms:
                self._sequence = (self._sequence + 1) & ((1 << SEQUENCE_BITS) - 1)
                if self._sequence == 0:  # exhausted this millisecond: borrow the next
                    self._last_ms += 1
                now_ms = self._last_ms
            else:
                self._sequence = 0
                self._last_ms = now_ms
            return (
                (now_ms << (NODE_BITS + SEQUENCE_BITS))
                | (self._node << SEQUENCE_BITS)
                | (self._sequence)
            )


_generator = IdGenerator()


def new_id() -> int:
    return _generator.next_id()

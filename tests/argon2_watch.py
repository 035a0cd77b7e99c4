"""How many transactions were open on the app's engine each time argon2 ran.

Argon2 costs tens of milliseconds of CPU; run inside a transaction it holds the
transaction (on SQLite, the write lock) that long. ``watch_argon2`` records, per
hash or verification, the transactions open then: all of them, and the writing
ones (``core.db.WRITES_OPTION``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from argon2 import PasswordHasher
from sqlalchemy import event
from sqlalchemy.engine import Connection

from liveshop.core.db import WRITES_OPTION, get_engine


class TransactionsAtArgon2:
    def __init__(self) -> None:
        self.open: set[int] = set()
        self.writing: set[int] = set()
        self.open_while_hashing: list[int] = []
        self.writing_while_hashing: list[int] = []

    def begun(self, connection: Connection) -> None:
        self.open.add(id(connection.connection))
        if connection.get_execution_options().get(WRITES_OPTION, True):
            self.writing.add(id(connection.connection))

    def ended(self, connection: Connection) -> None:
        self.open.discard(id(connection.connection))
        self.writing.discard(id(connection.connection))

    def hashing(self) -> None:
        self.open_while_hashing.append(len(self.open))
        self.writing_while_hashing.append(len(self.writing))

    def clear(self) -> None:
        self.open_while_hashing.clear()
        self.writing_while_hashing.clear()


@contextmanager
def watch_argon2(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> Iterator[TransactionsAtArgon2]:
    tracker = TransactionsAtArgon2()
    engine = get_engine(database_url)
    listeners: list[tuple[str, Callable[..., None]]] = [
        ("begin", tracker.begun),
        ("commit", tracker.ended),
        ("rollback", tracker.ended),
    ]
    for name, listener in listeners:
        event.listen(engine, name, listener)

    def watched(method: Callable[..., Any]) -> Callable[..., Any]:
        def run(hasher: PasswordHasher, *args: Any) -> Any:
            tracker.hashing()
            return method(hasher, *args)

        return run

    monkeypatch.setattr(PasswordHasher, "hash", watched(PasswordHasher.hash))
    monkeypatch.setattr(PasswordHasher, "verify", watched(PasswordHasher.verify))
    try:
        yield tracker
    finally:
        for name, listener in listeners:
            event.remove(engine, name, listener)

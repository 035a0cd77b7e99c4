"""The embedded databases are created readable by their owner only (0600)."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import text

from liveshop.core.db import get_engine, unit_of_work
from liveshop.core.migrations import upgrade_database
from liveshop.events.store import append_events, connect_store, read_events
from tests.conftest import forget_engine

OWNER_ONLY = 0o600


@pytest.fixture(autouse=True)
def usual_umask() -> Iterator[None]:
    """The usual umask, under which a file created without care is 0644."""
    previous = os.umask(0o022)
    yield
    os.umask(previous)


def mode_of(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_a_new_sqlite_database_and_its_wal_are_owner_only(tmp_path: Path) -> None:
    path = tmp_path / "liveshop.db"
    url = f"sqlite:///{path}"
    try:
        with unit_of_work(url) as session:
            session.execute(text("CREATE TABLE notes (body TEXT)"))
            session.execute(text("INSERT INTO notes VALUES ('private')"))
        with get_engine(url).connect() as connection:  # holds the WAL and shared memory open
            assert connection.scalar(text("SELECT body FROM notes")) == "private"
            modes = {name: mode_of(tmp_path / name) for name in sorted(os.listdir(tmp_path))}
    finally:
        forget_engine(url)
    assert modes == {
        "liveshop.db": OWNER_ONLY,
        "liveshop.db-shm": OWNER_ONLY,
        "liveshop.db-wal": OWNER_ONLY,
    }


def test_migrating_a_new_database_creates_it_owner_only(tmp_path: Path) -> None:
    path = tmp_path / "home" / "liveshop.db"
    path.parent.mkdir()
    url = f"sqlite:///{path}"
    try:
        upgrade_database(url)
    finally:
        forget_engine(url)
    assert mode_of(path) == OWNER_ONLY


def test_an_existing_sqlite_database_keeps_its_mode(tmp_path: Path) -> None:
    path = tmp_path / "shared.db"
    path.touch(mode=0o640)
    os.chmod(path, 0o640)
    url = f"sqlite:///{path}"
    try:
        with unit_of_work(url) as session:
            session.execute(text("CREATE TABLE notes (body TEXT)"))
    finally:
        forget_engine(url)
    assert mode_of(path) == 0o640


def test_a_new_event_store_is_owner_only(tmp_path: Path) -> None:
    recorded = tmp_path / "recorded.duckdb"
    append_events(
        recorded,
        [
            {
                "event_id": "e1",
                "event_type": "join",
                "user_id": "u1",
                "room_id": 1,
                "product_id": None,
                "ts": datetime(2025, 1, 1, tzinfo=UTC),
                "properties": {},
            }
        ],
    )
    imported = tmp_path / "imported.duckdb"
    connect_store(imported).close()
    assert [event["event_id"] for event in read_events(recorded)] == ["e1"]
    assert (mode_of(recorded), mode_of(imported)) == (OWNER_ONLY, OWNER_ONLY)
    assert sorted(os.listdir(tmp_path)) == ["imported.duckdb", "recorded.duckdb"]

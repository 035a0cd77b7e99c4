"""What the behaviour-event store (DuckDB) holds about a person, for privacy's
export, erasure and retention. Events are keyed by a pseudonymous id, never the
user's id; the hooks derive it with the site's secret key."""

from __future__ import annotations

import time
from datetime import datetime
from pathlib import Path
from typing import Any

import duckdb
from sqlalchemy.orm import Session

from liveshop.core.settings import Settings
from liveshop.events.recorder import pseudonymous_id
from liveshop.events.store import COLUMNS, create_tables
from liveshop.privacy.registry import DataSubject

EVENT_STORE_RETRIES = 50  # about 5 s, as the recorder waits


def _event_store(settings: Settings) -> Path | None:
    path = settings.event_store_path()
    return path if path.exists() else None


def _connect_events(path: Path) -> duckdb.DuckDBPyConnection:
    """Another process may be writing the store (one writer at a time): wait a little."""
    for _attempt in range(EVENT_STORE_RETRIES):
        try:
            connection = duckdb.connect(str(path))
            break
        except duckdb.IOException as error:
            if "lock" not in str(error).lower():
                raise
            time.sleep(0.1)
    else:
        connection = duckdb.connect(str(path))
    create_tables(connection)
    return connection


def _pseudonym(subject: DataSubject) -> str:
    return pseudonymous_id(subject.user_id, subject.settings.resolved_secret_key())


def export_events(subject: DataSubject) -> dict[str, Any]:
    path = _event_store(subject.settings)
    pseudonym = _pseudonym(subject)
    if path is None:
        return {"pseudonymous_id": pseudonym, "events": []}
    connection = _connect_events(path)
    try:
        rows = connection.execute(
            f"SELECT {', '.join(COLUMNS)} FROM behaviour_events WHERE user_id = ? ORDER BY ts",
            [pseudonym],
        ).fetchall()
    finally:
        connection.close()
    events = []
    for row in rows:
        record = dict(zip(COLUMNS, row, strict=True))
        record["ts"] = record["ts"].isoformat() if record["ts"] is not None else None
        events.append(record)
    return {"pseudonymous_id": pseudonym, "events": events}


def _delete_events(path: Path, where: str, parameters: list[Any]) -> int:
    connection = _connect_events(path)
    try:
        found = connection.execute(
            f"SELECT count(*) FROM behaviour_events WHERE {where}", parameters
        ).fetchone()
        connection.execute(f"DELETE FROM behaviour_events WHERE {where}", parameters)
    finally:
        connection.close()
    return int(found[0]) if found else 0


def erase_events(subject: DataSubject) -> dict[str, int]:
    """Deleted, not re-keyed: the erasure request covers them all. The DuckDB store is
    outside the database transaction, and deleting them is right even if the rest of
    the erasure were to fail."""
    path = _event_store(subject.settings)
    if path is None:
        return {"behaviour_events": 0}
    return {"behaviour_events": _delete_events(path, "user_id = ?", [_pseudonym(subject)])}


def purge_events(_session: Session, cutoff: datetime, settings: Settings) -> int:
    path = _event_store(settings)
    return 0 if path is None else _delete_events(path, "ts < ?", [cutoff])

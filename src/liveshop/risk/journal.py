"""Every assessed event and every reported outcome, one JSON line each, in a file
a day under ``LIVESHOP_HOME/risk/journal/``: what a dry run replays and what
training exports with the analysts' labels. Lines are appended whole
(``O_APPEND``), so several workers may write the same file."""

from __future__ import annotations

import json
import math
import os
from collections.abc import Iterator
from dataclasses import fields
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from liveshop.risk.events import EventKind, Outcome, RiskEvent
from liveshop.risk.features import observe, record_outcome
from liveshop.risk.state import DAY, RiskState

JOURNAL_DIR = ("risk", "journal")


def journal_dir(home: Path) -> Path:
    path = home.joinpath(*JOURNAL_DIR)
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    return path


EVENT_FIELDS = tuple(field.name for field in fields(RiskEvent))


def _append(home: Path, ts: float, record: dict[str, Any]) -> None:
    """One line, appended whole; the folder is made when the first write finds it
    missing (not checked on every write: a flash sale assesses thousands a second)."""
    line = (json.dumps(record, separators=(",", ":")) + "\n").encode("utf-8")
    day = datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%d")
    path = home.joinpath(*JOURNAL_DIR, f"{day}.jsonl")
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    except FileNotFoundError:
        descriptor = os.open(
            journal_dir(home) / path.name, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600
        )
    try:
        os.write(descriptor, line)
    finally:
        os.close(descriptor)


def _fields(event: RiskEvent) -> dict[str, Any]:
    return {name: getattr(event, name) for name in EVENT_FIELDS}  # asdict's deep copy is dear


def write_assessment(home: Path, *, reference: str, event: RiskEvent, decision: str) -> None:
    _append(home, event.ts, {"ref": reference, "event": _fields(event), "decision": decision})


def write_outcome(home: Path, *, event: RiskEvent, outcome: Outcome) -> None:
    _append(home, event.ts, {"outcome": outcome.value, "event": _fields(event)})


def read_journal(
    home: Path, *, days: int, now: datetime | None = None
) -> Iterator[tuple[RiskEvent, Outcome | None]]:
    """(event, None) for each assessment and (event, outcome) for each outcome of the
    last ``days`` days, in the order they were written."""
    now = now or datetime.now(UTC)
    folder = journal_dir(home)
    for offset in range(days, -1, -1):
        day = (now - timedelta(days=offset)).strftime("%Y-%m-%d")
        path = folder / f"{day}.jsonl"
        if not path.exists():
            continue
        with path.open(encoding="utf-8") as handle:
            for line in handle:
                try:
                    record = json.loads(line)
                    fields = dict(record["event"])
                    fields["kind"] = EventKind(fields["kind"])
                    event = RiskEvent(**fields)
                    outcome = Outcome(record["outcome"]) if "outcome" in record else None
                except (ValueError, KeyError, TypeError):
                    continue  # a line cut short by a crash mid-write: the rest still counts
                yield event, outcome


def replay_recent(
    home: Path, state: RiskState, *, now: datetime | None = None, seconds: float = DAY
) -> int:
    """Feed the journal's last ``seconds`` (by default the longest window) into
    ``state`` through the same two functions the engine uses, in the order the lines
    were written: an in-process state rebuilt at start counts on where the last
    process stopped. Answers how many lines were replayed."""
    now = now or datetime.now(UTC)
    since = now.timestamp() - seconds
    _end_cut_line(home, now)
    replayed = 0
    for event, outcome in read_journal(home, days=math.ceil(seconds / DAY), now=now):
        if event.ts < since or event.ts > now.timestamp():
            continue
        if outcome is None:
            observe(state, event)
        else:
            record_outcome(state, event, outcome)
        replayed += 1
    return replayed


def _end_cut_line(home: Path, now: datetime) -> None:
    """A process that died mid-write left today's file without its last newline: end
    that line, so this process's first line is not joined to it (and lost with it)."""
    path = journal_dir(home) / f"{now.strftime('%Y-%m-%d')}.jsonl"
    if not path.exists() or path.stat().st_size == 0:
        return
    with path.open("rb") as handle:
        handle.seek(-1, os.SEEK_END)
        if handle.read(1) == b"\n":
            return
    _append_raw(path, b"\n")


def _append_raw(path: Path, data: bytes) -> None:
    descriptor = os.open(path, os.O_WRONLY | os.O_APPEND)
    try:
        os.write(descriptor, data)
    finally:
        os.close(descriptor)

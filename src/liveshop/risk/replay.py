"""The offline replay: a file's rows through the engine in time order, exactly as
the guarded paths send them online (``assess``, then the outcome)."""

from __future__ import annotations

import csv
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import NamedTuple

import numpy as np
from numpy.typing import NDArray

from liveshop.core.errors import InvalidInput
from liveshop.risk.engine import RiskEngine
from liveshop.risk.events import Assessment, EventKind, Outcome, RiskEvent
from liveshop.risk.features import FEATURE_NAMES, observe, record_outcome
from liveshop.risk.simulation import COLUMNS
from liveshop.risk.state import MemoryState

REQUIRED_COLUMNS = tuple(name for name in COLUMNS if name != "label")  # a label is ignored
LEGIT = "legit"

Progress = Callable[[int], None]


class Timing(NamedTuple):
    wall_ms: float  # on a busy machine this includes waiting for a core
    cpu_ms: float  # the thread's own CPU time: the decision path's cost


@dataclass(frozen=True)
class StreamRow:
    index: int  # 0-based, in file order
    event: RiskEvent
    outcome: Outcome
    label: str | None  # read only by training and evaluation, never by the engine


def _timestamp(text: str) -> float:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


def read_stream(path: Path) -> list[StreamRow]:
    """Every row of a CSV stream, sorted by time (stable: file order breaks ties)."""
    rows: list[StreamRow] = []
    with path.open(newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        missing = [name for name in REQUIRED_COLUMNS if name not in (reader.fieldnames or [])]
        if missing:
            raise InvalidInput(f"{path.name} lacks the columns {', '.join(missing)}")
        has_label = "label" in (reader.fieldnames or [])
        for index, record in enumerate(reader):
            try:
                rows.append(_row(index, record, has_label))
            except (ValueError, KeyError) as error:
                raise InvalidInput(f"{path.name} row {index}: {error}") from error
    rows.sort(key=lambda row: row.event.ts)
    return rows


def _row(index: int, record: dict[str, str], has_label: bool) -> StreamRow:
    event = RiskEvent(
        ts=_timestamp(record["ts"]),
        kind=EventKind(record["event"]),
        user_id=record["user_id"],
        account_created_at=_timestamp(record["account_created_at"]),
        device_id=record["device_id"],
        ip=record["ip"],
        card_fp=record["card_fp"],
        amount=int(float(record["amount"] or 0)),
        merchant_id=record["merchant_id"],
        room_id=record["room_id"],
        ip_region=record["ip_region"],
        billing_region=record["billing_region"],
        shipping_region=record["shipping_region"],
        address_id=record["address_id"],
    )
    outcome = Outcome(record["outcome"] or "ok")
    return StreamRow(
        index=index, event=event, outcome=outcome, label=record["label"] if has_label else None
    )


def feature_matrix(rows: list[StreamRow], progress: Progress | None = None) -> NDArray[np.float64]:
    """The features of every row as the engine computes them (state from scratch)."""
    state = MemoryState()
    matrix = np.zeros((len(rows), len(FEATURE_NAMES)))
    for position, row in enumerate(rows):
        features = observe(state, row.event)
        matrix[position] = [features[name] for name in FEATURE_NAMES]
        record_outcome(state, row.event, row.outcome)
        if progress is not None and position % 1000 == 0:
            progress(position)
    return matrix


def replay(
    engine: RiskEngine, rows: list[StreamRow], progress: Progress | None = None
) -> Iterator[tuple[StreamRow, Assessment, Timing]]:
    """(row, assessment, how long ``assess`` took) in time order."""
    for position, row in enumerate(rows):
        started, cpu_started = time.perf_counter(), time.thread_time()
        assessment = engine.assess(row.event)
        elapsed = Timing(
            wall_ms=(time.perf_counter() - started) * 1000.0,
            cpu_ms=(time.thread_time() - cpu_started) * 1000.0,
        )
        engine.record_outcome(row.event, row.outcome)
        if progress is not None and position % 1000 == 0:
            progress(position)
        yield row, assessment, elapsed

"""Implicit feedback from the behaviour store: what each viewer did, as weights.

Users in the store are pseudonyms (``events.recorder.pseudonymous_id``); the
model keeps them so, and the serving side computes a viewer's pseudonym to look
them up. A product interaction's weight says how much it shows interest; a
room's comes from joining, watching (seconds, capped) and acting in it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from liveshop.events.store import ANALYTICS_QUERY, connect_store
from liveshop.recommend.interactions import FloatArray

# How much one event says about interest (a purchase most, a view least).
PRODUCT_WEIGHTS = {
    "view": 1.0,
    "product_click": 2.0,
    "share": 3.0,
    "cart": 4.0,
    "purchase": 8.0,
}
ROOM_WEIGHTS = {"join": 1.0, "like": 0.5, "comment": 1.0, "question": 1.0, "gift": 3.0}
WATCH_SECONDS_PER_POINT = 60.0  # a minute watched counts like a join
WATCH_POINTS_CAP = 10.0  # beyond ten minutes more watching says little more
HALF_LIFE_DAYS = 14.0  # interest fades: a fortnight-old event counts half


@dataclass(frozen=True)
class Feedback:
    """Parallel arrays, one entry per event that carried interest."""

    users: list[str]
    targets: list[int]  # product or room id
    weights: FloatArray
    seconds: FloatArray  # epoch seconds
    kinds: list[str]  # the event type of each


def _read(path: Path, *, kinds: dict[str, float], column: str, since_us: int) -> Feedback:
    connection = connect_store(path)
    try:
        rows = connection.execute(
            f"""
            SELECT user_id, TRY_CAST({column} AS BIGINT) AS target, event_type, ts_us,
                   watch_seconds
            FROM ({ANALYTICS_QUERY})
            WHERE user_id IS NOT NULL AND {column} IS NOT NULL AND ts_us >= ?
              AND event_type IN ({", ".join("?" for _ in kinds)}) ORDER BY ts_us
            """,  # fixed column names; values are parameters
            [since_us, *kinds],
        ).fetchall()
    finally:
        connection.close()
    users, targets, weights, seconds, kinds_seen = [], [], [], [], []
    for user, target, kind, ts_us, watched in rows:
        if target is None:
            continue
        weight = kinds.get(kind, 0.0)
        if kind == "leave" and watched:
            weight = min(WATCH_POINTS_CAP, float(watched) / WATCH_SECONDS_PER_POINT)
        if weight <= 0:
            continue
        users.append(str(user))
        targets.append(int(target))
        weights.append(weight)
        seconds.append(ts_us / 1e6)
        kinds_seen.append(str(kind))
    return Feedback(
        users,
        targets,
        np.asarray(weights, dtype=np.float64),
        np.asarray(seconds, dtype=np.float64),
        kinds_seen,
    )


def product_feedback(path: Path, *, since_us: int = 0) -> Feedback:
    return _read(path, kinds=PRODUCT_WEIGHTS, column="product_id", since_us=since_us)


def room_feedback(path: Path, *, since_us: int = 0) -> Feedback:
    return _read(path, kinds={**ROOM_WEIGHTS, "leave": 1.0}, column="room_id", since_us=since_us)


def decayed(weights: FloatArray, seconds: FloatArray, *, now: float) -> FloatArray:
    """Each weight halved every ``HALF_LIFE_DAYS``."""
    age_days = np.maximum(0.0, now - seconds) / 86_400
    return np.asarray(weights * np.power(0.5, age_days / HALF_LIFE_DAYS), dtype=np.float64)


def log_scaled(value: float) -> float:
    return math.log1p(max(0.0, value))

"""The reports computed again in plain Python, straight from the definitions,
sharing no code with the SQL."""

from __future__ import annotations

import math
import statistics
from collections import defaultdict
from datetime import datetime, timedelta

from tests.analytics.fixtures import Event

PURCHASE = {"purchase", "order"}


def in_window(events: list[Event], start: datetime | None, end: datetime | None) -> list[Event]:
    return [e for e in events if (start is None or e.ts >= start) and (end is None or e.ts < end)]


def top_products(events: list[Event], *, event_type: str, top: int) -> list[tuple[str, int]]:
    counts: dict[str, int] = defaultdict(int)
    for e in events:
        if e.event_type == event_type and e.product_id is not None:
            counts[e.product_id] += 1
    return sorted(counts.items(), key=lambda item: (-item[1], item[0]))[:top]


def funnel(
    events: list[Event],
    *,
    steps: list[str],
    window: timedelta,
    mode: str,
    exclude: str | None = None,
) -> list[tuple[int, float | None]]:
    """(users, median seconds from previous) per step."""
    per_user: dict[str, list[Event]] = defaultdict(list)
    for e in events:
        per_user[e.user_id].append(e)
    times: list[list[datetime]] = []
    for user_events in per_user.values():
        rank = {step: i for i, step in enumerate(steps)}
        ordered = sorted(
            user_events,
            key=lambda e: (
                e.ts,
                rank.get(e.event_type, len(steps)),
                e.event_type,
                e.product_id or "",
            ),
        )
        firsts = [e for e in ordered if e.event_type == steps[0]]
        if not firsts:
            continue
        reached = _reach(ordered, firsts[0], steps, window, mode)
        if exclude and any(
            e.event_type == exclude and firsts[0].ts <= e.ts <= reached[-1] for e in ordered
        ):
            continue
        times.append(reached)
    result: list[tuple[int, float | None]] = []
    for k in range(len(steps)):
        done = [t for t in times if len(t) > k]
        gaps = [(t[k] - t[k - 1]).total_seconds() for t in done] if k else []
        result.append((len(done), statistics.median(gaps) if gaps else None))
    return result


def _reach(
    ordered: list[Event], entry: Event, steps: list[str], window: timedelta, mode: str
) -> list[datetime]:
    deadline = entry.ts + window
    reached = [entry.ts]
    if mode == "strict":
        position = ordered.index(entry)
        for step in steps[1:]:
            position += 1
            if position >= len(ordered):
                break
            e = ordered[position]
            if e.event_type != step or e.ts > deadline:
                break
            reached.append(e.ts)
        return reached
    if mode == "ordered":
        for step in steps[1:]:
            later = [
                e.ts for e in ordered if e.event_type == step and reached[-1] <= e.ts <= deadline
            ]
            if not later:
                break
            reached.append(min(later))
        return reached
    for step in steps[1:]:  # any order: done when the last of the steps so far is done
        seen = [e.ts for e in ordered if e.event_type == step and entry.ts <= e.ts <= deadline]
        if not seen:
            break
        reached.append(max(reached[-1], min(seen)))
    return reached


def engagement_levels(events: list[Event]) -> dict[str, tuple[int, int, int]]:
    """level -> (users, buyers, spend)."""
    interactions: dict[str, int] = defaultdict(int)
    purchases: dict[str, int] = defaultdict(int)
    spend: dict[str, int] = defaultdict(int)
    for e in events:
        interactions[e.user_id] += 0
        if e.event_type in ("comment", "question"):
            interactions[e.user_id] += 1
        if e.event_type == "like":
            interactions[e.user_id] += e.like_count or 1
        if e.event_type in PURCHASE:
            purchases[e.user_id] += 1
            spend[e.user_id] += e.amount or 0
    levels: dict[str, list[int]] = {name: [0, 0, 0] for name in ("none", "low", "high")}
    for user, count in interactions.items():
        name = "none" if count == 0 else "low" if count <= 2 else "high"
        levels[name][0] += 1
        levels[name][1] += purchases[user] > 0
        levels[name][2] += spend[user]
    xs = [interactions[user] for user in interactions]
    ys = [spend[user] for user in interactions]
    levels["correlation"] = [statistics.correlation(xs, ys)]  # type: ignore[list-item]
    return {key: tuple(value) for key, value in levels.items()}  # type: ignore[misc]


def relative_risk_ci(a: int, n1: int, c: int, n2: int) -> tuple[float, float, float]:
    ratio = (a / n1) / (c / n2)
    error = math.sqrt(1 / a - 1 / n1 + 1 / c - 1 / n2)
    return ratio, ratio * math.exp(-1.959964 * error), ratio * math.exp(1.959964 * error)


def retention_weeks(events: list[Event]) -> dict[str, list[int]]:
    weeks: dict[str, set[str]] = defaultdict(set)
    for e in events:
        monday = (e.ts - timedelta(days=e.ts.weekday())).date().isoformat()
        weeks[e.user_id].add(monday)
    table: dict[str, dict[int, int]] = defaultdict(lambda: defaultdict(int))
    for active in weeks.values():
        first = min(active)
        for week in active:
            offset = (datetime.fromisoformat(week) - datetime.fromisoformat(first)).days // 7
            table[first][offset] += 1
    return {
        cohort: [counts.get(i, 0) for i in range(max(counts) + 1)]
        for cohort, counts in sorted(table.items())
    }

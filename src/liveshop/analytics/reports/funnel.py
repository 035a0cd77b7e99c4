"""Conversion funnels, counted per user as PostHog and Mixpanel do.

A user enters at their first ``steps[0]`` event in the time window (per room,
channel or entry day with ``by``); the conversion window of ``window_seconds``
runs from that entry. Modes:

- ``ordered``: each step is the first event of its type at or after the
  previous step, other events may come between;
- ``strict``: each step must be the user's very next event (ties in time are
  ordered by step position, then event type);
- ``any``: steps after the first may happen in any order; a user reaches step
  k when steps 1..k have all happened, at the time the last of them happened.

Only events inside the date window count, conversions included. With
``exclude``, a user who did that event between entering and their last step
reached is left out of every count. Medians are of the seconds from
reaching the previous step to reaching this one.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import TYPE_CHECKING

from liveshop.analytics.reports.common import (
    MICROS_PER_DAY,
    MICROS_PER_SECOND,
    TimeWindow,
    day_of,
    fraction,
    literal,
    literal_list,
)
from liveshop.core.errors import InvalidInput

if TYPE_CHECKING:
    from liveshop.analytics.engines import Engine


class FunnelMode(enum.StrEnum):
    ORDERED = "ordered"
    STRICT = "strict"
    ANY = "any"


class FunnelBy(enum.StrEnum):
    ROOM = "room"
    CHANNEL = "channel"
    DAY = "day"


@dataclass(frozen=True)
class FunnelStep:
    step: str
    users: int
    conversion_from_previous: float
    conversion_overall: float
    median_seconds_from_previous: float | None
    drop_off: int


@dataclass(frozen=True)
class FunnelGroup:
    group: str
    steps: list[FunnelStep]


@dataclass(frozen=True)
class FunnelResult:
    steps: list[FunnelStep]
    by: FunnelBy | None = None
    groups: list[FunnelGroup] | None = None


@dataclass(frozen=True)
class FunnelSpec:
    steps: list[str]
    window_seconds: int
    mode: FunnelMode
    exclude: str | None

    def __post_init__(self) -> None:
        if len(self.steps) < 2 or len(set(self.steps)) != len(self.steps):
            raise InvalidInput("a funnel needs at least two different steps")
        if self.exclude in self.steps:
            raise InvalidInput("the exclusion step cannot also be a funnel step")


_GROUP_COLUMN = {
    None: "0",  # one group; a number is cheaper to carry through the joins than text
    FunnelBy.ROOM: "room_id",
    FunnelBy.CHANNEL: "channel",
    FunnelBy.DAY: f"CAST(floor(ts_us / {MICROS_PER_DAY}) AS BIGINT)",
}


def funnel_sql(spec: FunnelSpec, *, window: TimeWindow, by: FunnelBy | None) -> str:
    """One query: per group, users reaching each step and median times between steps.

    ``s1`` .. ``sN`` hold the users who reached each step (at ``reached_at``, ``gap``
    after the step before): each step joins only the users who reached the one
    before, so the work shrinks along the funnel instead of carrying every entrant
    to the end (10 M events: 0.8 s of CPU against 1.0 s, and half the wall time).
    """
    same_group = " AND b.grp = s.grp" if by in (FunnelBy.ROOM, FunnelBy.CHANNEL) else ""
    if spec.mode is FunnelMode.STRICT:
        chain = _strict_chain(spec, same_group)
    else:
        entries = _entries(spec, window=window, by=by)
        chain = {FunnelMode.ORDERED: _ordered_chain, FunnelMode.ANY: _any_chain}[spec.mode](
            spec, same_group, entries
        )
    n = len(spec.steps)
    reached = " UNION ALL ".join(
        f"SELECT grp, user_id, t1, {k} AS step, reached_at, gap FROM s{k}" for k in range(1, n + 1)
    )
    counts = [f"count(CASE WHEN step = {k} THEN 1 END) AS users_{k}" for k in range(1, n + 1)]
    medians = [
        f"median(CASE WHEN step = {k} THEN CAST(gap AS DOUBLE) END) AS median_us_{k}"
        for k in range(2, n + 1)
    ]
    return f"""
WITH base AS ({_base(spec, window=window, by=by)}),
{chain},
reached AS ({reached}),
{_kept(spec, same_group)}
SELECT grp, {", ".join(counts + medians)} FROM kept GROUP BY grp
"""


def _base(spec: FunnelSpec, *, window: TimeWindow, by: FunnelBy | None) -> str:
    """The events a chain looks at after its entry: the later steps and the exclusion
    (every event in strict mode, where any event between steps breaks the chain)."""
    types = [*spec.steps[1:], *([spec.exclude] if spec.exclude else [])]
    if spec.mode is FunnelMode.STRICT:
        types = []
    return _events(spec, window=window, by=by, types=types)


def _events(spec: FunnelSpec, *, window: TimeWindow, by: FunnelBy | None, types: list[str]) -> str:
    only = f"AND event_type IN ({literal_list(types)})" if types else ""
    position = " ".join(
        f"WHEN {literal(step)} THEN {index}" for index, step in enumerate(spec.steps)
    )
    return f"""
SELECT user_id, event_type, ts_us, {_GROUP_COLUMN[by]} AS grp,
       CASE event_type {position} ELSE {len(spec.steps)} END AS position,
       coalesce(event_id, '') AS event_key, coalesce(product_id, '') AS product_key
FROM events WHERE {window.condition()} {only} AND {_GROUP_COLUMN[by]} IS NOT NULL
"""


def _entries(spec: FunnelSpec, *, window: TimeWindow, by: FunnelBy | None) -> str:
    """Each user's first event of the first step (per group), read apart from ``base``:
    first steps (views) are most of a funnel's events, and scanned for one type
    they are not held in memory for the later steps' joins."""
    entering = _events(spec, window=window, by=by, types=spec.steps[:1])
    return f"""s1 AS (
SELECT grp, user_id, min(ts_us) AS t1, min(ts_us) AS reached_at, CAST(NULL AS BIGINT) AS gap
FROM ({entering}) e GROUP BY grp, user_id)"""


def _deadline(spec: FunnelSpec) -> str:
    return f"s.t1 + {spec.window_seconds * MICROS_PER_SECOND}"


def _ordered_chain(spec: FunnelSpec, same_group: str, entries: str) -> str:
    parts = [entries]
    for k in range(2, len(spec.steps) + 1):
        parts.append(f"""s{k} AS (
SELECT s.grp, s.user_id, s.t1, min(b.ts_us) AS reached_at, min(b.ts_us) - s.reached_at AS gap
FROM s{k - 1} s JOIN base b ON b.user_id = s.user_id{same_group} AND b.position = {k - 1}
  AND b.ts_us >= s.reached_at AND b.ts_us <= {_deadline(spec)}
GROUP BY s.grp, s.user_id, s.t1, s.reached_at)""")
    return ",\n".join(parts)


def _any_chain(spec: FunnelSpec, same_group: str, entries: str) -> str:
    """Step k is reached when steps 1..k have all happened, at the latest of their
    first times: each completion refers to the one before, so one layer each."""
    n = len(spec.steps)
    firsts = ", ".join(
        f"min(CASE WHEN b.position = {k - 1} THEN b.ts_us END) AS t{k}" for k in range(2, n + 1)
    )
    parts = [
        entries,
        f"""firsts AS (
SELECT s.grp, s.user_id, s.t1, s.reached_at, {firsts}
FROM s1 s JOIN base b ON b.user_id = s.user_id{same_group}
  AND b.position BETWEEN 1 AND {n - 1} AND b.ts_us >= s.t1 AND b.ts_us <= {_deadline(spec)}
GROUP BY s.grp, s.user_id, s.t1, s.reached_at)""",
    ]
    source = "firsts"
    for k in range(2, n + 1):
        later = "".join(f", s.t{j}" for j in range(k + 1, n + 1))
        parts.append(f"""s{k} AS (
SELECT s.grp, s.user_id, s.t1{later}, greatest(s.reached_at, s.t{k}) AS reached_at,
       greatest(s.reached_at, s.t{k}) - s.reached_at AS gap
FROM {source} s WHERE s.t{k} IS NOT NULL)""")
        source = f"s{k}"
    return ",\n".join(parts)


def _strict_chain(spec: FunnelSpec, same_group: str) -> str:
    partition = "user_id, grp" if same_group else "user_id"
    parts = [
        f"""ranked AS (
SELECT base.*, row_number() OVER (PARTITION BY {partition}
    ORDER BY ts_us, position, event_type, event_key, product_key) AS r
FROM base)""",
        f"""s1 AS (
SELECT e.grp, e.user_id, e.t1, e.t1 AS reached_at, CAST(NULL AS BIGINT) AS gap, min(f.r) AS r
FROM (SELECT grp, user_id, min(ts_us) AS t1 FROM ranked
      WHERE position = 0 GROUP BY grp, user_id) e
JOIN ranked f ON f.user_id = e.user_id AND f.ts_us = e.t1
  AND f.position = 0{" AND f.grp = e.grp" if same_group else ""}
GROUP BY e.grp, e.user_id, e.t1)""",
    ]
    for k in range(2, len(spec.steps) + 1):
        parts.append(f"""s{k} AS (
SELECT s.grp, s.user_id, s.t1, b.ts_us AS reached_at, b.ts_us - s.reached_at AS gap, b.r AS r
FROM s{k - 1} s JOIN ranked b ON b.user_id = s.user_id{same_group} AND b.position = {k - 1}
  AND b.r = s.r + 1 AND b.ts_us <= {_deadline(spec)})""")
    return ",\n".join(parts)


def _kept(spec: FunnelSpec, same_group: str) -> str:
    """Without the users who did the excluded event between entering and the last step
    they reached (times never decrease along a chain, so that step is the latest)."""
    if spec.exclude is None:
        return "kept AS (SELECT * FROM reached)"
    return f"""finished AS (
SELECT grp, user_id, min(t1) AS t1, max(reached_at) AS c_last FROM reached GROUP BY grp, user_id),
excluded AS (
SELECT DISTINCT s.grp, s.user_id FROM finished s
JOIN base b ON b.user_id = s.user_id{same_group} AND b.event_type = {literal(spec.exclude)}
  AND b.ts_us >= s.t1 AND b.ts_us <= s.c_last),
kept AS (
SELECT r.* FROM reached r LEFT JOIN excluded x ON x.user_id = r.user_id AND x.grp = r.grp
WHERE x.user_id IS NULL)"""


def funnel(
    engine: Engine,
    *,
    steps: list[str],
    window: TimeWindow,
    window_seconds: int = 86_400,
    mode: FunnelMode = FunnelMode.ORDERED,
    by: FunnelBy | None = None,
    exclude: str | None = None,
) -> FunnelResult:
    """The funnel over all users, and per group when ``by`` is given."""
    spec = FunnelSpec(steps=steps, window_seconds=window_seconds, mode=mode, exclude=exclude)
    overall = engine.rows(funnel_sql(spec, window=window, by=None))
    total = _steps(spec, overall[0]) if overall else _steps(spec, {})
    if by is None:
        return FunnelResult(steps=total)
    rows = engine.rows(funnel_sql(spec, window=window, by=by))
    groups = [
        FunnelGroup(group=_group_label(row["grp"], by), steps=_steps(spec, row)) for row in rows
    ]
    return FunnelResult(steps=total, by=by, groups=sorted(groups, key=lambda group: group.group))


def _group_label(value: object, by: FunnelBy) -> str:
    return day_of(int(str(value))).isoformat() if by is FunnelBy.DAY else str(value)


def _steps(spec: FunnelSpec, row: dict[str, object]) -> list[FunnelStep]:
    counts = [int(str(row.get(f"users_{k}", 0) or 0)) for k in range(1, len(spec.steps) + 1)]
    result = []
    for index, step in enumerate(spec.steps):
        median = row.get(f"median_us_{index + 1}")
        previous = counts[index - 1] if index else counts[0]
        result.append(
            FunnelStep(
                step=step,
                users=counts[index],
                conversion_from_previous=fraction(counts[index], previous),
                conversion_overall=fraction(counts[index], counts[0]),
                median_seconds_from_previous=(
                    float(str(median)) / MICROS_PER_SECOND if median is not None else None
                ),
                drop_off=previous - counts[index],
            )
        )
    return result

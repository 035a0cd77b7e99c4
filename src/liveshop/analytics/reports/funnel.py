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

from liveshop.analytics.engines import Engine
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
    None: "'all'",
    FunnelBy.ROOM: "room_id",
    FunnelBy.CHANNEL: "channel",
    FunnelBy.DAY: f"CAST(floor(ts_us / {MICROS_PER_DAY}) AS BIGINT)",
}


def funnel_sql(spec: FunnelSpec, *, window: TimeWindow, by: FunnelBy | None) -> str:
    """One query: per group, users reaching each step and median times between steps."""
    same_group = " AND b.grp = s.grp" if by in (FunnelBy.ROOM, FunnelBy.CHANNEL) else ""
    chain = {
        FunnelMode.ORDERED: _ordered_chain,
        FunnelMode.ANY: _any_chain,
        FunnelMode.STRICT: _strict_chain,
    }[spec.mode](spec, same_group)
    n = len(spec.steps)
    reached = [f"count(c{k}) AS users_{k}" for k in range(1, n + 1)]
    medians = [f"median(CAST(c{k} - c{k - 1} AS DOUBLE)) AS median_us_{k}" for k in range(2, n + 1)]
    return f"""
WITH base AS ({_base(spec, window=window, by=by)}),
{chain},
{_kept(spec, same_group)}
SELECT grp, {", ".join(reached + medians)} FROM kept GROUP BY grp
"""


def _base(spec: FunnelSpec, *, window: TimeWindow, by: FunnelBy | None) -> str:
    types = [*spec.steps, *([spec.exclude] if spec.exclude else [])]
    only_steps = (
        "" if spec.mode is FunnelMode.STRICT else f"AND event_type IN ({literal_list(types)})"
    )
    position = " ".join(
        f"WHEN {literal(step)} THEN {index}" for index, step in enumerate(spec.steps)
    )
    return f"""
SELECT user_id, event_type, ts_us, {_GROUP_COLUMN[by]} AS grp,
       CASE event_type {position} ELSE {len(spec.steps)} END AS position,
       coalesce(event_id, '') AS event_key, coalesce(product_id, '') AS product_key
FROM events WHERE {window.condition()} {only_steps} AND {_GROUP_COLUMN[by]} IS NOT NULL
"""


def _entries(spec: FunnelSpec) -> str:
    return f"""s1 AS (
SELECT grp, user_id, min(ts_us) AS t1, min(ts_us) AS c1 FROM base
WHERE event_type = {literal(spec.steps[0])} GROUP BY grp, user_id)"""


def _join(step: str, same_group: str) -> str:
    return f"b.user_id = s.user_id{same_group} AND b.event_type = {literal(step)}"


def _ordered_chain(spec: FunnelSpec, same_group: str) -> str:
    parts = [_entries(spec)]
    for k in range(2, len(spec.steps) + 1):
        earlier = ", ".join(f"s.c{j}" for j in range(1, k))
        parts.append(f"""s{k} AS (
SELECT s.grp, s.user_id, s.t1, {earlier}, min(b.ts_us) AS c{k}
FROM s{k - 1} s LEFT JOIN base b ON {_join(spec.steps[k - 1], same_group)}
  AND b.ts_us >= s.c{k - 1} AND b.ts_us <= s.t1 + {spec.window_seconds * MICROS_PER_SECOND}
GROUP BY s.grp, s.user_id, s.t1, {earlier})""")
    return ",\n".join(parts) + f",\nchained AS (SELECT * FROM s{len(spec.steps)})"


def _any_chain(spec: FunnelSpec, same_group: str) -> str:
    n = len(spec.steps)
    firsts = ", ".join(
        f"min(CASE WHEN b.event_type = {literal(step)} THEN b.ts_us END) AS t{k}"
        for k, step in enumerate(spec.steps[1:], start=2)
    )
    # Each completion refers to the one before it, so they are built one layer each.
    layers = [
        f"""firsts AS (
SELECT s.grp, s.user_id, s.t1, s.c1, {firsts}
FROM s1 s LEFT JOIN base b ON b.user_id = s.user_id{same_group}
  AND b.event_type IN ({literal_list(spec.steps[1:])})
  AND b.ts_us >= s.t1 AND b.ts_us <= s.t1 + {spec.window_seconds * MICROS_PER_SECOND}
GROUP BY s.grp, s.user_id, s.t1, s.c1)"""
    ]
    source = "firsts"
    for k in range(2, n + 1):
        completion = (
            f"CASE WHEN c{k - 1} IS NULL OR t{k} IS NULL THEN NULL "
            f"ELSE greatest(c{k - 1}, t{k}) END AS c{k}"
        )
        layers.append(f"a{k} AS (SELECT *, {completion} FROM {source})")
        source = f"a{k}"
    return ",\n".join([_entries(spec), *layers]) + f",\nchained AS (SELECT * FROM {source})"


def _strict_chain(spec: FunnelSpec, same_group: str) -> str:
    partition = "user_id, grp" if same_group else "user_id"
    parts = [
        f"""ranked AS (
SELECT base.*, row_number() OVER (PARTITION BY {partition}
    ORDER BY ts_us, position, event_type, event_key, product_key) AS r
FROM base)""",
        f"""s1 AS (
SELECT e.grp, e.user_id, e.t1, e.t1 AS c1, min(r.r) AS r1
FROM (SELECT grp, user_id, min(ts_us) AS t1 FROM ranked
      WHERE event_type = {literal(spec.steps[0])} GROUP BY grp, user_id) e
JOIN ranked r ON r.user_id = e.user_id AND r.ts_us = e.t1
  AND r.event_type = {literal(spec.steps[0])}{" AND r.grp = e.grp" if same_group else ""}
GROUP BY e.grp, e.user_id, e.t1)""",
    ]
    for k in range(2, len(spec.steps) + 1):
        earlier = ", ".join(f"s.c{j}" for j in range(1, k))
        parts.append(f"""s{k} AS (
SELECT s.grp, s.user_id, s.t1, {earlier}, b.ts_us AS c{k}, b.r AS r{k}
FROM s{k - 1} s LEFT JOIN ranked b ON {_join(spec.steps[k - 1], same_group)}
  AND b.r = s.r{k - 1} + 1 AND b.ts_us <= s.t1 + {spec.window_seconds * MICROS_PER_SECOND})""")
    return ",\n".join(parts) + f",\nchained AS (SELECT * FROM s{len(spec.steps)})"


def _kept(spec: FunnelSpec, same_group: str) -> str:
    if spec.exclude is None:
        return "kept AS (SELECT * FROM chained)"
    last = "coalesce(" + ", ".join(f"c{k}" for k in range(len(spec.steps), 0, -1)) + ")"
    return f"""finished AS (SELECT *, {last} AS c_last FROM chained),
excluded AS (
SELECT DISTINCT s.grp, s.user_id FROM finished s
JOIN base b ON {_join(spec.exclude, same_group)} AND b.ts_us >= s.t1 AND b.ts_us <= s.c_last),
kept AS (
SELECT f.* FROM finished f LEFT JOIN excluded x ON x.user_id = f.user_id AND x.grp = f.grp
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

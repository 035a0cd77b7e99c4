"""Cohort retention: users grouped by the period of their first event in the
window, and the share of each cohort active again 0, 1, 2... periods later.
Weeks start on Monday; periods are UTC calendar days or weeks."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

from liveshop.analytics.reports.common import (
    MICROS_PER_DAY,
    TimeWindow,
    as_int,
    day_of,
    fraction,
)

if TYPE_CHECKING:
    from liveshop.analytics.engines import Engine

EPOCH_WEEKDAY = 3  # 1970-01-01 was a Thursday: day 0 is 3 days after a Monday


class Period(enum.StrEnum):
    DAY = "day"
    WEEK = "week"


@dataclass(frozen=True)
class Cohort:
    cohort: date  # first day of the period
    size: int
    retained: list[int]  # active users in period 0, 1, 2...
    rates: list[float]


def retention_sql(*, window: TimeWindow, period: Period) -> str:
    day = f"floor(ts_us / {MICROS_PER_DAY})"
    number = day if period is Period.DAY else f"floor(({day} + {EPOCH_WEEKDAY}) / 7)"
    return f"""
WITH active AS (
SELECT DISTINCT user_id, CAST({number} AS BIGINT) AS period FROM events
WHERE {window.condition()}),
cohorts AS (SELECT user_id, min(period) AS cohort FROM active GROUP BY user_id)
SELECT c.cohort, a.period - c.cohort AS offset_periods, count(*) AS users
FROM cohorts c JOIN active a ON a.user_id = c.user_id
GROUP BY c.cohort, a.period - c.cohort
"""


def retention(engine: Engine, *, window: TimeWindow, period: Period = Period.WEEK) -> list[Cohort]:
    """Oldest cohort first; ``retained[0]`` is the cohort's size."""
    table: dict[int, dict[int, int]] = {}
    for row in engine.rows(retention_sql(window=window, period=period)):
        cohort = table.setdefault(as_int(row["cohort"]), {})
        cohort[as_int(row["offset_periods"])] = as_int(row["users"])
    cohorts = []
    for number, counts in sorted(table.items()):
        retained = [counts.get(offset, 0) for offset in range(max(counts) + 1)]
        first_day = number if period is Period.DAY else number * 7 - EPOCH_WEEKDAY
        cohorts.append(
            Cohort(
                cohort=day_of(first_day),
                size=retained[0],
                retained=retained,
                rates=[fraction(count, retained[0]) for count in retained],
            )
        )
    return cohorts

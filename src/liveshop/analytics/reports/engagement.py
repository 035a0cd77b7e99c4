"""Do viewers who comment, like or ask questions buy more?

Per user in the window: interactions (comments, questions, likes counting a
burst as its ``like_count``), purchases and spend. Conversion by engagement
level, the lift of engaged over silent viewers with a 95 % confidence interval
(the log relative risk, Katz's method), Pearson's correlation between
interactions and spend over all users, and the three decision stages
(cognition, emotion, behaviour) with the share of users reaching each.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

from liveshop.analytics.reports.common import (
    CART_TYPES,
    CLICK_TYPES,
    COMMENT_TYPES,
    GIFT_TYPES,
    LIKE_TYPES,
    PURCHASE_TYPES,
    QUESTION_TYPES,
    VIEW_TYPES,
    TimeWindow,
    as_int,
    count_of,
    fraction,
    gmv_sum,
    is_type,
)

if TYPE_CHECKING:
    from liveshop.analytics.engines import Engine

Z_95 = 1.959964
LEVELS = (("none", 0, 0), ("low", 1, 2), ("high", 3, None))  # interactions per user


@dataclass(frozen=True)
class LevelLine:
    level: str
    users: int
    buyers: int
    conversion: float
    spend: int


@dataclass(frozen=True)
class Lift:
    engaged_conversion: float
    silent_conversion: float
    lift: float | None  # engaged conversion / silent conversion
    ci_low: float | None
    ci_high: float | None


@dataclass(frozen=True)
class StageLine:
    stage: str
    users: int
    rate: float  # of all users in the window
    rate_from_previous: float


@dataclass(frozen=True)
class EngagementReport:
    users: int
    levels: list[LevelLine]
    lift: Lift
    correlation_interactions_spend: float | None
    stages: list[StageLine]
    average_watch_seconds_emotion: float


def _per_user(window: TimeWindow) -> str:
    interactions = (
        f"{count_of(COMMENT_TYPES + QUESTION_TYPES)} + sum(CASE WHEN {is_type(LIKE_TYPES)} "
        "THEN coalesce(like_count, 1) ELSE 0 END)"
    )
    return f"""per_user AS (
SELECT user_id, {interactions} AS interactions, {count_of(PURCHASE_TYPES)} AS purchases,
       {gmv_sum()} AS spend,
       max(CASE WHEN {is_type(VIEW_TYPES + CLICK_TYPES)} THEN 1 ELSE 0 END) AS cognition,
       max(CASE WHEN {is_type(COMMENT_TYPES + QUESTION_TYPES + LIKE_TYPES + GIFT_TYPES)}
           THEN 1 ELSE 0 END) AS emotion,
       max(CASE WHEN {is_type(CART_TYPES + PURCHASE_TYPES)} THEN 1 ELSE 0 END) AS behaviour,
       coalesce(sum(watch_seconds), 0) AS watched
FROM events WHERE {window.condition()} GROUP BY user_id)"""


def levels_sql(window: TimeWindow) -> str:
    cases = " ".join(
        f"WHEN interactions >= {low}"
        + (f" AND interactions <= {high}" if high is not None else "")
        + f" THEN '{name}'"
        for name, low, high in LEVELS
    )
    return f"""
WITH {_per_user(window)}
SELECT CASE {cases} END AS level, count(*) AS users,
       sum(CASE WHEN purchases > 0 THEN 1 ELSE 0 END) AS buyers, sum(spend) AS spend
FROM per_user GROUP BY CASE {cases} END
"""


def sums_sql(window: TimeWindow) -> str:
    """Exact integer sums from which the correlation is finished in Python, so both
    engines give the same float."""
    big = "CAST({} AS DECIMAL(38, 0))"
    x, y = big.format("interactions"), big.format("spend")
    return f"""
WITH {_per_user(window)}
SELECT count(*) AS n, sum({x}) AS sx, sum({y}) AS sy, sum({x} * {x}) AS sxx,
       sum({y} * {y}) AS syy, sum({x} * {y}) AS sxy,
       sum(cognition) AS cognition, sum(emotion) AS emotion, sum(behaviour) AS behaviour,
       sum(CASE WHEN cognition = 1 AND emotion = 1 THEN 1 ELSE 0 END) AS cognition_emotion,
       sum(CASE WHEN emotion = 1 AND behaviour = 1 THEN 1 ELSE 0 END) AS emotion_behaviour,
       sum(CASE WHEN emotion = 1 THEN CAST(round(watched * 1000) AS BIGINT) ELSE 0 END)
           AS emotion_watched_ms
FROM per_user
"""


def engagement(engine: Engine, *, window: TimeWindow) -> EngagementReport:
    by_level = {str(row["level"]): row for row in engine.rows(levels_sql(window))}
    levels = [
        LevelLine(
            level=name,
            users=as_int(by_level.get(name, {}).get("users")),
            buyers=as_int(by_level.get(name, {}).get("buyers")),
            conversion=fraction(
                as_int(by_level.get(name, {}).get("buyers")),
                as_int(by_level.get(name, {}).get("users")),
            ),
            spend=as_int(by_level.get(name, {}).get("spend")),
        )
        for name, _low, _high in LEVELS
    ]
    sums = {key: as_int(value) for key, value in engine.rows(sums_sql(window))[0].items()}
    return EngagementReport(
        users=sums["n"],
        levels=levels,
        lift=_lift(silent=levels[0], engaged=levels[1:]),
        correlation_interactions_spend=_pearson(sums),
        stages=_stages(sums),
        average_watch_seconds_emotion=fraction(sums["emotion_watched_ms"], sums["emotion"]) / 1000,
    )


def _lift(*, silent: LevelLine, engaged: list[LevelLine]) -> Lift:
    users = sum(level.users for level in engaged)
    buyers = sum(level.buyers for level in engaged)
    engaged_rate, silent_rate = fraction(buyers, users), fraction(silent.buyers, silent.users)
    if not (buyers and silent.buyers):
        return Lift(engaged_rate, silent_rate, None, None, None)
    ratio = engaged_rate / silent_rate
    error = math.sqrt(1 / buyers - 1 / users + 1 / silent.buyers - 1 / silent.users)
    return Lift(
        engaged_conversion=engaged_rate,
        silent_conversion=silent_rate,
        lift=ratio,
        ci_low=math.exp(math.log(ratio) - Z_95 * error),
        ci_high=math.exp(math.log(ratio) + Z_95 * error),
    )


def _pearson(sums: dict[str, int]) -> float | None:
    n = sums["n"]
    covariance = n * sums["sxy"] - sums["sx"] * sums["sy"]
    spread_x = n * sums["sxx"] - sums["sx"] ** 2
    spread_y = n * sums["syy"] - sums["sy"] ** 2
    if spread_x <= 0 or spread_y <= 0:
        return None  # one of the two never varies: no correlation to speak of
    return covariance / math.sqrt(spread_x * spread_y)


def _stages(sums: dict[str, int]) -> list[StageLine]:
    return [
        StageLine(
            "cognition",
            sums["cognition"],
            fraction(sums["cognition"], sums["n"]),
            fraction(sums["cognition"], sums["n"]),
        ),
        StageLine(
            "emotion",
            sums["emotion"],
            fraction(sums["emotion"], sums["n"]),
            fraction(sums["cognition_emotion"], sums["cognition"]),
        ),
        StageLine(
            "behaviour",
            sums["behaviour"],
            fraction(sums["behaviour"], sums["n"]),
            fraction(sums["emotion_behaviour"], sums["emotion"]),
        ),
    ]

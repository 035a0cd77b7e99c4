"""User profiles (用户画像): one row per user from their behaviour events, and the
classic RFM scores and named segments.

Defined once in SQL and run on either engine. Price sensitivity is the share
of purchases made with a coupon or in a flash sale, among purchases whose log
says either way. As of a date, only events
before the end of that day count. Users who never bought have no recency,
interval or price sensitivity; users without recorded watch time have no
engagement rate: those stay missing (null) and are counted in the report.
Money (``monetary_minor_units``) is the sum of purchase amounts in integer minor
units, as the store keeps them (1,556.34 is 155634), and its name says so.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from liveshop.analytics.engines import Engine
from liveshop.analytics.reports.common import (
    COMMENT_TYPES,
    LIKE_TYPES,
    MICROS_PER_DAY,
    PURCHASE_TYPES,
    QUESTION_TYPES,
    day_start_us,
    is_type,
)

HOUR_US = 3_600_000_000
EVENING_HOURS = (18, 24)  # UTC; evening viewers are the prime-time live audience
PROFILE_COLUMNS = (
    "user_id",
    "recency_days",
    "frequency",
    "monetary_minor_units",
    "purchase_interval_days",
    "preferred_category",
    "preferred_brand",
    "peak_hour",
    "evening_share",
    "price_sensitivity",
    "engagement_per_minute",
    "r_score",
    "f_score",
    "m_score",
    "rfm_segment",
)
# The widely used RFM map on (recency score, frequency score), first match wins.
RFM_SEGMENTS = (
    (r"[1-2][1-2]", "hibernating"),
    (r"[1-2][3-4]", "at risk"),
    (r"[1-2]5", "can't lose them"),
    (r"3[1-2]", "about to sleep"),
    (r"33", "need attention"),
    (r"[3-4][4-5]", "loyal customers"),
    (r"41", "promising"),
    (r"51", "new customers"),
    (r"[4-5][2-3]", "potential loyalists"),
    (r"5[4-5]", "champions"),
)


@dataclass(frozen=True)
class ProfilesResult:
    rows: list[dict[str, Any]]  # PROFILE_COLUMNS, one per user, ordered by user id
    missing: dict[str, int]  # column -> users without a value


def profiles_sql(*, as_of: date) -> str:
    end = day_start_us(as_of + timedelta(days=1))
    bought = is_type(PURCHASE_TYPES)
    interactions = f"{is_type(COMMENT_TYPES + QUESTION_TYPES + LIKE_TYPES)}"
    return f"""
WITH e AS (SELECT * FROM events WHERE ts_us < {end}),
base AS (
SELECT user_id,
       sum(CASE WHEN {bought} THEN 1 ELSE 0 END) AS frequency,
       coalesce(sum(CASE WHEN {bought} THEN amount END), 0) AS monetary_minor_units,
       min(CASE WHEN {bought} THEN ts_us END) AS first_purchase_us,
       max(CASE WHEN {bought} THEN ts_us END) AS last_purchase_us,
       sum(CASE WHEN {bought} AND (coupon OR flash_sale) THEN 1 ELSE 0 END) AS promoted,
       sum(CASE WHEN {bought} AND (coupon IS NOT NULL OR flash_sale IS NOT NULL)
           THEN 1 ELSE 0 END) AS flagged,
       sum(CASE WHEN {interactions} THEN 1 ELSE 0 END) AS interactions,
       sum(CAST(round(watch_seconds * 1000) AS BIGINT)) AS watched_ms,
       count(*) AS events,
       sum(CASE WHEN floor((ts_us % {MICROS_PER_DAY}) / {HOUR_US}) >= {EVENING_HOURS[0]}
           THEN 1 ELSE 0 END) AS evening_events
FROM e GROUP BY user_id),
{_favourite("category")},
{_favourite("brand")},
hours AS (
SELECT user_id, hour, row_number() OVER (PARTITION BY user_id ORDER BY n DESC, hour) AS place
FROM (SELECT user_id, CAST(floor((ts_us % {MICROS_PER_DAY}) / {HOUR_US}) AS BIGINT) AS hour,
             count(*) AS n FROM e GROUP BY user_id,
             CAST(floor((ts_us % {MICROS_PER_DAY}) / {HOUR_US}) AS BIGINT)) counted)
SELECT b.user_id,
       CASE WHEN b.last_purchase_us IS NULL THEN NULL
            ELSE CAST(floor(({end} - b.last_purchase_us) / {MICROS_PER_DAY}) AS BIGINT)
       END AS recency_days,
       b.frequency, b.monetary_minor_units,
       CASE WHEN b.frequency > 1 THEN
            CAST(b.last_purchase_us - b.first_purchase_us AS DOUBLE)
            / {MICROS_PER_DAY} / (b.frequency - 1) END AS purchase_interval_days,
       c.category AS preferred_category, r.brand AS preferred_brand, h.hour AS peak_hour,
       CAST(b.evening_events AS DOUBLE) / b.events AS evening_share,
       CASE WHEN b.flagged > 0 THEN CAST(b.promoted AS DOUBLE) / b.flagged END
           AS price_sensitivity,
       CASE WHEN b.watched_ms > 0 THEN CAST(b.interactions AS DOUBLE) * 60000 / b.watched_ms END
           AS engagement_per_minute
FROM base b
LEFT JOIN category_pick c ON c.user_id = b.user_id AND c.place = 1
LEFT JOIN brand_pick r ON r.user_id = b.user_id AND r.place = 1
LEFT JOIN hours h ON h.user_id = b.user_id AND h.place = 1
"""


def _favourite(column: str) -> str:
    """The value a user bought most (ties by name), or viewed most if they never bought."""
    return f"""{column}_pick AS (
SELECT user_id, {column}, row_number() OVER (PARTITION BY user_id
       ORDER BY bought DESC, n DESC, {column}) AS place
FROM (SELECT user_id, {column}, count(*) AS n,
             sum(CASE WHEN {is_type(PURCHASE_TYPES)} THEN 1 ELSE 0 END) AS bought
      FROM e WHERE {column} IS NOT NULL GROUP BY user_id, {column}) counted)"""


def rfm_sql(*, as_of: date) -> str:
    """Quintile scores over buyers: 1 + floor(5 * (rank - 1) / buyers), ranks with
    ties sharing the lowest rank, so equal values always get equal scores."""
    end = day_start_us(as_of + timedelta(days=1))
    return f"""
WITH buyers AS (
SELECT user_id, CAST(floor(({end} - max(ts_us)) / {MICROS_PER_DAY}) AS BIGINT) AS recency_days,
       count(*) AS frequency, coalesce(sum(amount), 0) AS monetary_minor_units
FROM events WHERE ts_us < {end} AND {is_type(PURCHASE_TYPES)} GROUP BY user_id),
n AS (SELECT count(*) AS buyers FROM buyers)
SELECT b.user_id,
       CAST(1 + floor(5 * (rank() OVER (ORDER BY b.recency_days DESC) - 1) / n.buyers)
            AS BIGINT) AS r_score,
       CAST(1 + floor(5 * (rank() OVER (ORDER BY b.frequency) - 1) / n.buyers) AS BIGINT)
           AS f_score,
       CAST(1 + floor(5 * (rank() OVER (ORDER BY b.monetary_minor_units) - 1) / n.buyers)
            AS BIGINT) AS m_score
FROM buyers b CROSS JOIN n
"""


def rfm_segment(r_score: int, f_score: int) -> str:
    key = f"{r_score}{f_score}"
    return next(name for pattern, name in RFM_SEGMENTS if re.fullmatch(pattern, key))


def build_profiles(engine: Engine, *, as_of: date) -> ProfilesResult:
    """Every user with an event up to ``as_of`` (by user id), RFM scores for buyers."""
    query = f"""
WITH profiles AS ({profiles_sql(as_of=as_of)}), scores AS ({rfm_sql(as_of=as_of)})
SELECT p.*, s.r_score, s.f_score, s.m_score
FROM profiles p LEFT JOIN scores s ON s.user_id = p.user_id
ORDER BY p.user_id
"""
    rows = engine.rows(query)
    missing = dict.fromkeys(PROFILE_COLUMNS, 0)
    for row in rows:
        row["frequency"] = int(row["frequency"])
        row["monetary_minor_units"] = int(row["monetary_minor_units"])
        has_scores = row["r_score"] is not None
        row["rfm_segment"] = rfm_segment(row["r_score"], row["f_score"]) if has_scores else None
        for column, value in row.items():
            if value is None:
                missing[column] += 1
    return ProfilesResult(
        rows=rows, missing={column: count for column, count in missing.items() if count}
    )

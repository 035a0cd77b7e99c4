"""One live session (a room in a time window): sales, audience and a timeline.

Presence is derived from events: a viewer's session (by ``session_id``, or all
their events in the room without one) lasts from its first to its last event;
the platform's join and leave events bound it. A session whose last join has no
leave after it is still watching: given ``open_until_us`` (the report's moment: now
while the room is live, its end once it ended), it lasts until then, so a viewer
who joined and watches in silence counts as present, as the room's online count
has them. Peak concurrency and watch time come from those spans; a minute's
viewers are the sessions spanning it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from liveshop.analytics.reports.common import (
    CLICK_TYPES,
    COMMENT_TYPES,
    GIFT_TYPES,
    JOIN_TYPES,
    LEAVE_TYPES,
    MICROS_PER_SECOND,
    PURCHASE_TYPES,
    VIEW_TYPES,
    TimeWindow,
    as_int,
    count_of,
    fraction,
    gmv_sum,
    is_type,
    likes_sum,
    literal,
    minute_start,
    orders_count,
)

if TYPE_CHECKING:
    from liveshop.analytics.engines import Engine

MICROS_PER_MINUTE = 60 * MICROS_PER_SECOND


@dataclass(frozen=True)
class ProductLine:
    product_id: str
    card_clicks: int
    click_through: float  # distinct clickers / unique viewers of the room
    orders: int
    gmv: int


@dataclass(frozen=True)
class TimelineMinute:
    minute: datetime
    viewers: int
    comments: int
    gmv: int


@dataclass(frozen=True)
class SessionReport:
    room_id: str
    gmv: int  # minor units
    orders: int
    buyers: int
    unique_viewers: int
    views: int
    conversion: float  # buyers / unique viewers
    gpm: float  # GMV per thousand views, minor units
    peak_concurrent_viewers: int
    average_watch_seconds: float
    comments: int
    likes: int
    gifts: int
    products: list[ProductLine]
    timeline: list[TimelineMinute]


def _room_events(room_id: str, window: TimeWindow) -> str:
    return f"SELECT * FROM events WHERE room_id = {literal(room_id)} AND {window.condition()}"


def _session_end(open_until_us: int | None) -> str:
    if open_until_us is None:
        return "max(ts_us)"
    joined = f"max(CASE WHEN {is_type(JOIN_TYPES)} THEN ts_us END)"
    left = f"coalesce(max(CASE WHEN {is_type(LEAVE_TYPES)} THEN ts_us END), -1)"
    until = int(open_until_us)
    return f"CASE WHEN {joined} > {left} THEN greatest(max(ts_us), {until}) ELSE max(ts_us) END"


def _sessions(room_id: str, window: TimeWindow, open_until_us: int | None) -> str:
    return f"""room_events AS ({_room_events(room_id, window)}),
sessions AS (
SELECT user_id, coalesce(session_id, '') AS sid, min(ts_us) AS start_us,
       {_session_end(open_until_us)} AS end_us
FROM room_events GROUP BY user_id, coalesce(session_id, ''))"""


def totals_sql(room_id: str, window: TimeWindow) -> str:
    return f"""
SELECT count(DISTINCT user_id) AS unique_viewers, {count_of(VIEW_TYPES)} AS views,
       {orders_count()} AS orders, {gmv_sum()} AS gmv,
       count(DISTINCT CASE WHEN {is_type(PURCHASE_TYPES)} THEN user_id END) AS buyers,
       {count_of(COMMENT_TYPES)} AS comments, {likes_sum()} AS likes,
       {count_of(GIFT_TYPES)} AS gifts
FROM ({_room_events(room_id, window)}) room_events
"""


def presence_sql(room_id: str, window: TimeWindow, open_until_us: int | None = None) -> str:
    return f"""
WITH {_sessions(room_id, window, open_until_us)},
deltas AS (SELECT start_us AS t, 1 AS d, end_us - start_us AS watched FROM sessions
           UNION ALL SELECT end_us AS t, -1 AS d, 0 AS watched FROM sessions),
running AS (SELECT d, watched, sum(d) OVER (ORDER BY t, d DESC
            ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS present FROM deltas)
SELECT max(present) AS peak, sum(watched) AS watched_us,
       sum(CASE WHEN d = 1 THEN 1 ELSE 0 END) AS sessions
FROM running
"""


def products_sql(room_id: str, window: TimeWindow) -> str:
    return f"""
SELECT product_id, {count_of(CLICK_TYPES)} AS clicks,
       count(DISTINCT CASE WHEN {is_type(CLICK_TYPES)} THEN user_id END) AS clickers,
       {orders_count()} AS orders, {gmv_sum()} AS gmv
FROM ({_room_events(room_id, window)}) room_events
WHERE product_id IS NOT NULL
GROUP BY product_id
ORDER BY gmv DESC, clicks DESC, product_id
"""


def timeline_sql(room_id: str, window: TimeWindow, open_until_us: int | None = None) -> str:
    minute = f"CAST(floor(ts_us / {MICROS_PER_MINUTE}) AS BIGINT)"
    return f"""
WITH {_sessions(room_id, window, open_until_us)},
activity AS (
SELECT {minute} AS minute, {count_of(COMMENT_TYPES)} AS comments, {gmv_sum()} AS gmv
FROM room_events GROUP BY {minute}),
spans AS (
SELECT DISTINCT user_id, CAST(floor(start_us / {MICROS_PER_MINUTE}) AS BIGINT) AS first_minute,
       CAST(floor(end_us / {MICROS_PER_MINUTE}) AS BIGINT) AS last_minute FROM sessions),
watching AS (
SELECT minute, count(*) AS viewers FROM (
    SELECT DISTINCT a.minute, s.user_id FROM activity a JOIN spans s
    ON s.first_minute <= a.minute AND s.last_minute >= a.minute) present
GROUP BY minute)
SELECT a.minute, coalesce(w.viewers, 0) AS viewers, a.comments, a.gmv
FROM activity a LEFT JOIN watching w ON w.minute = a.minute
ORDER BY a.minute
"""


def session_report(
    engine: Engine, *, room_id: str, window: TimeWindow, open_until_us: int | None = None
) -> SessionReport:
    """The figures of one room; the timeline lists the minutes with any event. Without
    ``open_until_us`` a session ends at its last event (a log read on its own)."""
    totals = engine.rows(totals_sql(room_id, window))[0]
    presence = engine.rows(presence_sql(room_id, window, open_until_us))[0]
    viewers, views, gmv = (as_int(totals[key]) for key in ("unique_viewers", "views", "gmv"))
    buyers = as_int(totals["buyers"])
    return SessionReport(
        room_id=room_id,
        gmv=gmv,
        orders=as_int(totals["orders"]),
        buyers=buyers,
        unique_viewers=viewers,
        views=views,
        conversion=fraction(buyers, viewers),
        gpm=fraction(gmv * 1000, views),
        peak_concurrent_viewers=as_int(presence["peak"]),
        average_watch_seconds=fraction(as_int(presence["watched_us"]), as_int(presence["sessions"]))
        / MICROS_PER_SECOND,
        comments=as_int(totals["comments"]),
        likes=as_int(totals["likes"]),
        gifts=as_int(totals["gifts"]),
        products=[
            ProductLine(
                product_id=str(row["product_id"]),
                card_clicks=as_int(row["clicks"]),
                click_through=fraction(as_int(row["clickers"]), viewers),
                orders=as_int(row["orders"]),
                gmv=as_int(row["gmv"]),
            )
            for row in engine.rows(products_sql(room_id, window))
        ],
        timeline=[
            TimelineMinute(
                minute=minute_start(as_int(row["minute"])),
                viewers=as_int(row["viewers"]),
                comments=as_int(row["comments"]),
                gmv=as_int(row["gmv"]),
            )
            for row in engine.rows(timeline_sql(room_id, window, open_until_us))
        ],
    )

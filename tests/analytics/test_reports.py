"""Every report on DuckDB and on Spark against the plain-Python reference."""

from __future__ import annotations

import math
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pyarrow as pa
import pytest
from pyspark.sql import SparkSession

from liveshop.analytics.engines import DuckDBEngine, Engine, SparkEngine
from liveshop.analytics.reports.common import TimeWindow
from liveshop.analytics.reports.engagement import engagement
from liveshop.analytics.reports.funnel import FunnelBy, FunnelMode, funnel
from liveshop.analytics.reports.retention import Period, retention
from liveshop.analytics.reports.session_report import session_report
from liveshop.analytics.reports.top_products import top_products
from liveshop.events.importer import read_log
from tests.analytics import reference
from tests.analytics.fixtures import Event

ALL = TimeWindow()


def test_top_products_in_a_window_matches_the_reference(
    engine: Engine, events: list[Event]
) -> None:
    window = TimeWindow.from_dates(date(2023, 1, 3), date(2023, 1, 12))
    start = datetime(2023, 1, 3, tzinfo=UTC)
    expected = reference.top_products(
        reference.in_window(events, start, start + timedelta(days=10)), event_type="view", top=5
    )

    result = top_products(engine, window=window, event_type="view", top=5)

    assert [(row.product_id, row.count) for row in result] == expected


def test_top_products_of_an_empty_window_is_empty(engine: Engine) -> None:
    window = TimeWindow.from_dates(date(2024, 1, 1), date(2024, 1, 31))
    assert top_products(engine, window=window) == []


@pytest.mark.parametrize("mode", list(FunnelMode))
def test_funnel_modes_match_the_reference(
    engine: Engine, events: list[Event], mode: FunnelMode
) -> None:
    steps = ["view", "click", "cart", "purchase"]
    expected = reference.funnel(
        reference.in_window(events, None, None), steps=steps, window=timedelta(hours=2), mode=mode
    )

    result = funnel(engine, steps=steps, window=ALL, window_seconds=7200, mode=mode)

    assert [(step.users, step.median_seconds_from_previous) for step in result.steps] == expected
    assert result.steps[1].conversion_from_previous == expected[1][0] / expected[0][0]
    assert result.steps[3].conversion_overall == expected[3][0] / expected[0][0]


@pytest.mark.parametrize("mode", list(FunnelMode))
def test_funnel_with_exclusion_and_rooms_matches_the_reference(
    engine: Engine, events: list[Event], mode: FunnelMode
) -> None:
    steps = ["view", "click", "purchase"]
    unique_events = reference.in_window(events, None, None)

    result = funnel(
        engine,
        steps=steps,
        window=ALL,
        window_seconds=86_400,
        mode=mode,
        by=FunnelBy.ROOM,
        exclude="comment",
    )

    assert [(s.users, s.median_seconds_from_previous) for s in result.steps] == reference.funnel(
        unique_events, steps=steps, window=timedelta(days=1), mode=mode, exclude="comment"
    )
    assert result.groups is not None
    assert [group.group for group in result.groups] == ["42", "r1", "r2"]
    for group in result.groups:
        in_room = [e for e in unique_events if e.room_id == group.group]
        expected = reference.funnel(
            in_room, steps=steps, window=timedelta(days=1), mode=mode, exclude="comment"
        )
        assert [(s.users, s.median_seconds_from_previous) for s in group.steps] == expected


def test_session_report_matches_the_reference(engine: Engine, events: list[Event]) -> None:
    room = [e for e in reference.in_window(events, None, None) if e.room_id == "r1"]
    buyers = {e.user_id for e in room if e.event_type == "purchase"}
    viewers = {e.user_id for e in room}
    gmv = sum(e.amount or 0 for e in room if e.event_type == "purchase")
    views = sum(e.event_type in ("view", "join") for e in room)
    spans: dict[tuple[str, str], list[datetime]] = {}
    for e in room:
        spans.setdefault((e.user_id, e.session_id or ""), []).append(e.ts)

    report = session_report(engine, room_id="r1", window=ALL)

    assert (report.gmv, report.buyers, report.unique_viewers, report.views) == (
        gmv,
        len(buyers),
        len(viewers),
        views,
    )
    assert report.orders == sum(e.event_type == "purchase" for e in room)
    assert report.conversion == len(buyers) / len(viewers)
    assert report.gpm == gmv * 1000 / views
    assert report.likes == sum(e.like_count or 1 for e in room if e.event_type == "like")
    assert report.comments == sum(e.event_type == "comment" for e in room)
    watched = [(max(ts) - min(ts)).total_seconds() for ts in spans.values()]
    assert report.average_watch_seconds == pytest.approx(sum(watched) / len(watched), abs=1e-9)
    assert report.peak_concurrent_viewers == _peak(list(spans.values()))
    by_product = {line.product_id: line for line in report.products}
    for product in {e.product_id for e in room if e.product_id}:
        sold = [e for e in room if e.product_id == product and e.event_type == "purchase"]
        assert (by_product[product].orders, by_product[product].gmv) == (
            len(sold),
            sum(e.amount or 0 for e in sold),
        )
    assert sum(minute.gmv for minute in report.timeline) == gmv


def _peak(spans: list[list[datetime]]) -> int:
    moments = sorted({t for ts in spans for t in (min(ts), max(ts))})
    return max(sum(min(ts) <= moment <= max(ts) for ts in spans) for moment in moments)


def test_engagement_matches_the_reference(engine: Engine, events: list[Event]) -> None:
    expected = reference.engagement_levels(reference.in_window(events, None, None))

    report = engagement(engine, window=ALL)

    assert {line.level: (line.users, line.buyers, line.spend) for line in report.levels} == {
        name: expected[name] for name in ("none", "low", "high")
    }
    assert report.correlation_interactions_spend == pytest.approx(
        expected["correlation"][0], rel=1e-12
    )
    silent = expected["none"]
    engaged = [sum(values) for values in zip(expected["low"], expected["high"], strict=True)]
    ratio, low, high = reference.relative_risk_ci(engaged[1], engaged[0], silent[1], silent[0])
    assert report.lift.lift == pytest.approx(ratio, rel=1e-12)
    assert (report.lift.ci_low, report.lift.ci_high) == (
        pytest.approx(low, rel=1e-9),
        pytest.approx(high, rel=1e-9),
    )
    assert math.isclose(sum(line.users for line in report.levels), report.users)


def test_retention_matches_the_reference(engine: Engine, events: list[Event]) -> None:
    expected = reference.retention_weeks(reference.in_window(events, None, None))

    cohorts = retention(engine, window=ALL, period=Period.WEEK)

    assert {cohort.cohort.isoformat(): cohort.retained for cohort in cohorts} == expected
    assert all(cohort.rates[0] == 1.0 for cohort in cohorts)


def test_both_engines_give_identical_results(spark: SparkSession, loaded: pa.Table) -> None:
    """Beyond matching the reference: every field, floats and timelines included."""

    def run(engine: Engine) -> tuple[object, ...]:
        return (
            funnel(engine, steps=["view", "cart", "purchase"], window=ALL, by=FunnelBy.DAY),
            funnel(
                engine,
                steps=["view", "purchase"],
                window=ALL,
                by=FunnelBy.CHANNEL,
                mode=FunnelMode.ANY,
            ),
            engagement(engine, window=ALL),
        )

    duckdb_engine = DuckDBEngine.for_table(loaded)
    spark_engine = SparkEngine.for_table(spark, loaded)

    assert run(duckdb_engine) == run(spark_engine)


ORDER_LINES_LOG = """user_id,product_id,event_type,timestamp,room_id,amount,order_id
u1,p1,view,2023-01-01T10:00:00Z,r9,,
u1,p1,purchase,2023-01-01T10:01:00Z,r9,100,o1
u1,p2,purchase,2023-01-01T10:01:00Z,r9,50,o1
u2,p1,purchase,2023-01-01T10:02:00Z,r9,100,o2
u3,p2,purchase,2023-01-01T10:03:00Z,r9,50,
"""


@pytest.mark.parametrize("engine_name", ["duckdb", "spark"])
def test_the_lines_of_one_order_are_one_order(
    engine_name: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    """A log that names its orders: o1's two lines are one order; a purchase that
    names none is an order of its own."""
    path = tmp_path / "orders.csv"
    path.write_text(ORDER_LINES_LOG)
    table, loaded = read_log(path)
    assert loaded.bad_rows == 0
    engine: Engine = (
        DuckDBEngine.for_table(table)
        if engine_name == "duckdb"
        else SparkEngine.for_table(request.getfixturevalue("spark"), table)
    )
    try:
        report = session_report(engine, room_id="r9", window=ALL)
    finally:
        engine.close()

    assert (report.orders, report.gmv, report.buyers) == (3, 30_000, 3)  # amounts in yuan
    by_product = {line.product_id: (line.orders, line.gmv) for line in report.products}
    assert by_product == {"p1": (2, 20_000), "p2": (2, 10_000)}


PRESENCE_LOG = """user_id,product_id,event_type,timestamp,room_id,amount,order_id
u1,,join,2023-01-01T10:00:00Z,r7,,
u2,,join,2023-01-01T10:01:00Z,r7,,
u3,,join,2023-01-01T10:02:00Z,r7,,
u3,,leave,2023-01-01T10:03:00Z,r7,,
u4,,join,2023-01-01T10:04:00Z,r7,,
u4,,leave,2023-01-01T10:05:00Z,r7,,
u4,,join,2023-01-01T10:06:00Z,r7,,
"""


@pytest.mark.parametrize("engine_name", ["duckdb", "spark"])
def test_a_viewer_who_has_not_left_is_present_until_the_reports_moment(
    engine_name: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    """u1 and u2 joined and watch in silence, u3 left, u4 left and came back: at 10:10 three
    are present (the room's online count), and the peak is not below it; read on its own, a
    log's sessions end at their last event, and the silent viewers are present an instant."""
    path = tmp_path / "presence.csv"
    path.write_text(PRESENCE_LOG)
    table, loaded = read_log(path)
    assert loaded.bad_rows == 0
    engine: Engine = (
        DuckDBEngine.for_table(table)
        if engine_name == "duckdb"
        else SparkEngine.for_table(request.getfixturevalue("spark"), table)
    )
    moment = datetime(2023, 1, 1, 10, 10, tzinfo=UTC)
    until = (moment - datetime(1970, 1, 1, tzinfo=UTC)) // timedelta(microseconds=1)
    try:
        open_ended = session_report(engine, room_id="r7", window=ALL, open_until_us=until)
        closed = session_report(engine, room_id="r7", window=ALL)
    finally:
        engine.close()

    assert open_ended.peak_concurrent_viewers == 3  # u1, u2 with u3 (10:02), then with u4
    assert closed.peak_concurrent_viewers == 1  # no two spans overlap: the 41 by 241
    # watch time: u1 10 min, u2 9, u3 1, u4 6 (10:04 to 10:10, its one session)
    assert open_ended.average_watch_seconds == (10 + 9 + 1 + 6) * 60 / 4

"""Reports on a log read where it lies (``LogEngine``): the same answers as on the
log loaded the import's way (``read_log``), on every report, for CSV, JSONL,
Parquet, a folder and a glob; bad rows counted in the same pass; a clear error for
a missing column; ``--format json`` alone on standard output."""

from __future__ import annotations

import csv
import json
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import orjson
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from pyspark.sql import SparkSession
from typer.testing import CliRunner

from liveshop.analytics import cli as analytics_cli
from liveshop.analytics.engines import DuckDBEngine, Engine, SparkEngine
from liveshop.analytics.log_view import LogEngine
from liveshop.analytics.profiles import build_profiles
from liveshop.analytics.reports.common import TimeWindow
from liveshop.analytics.reports.engagement import engagement
from liveshop.analytics.reports.funnel import FunnelBy, funnel
from liveshop.analytics.reports.retention import Period, retention
from liveshop.analytics.reports.session_report import session_report
from liveshop.analytics.reports.top_products import top_products
from liveshop.cli import app
from liveshop.events.importer import read_log
from liveshop.events.row_checks import ANALYTICS_COLUMNS as CHECKED_COLUMNS
from liveshop.events.store import ANALYTICS_COLUMNS
from tests.analytics.fixtures import Event, write_csv

WINDOW = TimeWindow.from_dates(date(2023, 1, 3), date(2023, 1, 17))
HEADER = ["user_id", "product_id", "event_type", "timestamp", "room_id", "session_id"]
HEADER += ["channel", "amount", "like_count"]


def every_report(engine: Engine) -> tuple[object, ...]:
    """Each report the CLI has; top products first (on a log: its one-scan path)."""
    return (
        top_products(engine, window=WINDOW, top=5),
        top_products(engine, window=TimeWindow(), event_type="purchase", top=3),
        funnel(engine, steps=["view", "cart", "purchase"], window=WINDOW, by=FunnelBy.DAY),
        session_report(engine, room_id="r1", window=TimeWindow()),
        engagement(engine, window=TimeWindow()),
        retention(engine, window=TimeWindow(), period=Period.WEEK),
        build_profiles(engine, as_of=date(2023, 1, 31)),
    )


def rows_of(events: list[Event]) -> list[dict[str, object]]:
    """The events as a log's rows: naive UTC timestamps, money in major units."""
    return [
        {
            "user_id": event.user_id,
            "product_id": event.product_id,
            "event_type": event.event_type,
            "timestamp": event.ts.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S"),
            "room_id": event.room_id,
            "session_id": event.session_id,
            "channel": event.channel,
            "amount": None if event.amount is None else event.amount / 100,
            "like_count": event.like_count,
        }
        for event in events
    ]


def write_plain_csv(path: Path, rows: list[dict[str, object]]) -> None:
    with path.open("w", newline="") as stream:
        writer = csv.DictWriter(stream, fieldnames=HEADER)
        writer.writeheader()
        for row in rows:
            writer.writerow({k: "" if v is None else v for k, v in row.items()})


def write_jsonl(path: Path, rows: list[dict[str, object]]) -> None:
    with path.open("w") as stream:
        for row in rows:
            stream.write(json.dumps({k: v for k, v in row.items() if v is not None}) + "\n")


def write_parquet(path: Path, rows: list[dict[str, object]]) -> None:
    table = pa.Table.from_pylist(
        [{**row, "timestamp": datetime.fromisoformat(f"{row['timestamp']}+00:00")} for row in rows]
    )
    pq.write_table(table, path)


@pytest.fixture(scope="module")
def logs(events: list[Event], tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The same events in every shape a user may hand over."""
    directory = tmp_path_factory.mktemp("logs")
    rows = rows_of(events)
    write_csv(directory / "mixed.csv", events)  # ISO with offsets, epoch s and ms
    write_plain_csv(directory / "plain.csv", rows)
    write_jsonl(directory / "events.jsonl", rows)
    write_parquet(directory / "events.parquet", rows)
    (directory / "parts").mkdir()
    third = len(rows) // 3
    for number, part in enumerate((rows[:third], rows[third : 2 * third], rows[2 * third :])):
        write_plain_csv(directory / "parts" / f"day-{number}.csv", part)
    return {
        "mixed csv": directory / "mixed.csv",
        "plain csv": directory / "plain.csv",
        "jsonl": directory / "events.jsonl",
        "parquet": directory / "events.parquet",
        "folder": directory / "parts",
        "glob": directory / "parts" / "day-*.csv",
    }


@pytest.fixture(scope="module")
def expected(events: list[Event], tmp_path_factory: pytest.TempPathFactory) -> tuple[object, ...]:
    """Every report on the events loaded the import's way (as before logs were read
    in place)."""
    path = tmp_path_factory.mktemp("reference") / "log.csv"
    write_plain_csv(path, rows_of(events))
    table, report = read_log(path)
    assert report.bad_rows == 0
    return every_report(DuckDBEngine.for_table(table))


@pytest.mark.parametrize("shape", ["mixed csv", "plain csv", "jsonl", "parquet", "folder", "glob"])
def test_every_report_on_a_log_read_in_place_matches_the_loaded_log(
    shape: str, logs: dict[str, Path], expected: tuple[object, ...]
) -> None:
    engine = LogEngine.open(str(logs[shape]))
    try:
        assert every_report(engine) == expected
        assert engine.report is not None
        assert engine.report.rows_read == engine.report.rows_loaded == 501
        assert engine.report.bad_rows == 0
    finally:
        engine.close()


def test_spark_on_a_log_read_in_place_gives_the_duckdb_answers(
    spark: SparkSession, logs: dict[str, Path], expected: tuple[object, ...]
) -> None:
    engine = LogEngine.open(str(logs["plain csv"]))
    try:
        events = engine.events_table()
    finally:
        engine.close()
    assert every_report(SparkEngine.for_table(spark, events)) == expected


BAD_LOG = (
    "user_id,product_id,event_type,timestamp\n"
    "u1,p1,view,2023-01-01 10:00:00\n"
    ",p1,view,2023-01-01 10:00:00\n"  # line 3: no user
    "u2,p2,VIEW , 2023-01-02 10:00:00\n"  # padded: read as view
    "u3,p1,view,not-a-time\n"  # line 5
    "u4,p1\n"  # line 6: too few fields
    "u5,p2,view,2023-01-03 10:00:00,extra\n"  # line 7: too many
    "u6,p2,,2023-01-03 10:00:00\n"  # line 8: no event type
    "u7,p1,view,2023-01-04T10:00:00+08:00\n"
)


@pytest.mark.parametrize("reading", ["top products (one scan)", "any report (log_rows)"])
def test_bad_rows_are_counted_as_an_import_counts_them(tmp_path: Path, reading: str) -> None:
    path = tmp_path / "bad.csv"
    path.write_text(BAD_LOG)
    _table, imported = read_log(path)
    engine = LogEngine.open(str(path))
    try:
        if reading.startswith("top"):
            top = top_products(engine, window=TimeWindow())
        else:
            rows = engine.rows("SELECT product_id, count(*) AS n FROM events GROUP BY 1")
            top = sorted((row["product_id"], row["n"]) for row in rows)  # type: ignore[assignment]
        report = engine.report
    finally:
        engine.close()
    assert report is not None
    assert report.rejected == imported.rejected
    assert report.first_bad == imported.first_bad
    assert (report.rows_read, report.rows_loaded) == (imported.rows_read, imported.rows_loaded)
    assert [bad.line for bad in report.first_bad] == [3, 5, 6, 7, 8]
    if reading.startswith("top"):
        assert [(row.product_id, row.count) for row in top] == [("p1", 2), ("p2", 1)]
    else:
        assert top == [("p1", 2), ("p2", 1)]


def test_a_timestamp_column_that_changes_format_is_read_as_an_import_reads_it(
    tmp_path: Path,
) -> None:
    """The first rows say one naive format (parsed natively); far past the sample a
    row has an offset and one is in epoch seconds: the log is read again exactly."""
    path = tmp_path / "long.csv"
    lines = ["user_id,product_id,event_type,timestamp"]
    moment = datetime(2023, 1, 1, tzinfo=UTC)
    for number in range(40_000):
        stamp = (moment + timedelta(seconds=number)).strftime("%Y-%m-%d %H:%M:%S")
        lines.append(f"u{number % 97},p{number % 13},view,{stamp}")
    lines.append("late,p99,view,2023-01-02T07:00:00+08:00")  # 2023-01-01 23:00 UTC
    lines.append("later,p99,view,1672617600")  # 2023-01-02 00:00 UTC
    path.write_text("\n".join(lines) + "\n")
    _table, imported = read_log(path)
    engine = LogEngine.open(str(path))
    try:
        assert engine.scan.typed_timestamp == "timestamp"
        january_1 = TimeWindow.from_dates(date(2023, 1, 1), date(2023, 1, 1))
        top = top_products(engine, window=january_1, top=20)
        assert engine.report is not None
        assert engine.report.bad_rows == 0
        assert engine.report.rows_read == imported.rows_read == 40_002
    finally:
        engine.close()
    assert ("p99", 1) in [(row.product_id, row.count) for row in top]


def test_a_repeated_event_id_is_skipped_as_an_import_skips_it(tmp_path: Path) -> None:
    path = tmp_path / "ids.csv"
    path.write_text(
        "event_id,user_id,product_id,event_type,timestamp\n"
        "e1,u1,p1,view,2023-01-01 10:00:00\n"
        "e1,u2,p2,view,2023-01-01 11:00:00\n"  # repeats e1: skipped
        ",u3,p2,view,2023-01-01 12:00:00\n"
        ",u3,p2,view,2023-01-01 12:00:00\n"  # no id: an event of its own
    )
    _table, imported = read_log(path)
    engine = LogEngine.open(str(path))
    try:
        top = top_products(engine, window=TimeWindow())
        assert engine.report is not None
        assert engine.report.skipped == imported.skipped == {"event_id repeated in the file": 1}
    finally:
        engine.close()
    assert [(row.product_id, row.count) for row in top] == [("p2", 2), ("p1", 1)]


def test_the_checks_and_the_store_agree_on_the_analytics_shape() -> None:
    assert CHECKED_COLUMNS == ANALYTICS_COLUMNS


def analyze(*args: str) -> tuple[int, str, str]:
    """Exit code, standard output, and standard error with rich's line wrapping undone."""
    result = CliRunner().invoke(app, ["analyze", *args])
    return result.exit_code, result.stdout, " ".join(result.stderr.split())


def test_a_missing_column_is_a_clear_error_naming_the_columns_found(tmp_path: Path) -> None:
    path = tmp_path / "log.csv"
    path.write_text("uid,product_id,event_type,timestamp\nu1,p1,view,2023-01-01 10:00:00\n")
    code, stdout, stderr = analyze("top-products", str(path), "--format", "json")
    assert code == 1
    assert stdout == ""
    assert "the log has no user_id column" in stderr
    assert "columns found: uid, product_id, event_type, timestamp" in stderr
    code, stdout, _ = analyze("top-products", str(path), "--map", "uid=user_id", "--format", "json")
    assert (code, orjson.loads(stdout)) == (0, [{"product_id": "p1", "count": 1}])


def test_json_output_is_alone_on_stdout_even_with_progress_and_bad_rows(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(analytics_cli, "LARGE_LOG_BYTES", 0)  # every log shows progress
    path = tmp_path / "bad.csv"
    path.write_text(BAD_LOG)
    for command in (["top-products"], ["funnel", "--steps", "view,cart"], ["retention"]):
        code, stdout, stderr = analyze(*command, str(path), "--format", "json")
        assert code == 0, stderr
        orjson.loads(stdout)  # nothing else on standard output
        assert "reading bad.csv" in stderr
        assert "line 3: missing user_id" in stderr


def test_progress_is_not_shown_for_a_small_log_off_a_terminal(tmp_path: Path) -> None:
    path = tmp_path / "log.csv"
    path.write_text("user_id,product_id,event_type,timestamp\nu1,p1,view,2023-01-01 10:00:00\n")
    code, stdout, stderr = analyze("top-products", str(path), "--format", "json")
    assert (code, stderr) == (0, "")  # nothing on standard error at all
    assert orjson.loads(stdout) == [{"product_id": "p1", "count": 1}]


def test_strict_stops_at_the_first_bad_row(tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    path.write_text(BAD_LOG)
    code, stdout, stderr = analyze("engagement", str(path), "--strict", "--format", "json")
    assert (code, stdout) == (1, "")
    assert "line 3: missing user_id" in stderr


def test_a_folder_without_logs_and_a_glob_matching_nothing_are_told(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    code, _, stderr = analyze("top-products", str(tmp_path / "empty"))
    assert code == 1
    assert "no CSV, JSONL or Parquet log in" in stderr
    code, _, stderr = analyze("top-products", str(tmp_path / "nothing-*.csv"))
    assert code == 1
    assert "no such log" in stderr or "no CSV, JSONL or Parquet log" in stderr


def test_duckdb_never_prints_its_own_progress_bar_on_standard_output(tmp_path: Path) -> None:
    """DuckDB draws a bar on stdout for a query over 2 s (a big log on a busy
    machine): it would break ``--format json``; the rich bar on stderr replaces it."""
    path = tmp_path / "log.csv"
    path.write_text("user_id,product_id,event_type,timestamp\nu1,p1,view,2023-01-01 10:00:00\n")
    engine = LogEngine.open(str(path))
    try:
        setting = engine.connection.execute(
            "SELECT current_setting('enable_progress_bar_print')"
        ).fetchall()
    finally:
        engine.close()
    assert setting == [(False,)]

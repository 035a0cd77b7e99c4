"""Logs into the store: formats, column mapping, timestamps, amounts, bad rows."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import duckdb
import orjson
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from liveshop.core.errors import InvalidInput
from liveshop.events.importer import AmountUnit, BadRow, import_log, parse_mapping, read_log
from liveshop.events.store import connect_store

NEW_YEAR_US = 1_672_531_200_000_000  # 2023-01-01T00:00:00Z


def write(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


def test_csv_with_mapping_reads_every_timestamp_form_as_utc(tmp_path: Path) -> None:
    log = write(
        tmp_path / "log.csv",
        "uid,item,action,when,amount\n"
        "a,007,View,2023-01-01T08:00:00+08:00,\n"
        "b,P1,purchase,1672531200,19.99\n"
        "c,P1,view,1672531200500,\n"
        "d,P2,view,2023-01-01 00:00:01,\n",
    )

    table, report = read_log(
        log,
        mapping=parse_mapping(
            ["uid=user_id", "item=product_id", "action=event_type", "when=timestamp"]
        ),
    )

    rows = sorted(table.to_pylist(), key=lambda row: row["user_id"])
    assert [(r["user_id"], r["product_id"], r["event_type"], r["ts_us"]) for r in rows] == [
        ("a", "007", "view", NEW_YEAR_US),
        ("b", "P1", "purchase", NEW_YEAR_US),
        ("c", "P1", "view", NEW_YEAR_US + 500_000),
        ("d", "P2", "view", NEW_YEAR_US + 1_000_000),
    ]
    assert rows[1]["amount"] == 1999
    assert (report.rows_read, report.rows_loaded, report.rejected, report.skipped) == (4, 4, {}, {})


def test_bad_rows_are_counted_with_their_lines_and_good_rows_kept(tmp_path: Path) -> None:
    log = write(
        tmp_path / "log.csv",
        "user_id,product_id,event_type,timestamp,amount\n"
        "u1,P1,view,2023-01-01T00:00:00Z,\n"  # line 2
        "u2,P1,view,yesterday,\n"  # 3: bad timestamp
        ",P1,view,2023-01-01T00:00:00Z,\n"  # 4: no user
        "u3,P1,view\n"  # 5: too few fields
        "u4,P1,purchase,2023-01-01T00:00:00Z,ten\n"  # 6: bad amount
        "u5,P1,view,2023-01-01T00:00:00Z,\n"  # 7
        "u1,P1,view,2023-01-01T00:00:00Z,\n",  # 8: like line 2, and kept: no id says it is not
    )

    table, report = read_log(log)

    assert sorted(table.column("user_id").to_pylist()) == ["u1", "u1", "u5"]
    assert (report.rows_read, report.rows_loaded, report.skipped) == (7, 3, {})
    assert report.rejected == {
        "unreadable timestamp": 1,
        "missing user_id": 1,
        "expected 5 fields, got 3": 1,
        "unreadable amount": 1,
    }
    assert report.first_bad == [
        BadRow(3, "unreadable timestamp"),
        BadRow(4, "missing user_id"),
        BadRow(5, "expected 5 fields, got 3"),
        BadRow(6, "unreadable amount"),
    ]


def test_strict_stops_at_the_first_bad_row(tmp_path: Path) -> None:
    log = write(tmp_path / "log.csv", "user_id,product_id,event_type,timestamp\nu1,P1,view,never\n")

    with pytest.raises(InvalidInput, match="line 2: unreadable timestamp"):
        read_log(log, strict=True)


def test_a_missing_required_column_names_what_was_found(tmp_path: Path) -> None:
    log = write(tmp_path / "log.csv", "user,product_id,event_type,timestamp\nu1,P1,view,1\n")

    with pytest.raises(InvalidInput, match="no user_id column; columns found: user"):
        read_log(log)


def test_jsonl_reports_lines_that_are_not_objects(tmp_path: Path) -> None:
    lines = [
        {"user_id": "u1", "product_id": 12, "event_type": "view", "timestamp": 1672531200},
        "not json",
        {
            "user_id": "u2",
            "product_id": "A-1",
            "event_type": "cart",
            "timestamp": "2023-01-01T00:00:00Z",
        },
    ]
    text = "\n".join(
        line if isinstance(line, str) else orjson.dumps(line).decode() for line in lines
    )
    log = write(tmp_path / "log.jsonl", text + "\n")

    table, report = read_log(log)

    assert sorted(table.column("product_id").to_pylist()) == ["12", "A-1"]
    assert report.first_bad == [BadRow(2, "not a JSON object")]
    assert (report.rows_read, report.rows_loaded, report.rejected) == (
        3,
        2,
        {"not a JSON object": 1},
    )


def test_parquet_with_typed_timestamps_and_minor_units(tmp_path: Path) -> None:
    log = tmp_path / "log.parquet"
    pq.write_table(
        pa.table(
            {
                "user_id": ["u1", "u2"],
                "product_id": ["P1", "P2"],
                "event_type": ["purchase", "view"],
                "timestamp": pa.array(
                    [datetime(2023, 1, 1, tzinfo=UTC), datetime(2023, 1, 2, tzinfo=UTC)],
                    pa.timestamp("us", tz="UTC"),
                ),
                "amount": [1999, None],
            }
        ),
        log,
    )

    table, _report = read_log(log, amount_unit=AmountUnit.MINOR)

    rows = sorted(table.to_pylist(), key=lambda row: row["user_id"])
    assert [(r["ts_us"], r["amount"]) for r in rows] == [
        (NEW_YEAR_US, 1999),
        (NEW_YEAR_US + 86_400_000_000, None),
    ]


def stored_rows(store: Path) -> list[tuple[object, ...]]:
    connection = connect_store(store)
    try:
        return connection.execute(
            "SELECT user_id, event_type, epoch_us(ts), amount FROM imported_events "
            "ORDER BY user_id, event_type, ts, amount"
        ).fetchall()
    finally:
        connection.close()


def test_parquet_bad_rows_are_told_by_row_number_and_strict_stores_nothing(
    tmp_path: Path,
) -> None:
    log = tmp_path / "log.parquet"
    pq.write_table(
        pa.table(
            {
                "uid": ["u1", None, "u3", "u1"],  # rows 1 and 4 alike: both kept
                "event_type": ["view", "view", "purchase", "view"],
                "timestamp": [1672531200, 1672531200, 1672531200, 1672531200],
                "amount": ["", "", "lots", ""],
            }
        ),
        log,
    )
    store = tmp_path / "events.duckdb"

    with pytest.raises(InvalidInput, match="line 2: missing user_id"):
        import_log(store, log, mapping={"uid": "user_id"}, strict=True)
    assert stored_rows(store) == []
    # The failed strict import recorded no file: the same file imports now.
    report = import_log(store, log, mapping={"uid": "user_id"})

    assert (report.rows_read, report.rows_loaded, report.skipped) == (4, 2, {})
    assert report.rejected == {"missing user_id": 1, "unreadable amount": 1}
    assert report.first_bad == [BadRow(2, "missing user_id"), BadRow(3, "unreadable amount")]
    assert stored_rows(store) == [("u1", "view", NEW_YEAR_US, None)] * 2


def test_a_store_made_before_ids_were_stored_uncompressed_keeps_importing(
    tmp_path: Path,
) -> None:
    """``imported_events`` as the first stores created it: same columns, default compression."""
    store = tmp_path / "events.duckdb"
    connection = duckdb.connect(str(store))
    connection.execute(
        "CREATE TABLE imported_events (event_id VARCHAR, event_type VARCHAR NOT NULL, "
        "user_id VARCHAR NOT NULL, ts TIMESTAMPTZ NOT NULL, product_id VARCHAR, room_id VARCHAR, "
        "session_id VARCHAR, channel VARCHAR, amount BIGINT, like_count BIGINT, "
        "watch_seconds DOUBLE, category VARCHAR, brand VARCHAR, coupon BOOLEAN, flash_sale BOOLEAN)"
    )
    connection.close()
    log = write(tmp_path / "log.csv", "user_id,event_type,timestamp\nu1,view,1672531200\n")

    first, again = import_log(store, log), import_log(store, log)

    assert (first.rows_loaded, again.rows_loaded, again.skipped_rows) == (1, 0, 1)
    assert stored_rows(store) == [("u1", "view", NEW_YEAR_US, None)]


def test_progress_counts_every_row_read_from_csv_and_parquet(tmp_path: Path) -> None:
    csv_log = write(
        tmp_path / "log.csv", "user_id,event_type,timestamp\nu1,view,1672531200\nu2,view,never\n"
    )
    parquet_log = tmp_path / "log.parquet"
    pq.write_table(
        pa.table({"user_id": ["u1"] * 3, "event_type": ["view"] * 3, "timestamp": [1, 2, 3]}),
        parquet_log,
    )
    told: list[int] = []

    import_log(tmp_path / "events.duckdb", csv_log, progress=told.append)
    import_log(tmp_path / "events.duckdb", parquet_log, progress=told.append)

    assert told == [2, 3]

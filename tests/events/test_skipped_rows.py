"""What an import may leave out, and says why: rows whose event id is stored already
(or repeats an earlier line's), and files imported before (by SHA-256). Rows
without ids are all kept, however alike, within a file and across files."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from liveshop.events.importer import LoadReport, import_log, read_log
from liveshop.events.store import append_events, connect_store, read_events

NEW_YEAR_US = 1_672_531_200_000_000  # 2023-01-01T00:00:00Z
HEADER = "event_id,user_id,product_id,event_type,timestamp,amount\n"


def write(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


def stored(store: Path) -> list[tuple[object, ...]]:
    connection = connect_store(store)
    try:
        return connection.execute(
            "SELECT event_id, user_id, event_type, epoch_us(ts), amount FROM imported_events "
            "ORDER BY event_id NULLS LAST, user_id, event_type, ts, amount"
        ).fetchall()
    finally:
        connection.close()


def imported_files(store: Path) -> list[tuple[object, ...]]:
    connection = connect_store(store)
    try:
        return connection.execute(
            "SELECT sha256, file_name, rows_read, rows_loaded, rows_skipped, rows_rejected "
            "FROM imported_files ORDER BY imported_at"
        ).fetchall()
    finally:
        connection.close()


def accounted(report: LoadReport) -> bool:
    return report.rows_read == report.rows_loaded + report.skipped_rows + report.bad_rows


def test_rows_without_ids_are_all_kept_however_alike(tmp_path: Path) -> None:
    log = write(
        tmp_path / "log.csv",
        HEADER + ",u1,P1,view,2023-01-01T00:00:00Z,\n"
        ", u1 ,P1,VIEW,1672531200,\n"  # the same once cleaned: spaces, case, the time's form
        ",u1,P1,purchase,1672531200,1.00\n"
        ",u1,P1,purchase,1672531200,1.00\n"  # a second purchase of the same amount that second
        ",u1,P1,purchase,1672531200000,1.00\n",  # and a third, in milliseconds
    )

    report = import_log(tmp_path / "events.duckdb", log)

    assert (report.rows_read, report.rows_loaded, report.skipped, report.rejected) == (5, 5, {}, {})
    assert stored(tmp_path / "events.duckdb") == [
        (None, "u1", "purchase", NEW_YEAR_US, 100),
        (None, "u1", "purchase", NEW_YEAR_US, 100),
        (None, "u1", "purchase", NEW_YEAR_US, 100),
        (None, "u1", "view", NEW_YEAR_US, None),
        (None, "u1", "view", NEW_YEAR_US, None),
    ]


def test_the_same_file_imported_again_adds_nothing_and_says_why(tmp_path: Path) -> None:
    store = tmp_path / "events.duckdb"
    text = HEADER + ",u1,P1,purchase,1672531200,9.90\n,u1,P1,purchase,1672531200,9.90\n"
    log = write(tmp_path / "monday.csv", text)
    sha256 = hashlib.sha256(text.encode()).hexdigest()

    first = import_log(store, log)
    again = import_log(store, log)
    renamed = import_log(store, write(tmp_path / "copy-of-monday.csv", text))

    assert (first.rows_loaded, first.skipped, first.sha256) == (2, {}, sha256)
    for report in (again, renamed):
        assert (report.rows_read, report.rows_loaded, report.sha256) == (2, 0, sha256)
        [(reason, rows)] = report.skipped.items()
        assert rows == 2
        assert reason.startswith(f"file already imported (sha256 {sha256[:12]}…, as monday.csv on ")
        assert accounted(report)
    assert stored(store) == [(None, "u1", "purchase", NEW_YEAR_US, 990)] * 2
    assert imported_files(store) == [(sha256, "monday.csv", 2, 2, 0, 0)]


def test_a_second_file_with_overlapping_event_ids_skips_exactly_those(tmp_path: Path) -> None:
    store = tmp_path / "events.duckdb"
    monday = "e1,u1,P1,view,1672531200,\ne2,u2,P1,purchase,1672531260,5.00\n"
    import_log(store, write(tmp_path / "monday.csv", HEADER + monday))
    new = (
        "e3,u3,P2,view,1672617600,\n"
        ",u3,P2,view,1672617600,\n"  # no id: kept, though like e3
        ",u1,P1,view,1672531200,\n"  # no id: kept, though like e1
        "e4,u4,P2,purchase,1672617660,5.00\n"
    )
    both = write(tmp_path / "both.csv", HEADER + monday + new)

    report = import_log(store, both)

    assert (report.rows_read, report.rows_loaded) == (6, 4)
    assert report.skipped == {"event_id already stored": 2}
    assert accounted(report)
    assert stored(store) == [
        ("e1", "u1", "view", NEW_YEAR_US, None),
        ("e2", "u2", "purchase", NEW_YEAR_US + 60_000_000, 500),
        ("e3", "u3", "view", NEW_YEAR_US + 86_400_000_000, None),
        ("e4", "u4", "purchase", NEW_YEAR_US + 86_460_000_000, 500),
        (None, "u1", "view", NEW_YEAR_US, None),
        (None, "u3", "view", NEW_YEAR_US + 86_400_000_000, None),
    ]
    assert [row[2:4] for row in imported_files(store)] == [(2, 2), (6, 4)]


def test_a_stored_id_counts_even_when_the_row_differs(tmp_path: Path) -> None:
    """The id is the event: a row naming a stored id is that event again, whatever else
    it says (a corrected row needs an id of its own)."""
    store = tmp_path / "events.duckdb"
    import_log(store, write(tmp_path / "a.csv", HEADER + "e1,u1,P1,purchase,1672531200,5.00\n"))

    report = import_log(
        store, write(tmp_path / "b.csv", HEADER + "e1,u1,P1,purchase,1672531200,6.00\n")
    )

    assert (report.rows_loaded, report.skipped) == (0, {"event_id already stored": 1})
    assert stored(store) == [("e1", "u1", "purchase", NEW_YEAR_US, 500)]


def test_an_id_repeated_within_a_file_is_stored_once(tmp_path: Path) -> None:
    log = write(
        tmp_path / "log.csv",
        HEADER + "e1,u1,P1,view,1672531200,\n"
        "e2,u2,P1,view,1672531200,\n"
        "e1,u1,P1,view,1672531200,\n"  # a sender's retry
        "e1,u1,P1,view,1672531205,\n",
    )

    report = import_log(tmp_path / "events.duckdb", log)
    table, read_report = read_log(log)

    for told in (report, read_report):
        assert (told.rows_read, told.rows_loaded) == (4, 2)
        assert told.skipped == {"event_id repeated in the file": 2}
    assert sorted(table.column("event_id").to_pylist()) == ["e1", "e2"]
    assert table.column("ts_us").to_pylist()[table.column("event_id").to_pylist().index("e1")] == (
        NEW_YEAR_US
    )  # the first line's row is the one kept
    assert [row[:2] for row in stored(tmp_path / "events.duckdb")] == [("e1", "u1"), ("e2", "u2")]


def test_ids_of_the_platforms_own_events_count_as_stored(tmp_path: Path) -> None:
    """An export of the store imported back adds nothing it already holds."""
    store = tmp_path / "events.duckdb"
    append_events(
        store,
        [
            {
                "event_id": "platform-1",
                "event_type": "view",
                "user_id": "u_x",
                "room_id": 5,
                "product_id": 7,
                "ts": datetime(2023, 1, 1, tzinfo=UTC),
                "properties": {},
            }
        ],
    )
    log = tmp_path / "export.parquet"
    pq.write_table(
        pa.table(
            {
                "event_id": ["platform-1", "log-1"],
                "user_id": ["u_x", "u_y"],
                "event_type": ["view", "view"],
                "timestamp": [1672531200, 1672531200],
            }
        ),
        log,
    )

    report = import_log(store, log)

    assert (report.rows_loaded, report.skipped) == (1, {"event_id already stored": 1})
    assert [row[:2] for row in stored(store)] == [("log-1", "u_y")]
    assert [event["event_id"] for event in read_events(store)] == ["platform-1"]


def test_an_import_that_loses_the_race_for_its_file_stores_nothing(tmp_path: Path) -> None:
    """Two imports of one file at once: the one that commits second finds the file
    recorded (the hash is the record's primary key) and rolls its rows back."""
    store = tmp_path / "events.duckdb"
    log = write(tmp_path / "log.csv", HEADER + ",u1,P1,view,1672531200,\n")
    rival: list[LoadReport] = []

    def import_meanwhile(_rows: int) -> None:  # runs while ours is reading the file
        rival.append(import_log(store, log))

    ours = import_log(store, log, progress=import_meanwhile)

    assert (rival[0].rows_loaded, rival[0].skipped) == (1, {})
    assert (ours.rows_read, ours.rows_loaded) == (1, 0)
    assert list(ours.skipped.values()) == [1]
    assert next(iter(ours.skipped)).startswith("file already imported (sha256 ")
    assert stored(store) == [(None, "u1", "view", NEW_YEAR_US, None)]
    assert len(imported_files(store)) == 1

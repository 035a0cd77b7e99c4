"""Duplicates are found by fingerprint but decided by comparing whole rows: rows whose
fingerprints collide are staged here by hand, since real 64-bit collisions are not
at hand."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest

from liveshop.events.duplicates import FINGERPRINT, mark_duplicates
from liveshop.events.store import ANALYTICS_COLUMNS, connect_store

NEW_YEAR_US = 1_672_531_200_000_000
COLLIDING = 42  # one made-up fingerprint shared by rows that differ
GIVEN = ("user_id", "event_type", "ts_us", "amount")
UNSET = ", ".join(
    f"CAST(NULL AS {kind}) AS {name}"
    for name, kind in ANALYTICS_COLUMNS.items()
    if name not in GIVEN
)


@pytest.fixture
def connection(tmp_path: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    opened = connect_store(tmp_path / "events.duckdb")
    yield opened
    opened.close()


def stage(connection: duckdb.DuckDBPyConnection, rows: list[tuple[int, str, int, int]]) -> None:
    """(line, user, amount, fingerprint) rows, in the staged shape the importer makes."""
    values = ", ".join(
        f"({line}, '{user}', {amount}, {fingerprint})" for line, user, amount, fingerprint in rows
    )
    connection.execute(
        "CREATE TEMP TABLE given AS SELECT * FROM (VALUES "
        f"{values}) given(__line, user_id, amount, row_hash)"
    )
    connection.execute(
        "CREATE TEMP VIEW staged_events AS SELECT __line, user_id, 'view' AS event_type, "
        f"CAST({NEW_YEAR_US} AS BIGINT) AS ts_us, CAST(amount AS BIGINT) AS amount, {UNSET}, "
        "CAST(NULL AS VARCHAR) AS problem FROM given"
    )
    connection.execute(
        "CREATE TEMP TABLE staged_lines AS SELECT __line, problem, ts_us, "
        "CAST(row_hash AS UBIGINT) AS row_hash FROM staged_events JOIN given USING (__line)"
    )


def marked(connection: duckdb.DuckDBPyConnection) -> list[int]:
    rows = connection.execute("SELECT DISTINCT __line FROM duplicate_lines ORDER BY 1").fetchall()
    return [int(row[0]) for row in rows]


def test_rows_sharing_a_fingerprint_count_as_copies_only_when_equal(
    connection: duckdb.DuckDBPyConnection,
) -> None:
    stage(
        connection,
        [(2, "u1", 100, COLLIDING), (3, "u2", 100, COLLIDING), (4, "u1", 100, COLLIDING)],
    )

    assert mark_duplicates(connection, against_store=False) == 1
    assert marked(connection) == [4]


def test_a_stored_event_with_the_same_fingerprint_but_other_values_is_no_copy(
    connection: duckdb.DuckDBPyConnection,
) -> None:
    connection.execute(
        "INSERT INTO imported_events (event_type, user_id, ts, amount) VALUES "
        f"('view', 'u1', make_timestamptz({NEW_YEAR_US}), 100)"
    )
    stored_fingerprint = connection.execute(
        f"SELECT {FINGERPRINT} FROM (SELECT 'u1' AS user_id, 'view' AS event_type, "
        f"CAST({NEW_YEAR_US} AS BIGINT) AS ts_us, CAST(100 AS BIGINT) AS amount, {UNSET})"
    ).fetchall()[0][0]
    stage(connection, [(2, "u1", 100, stored_fingerprint), (3, "u1", 999, stored_fingerprint)])

    assert mark_duplicates(connection, against_store=True) == 1
    assert marked(connection) == [2]

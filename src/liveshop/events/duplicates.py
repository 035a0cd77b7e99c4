"""Exact duplicates in a staged log, found by fingerprint before they are compared.

A row is a duplicate when every column of the analytics shape equals those of an
earlier row of the log or of an event already imported. Comparing ten million
rows whole (``EXCEPT`` over fifteen columns, after copying them to a temporary
table) cost about a third of an import's CPU; grouping them by one 64-bit hash
of those columns costs a fraction of that. Equal rows always have equal hashes,
so only the rows whose hash repeats in the log or is found in the store can be
duplicates, and only those are then compared column by column: a hash collision
costs a comparison, never an event.
"""

from __future__ import annotations

import duckdb

from liveshop.events.store import ANALYTICS_COLUMNS, IMPORTED_AS_FLAT

# Cast to the shape's own types, so that the log's rows and stored ones hash alike.
FINGERPRINT = (
    "hash(" + ", ".join(f"CAST({name} AS {kind})" for name, kind in ANALYTICS_COLUMNS.items()) + ")"
)
_COLUMNS = ", ".join(ANALYTICS_COLUMNS)
_SAME_ROW = " AND ".join(f"e.{name} IS NOT DISTINCT FROM i.{name}" for name in ANALYTICS_COLUMNS)
_STAGED_ROWS = f"""
SELECT l.__line, l.row_hash, {", ".join(f"e.{name}" for name in ANALYTICS_COLUMNS)}
FROM staged_lines l JOIN staged_events e ON e.__line = l.__line"""


def mark_duplicates(connection: duckdb.DuckDBPyConnection, *, against_store: bool) -> int:
    """Fill temp table ``duplicate_lines`` with the lines of good staged rows that repeat
    an earlier line or, with ``against_store``, an event in ``imported_events``; return
    how many there are.

    Needs ``staged_events`` (the checked rows, with ``__line``) and ``staged_lines``
    (each row's ``__line``, ``ts_us`` and ``row_hash``, the hash NULL for bad rows).
    """
    connection.execute(f"CREATE OR REPLACE TEMP TABLE repeated_hashes AS {_REPEATED}")
    connection.execute("CREATE OR REPLACE TEMP TABLE duplicate_lines (__line BIGINT)")
    if _count(connection, "repeated_hashes"):
        connection.execute(f"INSERT INTO duplicate_lines {_LATER_COPIES}")
    if against_store and (stored := _stored_rows_sql(connection)):
        connection.execute(
            f"CREATE OR REPLACE TEMP TABLE stored_hashes AS SELECT DISTINCT row_hash FROM "
            f"({stored}) i WHERE row_hash IN "
            "(SELECT row_hash FROM staged_lines WHERE row_hash IS NOT NULL)"
        )
        if _count(connection, "stored_hashes"):
            connection.execute(f"INSERT INTO duplicate_lines {_already_stored_sql(stored)}")
        connection.execute("DROP TABLE stored_hashes")
    connection.execute("DROP TABLE repeated_hashes")
    return _scalar(connection, "SELECT count(DISTINCT __line) FROM duplicate_lines")


_REPEATED = """
SELECT row_hash FROM staged_lines WHERE row_hash IS NOT NULL
GROUP BY row_hash HAVING count(*) > 1"""
# Every copy of a row after its first line in the log.
_LATER_COPIES = f"""
SELECT __line FROM (
    SELECT __line, min(__line) OVER (PARTITION BY {_COLUMNS}) AS first_line
    FROM ({_STAGED_ROWS}) e
    WHERE row_hash IN (SELECT row_hash FROM repeated_hashes)) copies
WHERE __line > first_line"""


def _stored_rows_sql(connection: duckdb.DuckDBPyConnection) -> str | None:
    """Stored events in the time span of the log's good rows, with their hash; None when
    the log has no good row. An equal row has an equal time, and a store filled day by
    day keeps other days in row groups that the time condition skips unread."""
    span = connection.execute(
        "SELECT min(ts_us), max(ts_us) FROM staged_lines WHERE row_hash IS NOT NULL"
    ).fetchall()
    first, last = span[0]
    if first is None:
        return None
    return (
        f"SELECT *, {FINGERPRINT} AS row_hash FROM (SELECT {IMPORTED_AS_FLAT} FROM "
        f"imported_events WHERE ts BETWEEN make_timestamptz({int(first)}) "
        f"AND make_timestamptz({int(last)})) stored"
    )


def _already_stored_sql(stored: str) -> str:
    """Every staged row equal to a stored one, compared whole among equal hashes."""
    return f"""
SELECT e.__line FROM ({_STAGED_ROWS}) e
WHERE e.row_hash IN (SELECT row_hash FROM stored_hashes) AND EXISTS (
    SELECT 1 FROM ({stored}) i WHERE i.row_hash = e.row_hash AND {_SAME_ROW})"""


def _count(connection: duckdb.DuckDBPyConnection, table: str) -> int:
    return _scalar(connection, f"SELECT count(*) FROM {table}")


def _scalar(connection: duckdb.DuckDBPyConnection, sql: str) -> int:
    row = connection.execute(sql).fetchone()
    return int(row[0]) if row else 0

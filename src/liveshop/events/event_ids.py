"""Rows of a staged log that are events already seen, known by their event id.

An event id is the only thing that makes two rows the same event. A row whose
``event_id`` is already in the store (imported, or one of the platform's own
events) is skipped, and so is a row repeating the id of an earlier line of the
same log (a sender that retried). Rows without an id are never skipped here,
however alike: real logs repeat rows legitimately (in the CDNOW purchase log 255
rows are a customer buying the same amount again on the same day). A whole file
imported again is caught earlier, by its hash (``imported_files``).

The checks look at the id alone: a semi-join of the log's ids with the stored
ones, and a count per id within the log, never a fingerprint of whole rows.
"""

from __future__ import annotations

import duckdb

ID_ALREADY_STORED = "event_id already stored"
ID_REPEATED_IN_FILE = "event_id repeated in the file"

_STORED_IDS = """
SELECT event_id FROM imported_events WHERE event_id IS NOT NULL
UNION ALL SELECT event_id FROM behaviour_events"""
# staged_lines holds no id for a bad row
_GOOD_IDS = "SELECT __line, event_id FROM staged_lines WHERE event_id IS NOT NULL"


def mark_known_event_ids(
    connection: duckdb.DuckDBPyConnection, *, against_store: bool
) -> dict[str, int]:
    """Fill temp table ``skipped_lines (__line, reason)`` with the good staged rows whose
    id is stored already (with ``against_store``) or repeats an earlier line's; return
    how many rows each reason skips.

    Needs temp table ``staged_lines`` (each row's ``__line``, ``problem`` and
    ``event_id``, the id NULL for bad rows). Call ``against_store`` inside the
    transaction that stores the rows, so that the ids are checked in its snapshot.
    """
    connection.execute("CREATE OR REPLACE TEMP TABLE skipped_lines (__line BIGINT, reason VARCHAR)")
    if not _scalar(connection, f"SELECT count(*) FROM ({_GOOD_IDS} LIMIT 1) any_id"):
        return {}
    if against_store:
        connection.execute(
            f"INSERT INTO skipped_lines SELECT __line, '{ID_ALREADY_STORED}' FROM ({_GOOD_IDS}) "
            f"staged WHERE event_id IN ({_STORED_IDS})"
        )
    connection.execute(
        "CREATE OR REPLACE TEMP TABLE repeated_ids AS SELECT event_id FROM "
        f"({_GOOD_IDS}) staged GROUP BY event_id HAVING count(*) > 1"
    )
    if _scalar(connection, "SELECT count(*) FROM repeated_ids"):
        connection.execute(f"INSERT INTO skipped_lines {_LATER_REPEATS}")
    connection.execute("DROP TABLE repeated_ids")
    counted = connection.execute(
        "SELECT reason, count(*) FROM skipped_lines GROUP BY reason ORDER BY reason"
    ).fetchall()
    return {str(reason): int(rows) for reason, rows in counted}


# Every line after the first of an id the store does not hold already.
_LATER_REPEATS = f"""
SELECT __line, '{ID_REPEATED_IN_FILE}' FROM (
    SELECT __line, row_number() OVER (PARTITION BY event_id ORDER BY __line) AS place
    FROM ({_GOOD_IDS}) staged
    WHERE event_id IN (SELECT event_id FROM repeated_ids)
      AND __line NOT IN (SELECT __line FROM skipped_lines)) repeats
WHERE place > 1"""


def _scalar(connection: duckdb.DuckDBPyConnection, sql: str) -> int:
    row = connection.execute(sql).fetchone()
    return int(row[0]) if row else 0

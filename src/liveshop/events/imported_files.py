"""Files imported into the event store, known by the SHA-256 of their bytes.

A file imported again (under any name) adds nothing: its rows were stored the
first time, and rows without event ids could not be told from new ones. The
hash is checked before the file is read, and the file's record is written in the
transaction that stores its rows; the primary key on the hash decides when two
imports of one file race.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import duckdb

from liveshop.events.log_files import AmountUnit, LoadReport


@dataclass(frozen=True)
class ImportedFile:
    sha256: str
    file_name: str
    rows_read: int
    rows_loaded: int
    imported_at: datetime

    def skip_reason(self) -> str:
        return (
            f"file already imported (sha256 {self.sha256[:12]}…, as {self.file_name} "
            f"on {self.imported_at:%Y-%m-%d %H:%M} UTC)"
        )


def file_sha256(path: Path) -> str:
    with path.open("rb") as stream:
        return hashlib.file_digest(stream, "sha256").hexdigest()


def find_imported_file(
    connection: duckdb.DuckDBPyConnection, *, sha256: str
) -> ImportedFile | None:
    row = connection.execute(
        "SELECT sha256, file_name, rows_read, rows_loaded, imported_at "
        "FROM imported_files WHERE sha256 = ?",
        [sha256],
    ).fetchone()
    if row is None:
        return None
    return ImportedFile(
        sha256=str(row[0]),
        file_name=str(row[1]),
        rows_read=int(row[2]),
        rows_loaded=int(row[3]),
        imported_at=row[4],
    )


def record_imported_file(
    connection: duckdb.DuckDBPyConnection, *, report: LoadReport, imported_at: datetime
) -> bool:
    """Record the file of ``report`` (its ``sha256`` set); False when it is recorded
    already, and then the caller's transaction must not store its rows."""
    recorded = connection.execute(
        "INSERT INTO imported_files (sha256, file_name, rows_read, rows_loaded, rows_skipped, "
        "rows_rejected, imported_at) VALUES (?, ?, ?, ?, ?, ?, ?) "
        "ON CONFLICT DO NOTHING RETURNING sha256",
        [
            report.sha256,
            report.file_name,
            report.rows_read,
            report.rows_loaded,
            report.skipped_rows,
            report.bad_rows,
            imported_at,
        ],
    ).fetchall()
    return bool(recorded)


def already_imported_report(
    earlier: ImportedFile, *, file_name: str, amount_unit: AmountUnit
) -> LoadReport:
    """Every row of a file imported before, skipped for that reason (the file unread:
    its row count is the first import's)."""
    return LoadReport(
        file_name=file_name,
        sha256=earlier.sha256,
        amount_unit=amount_unit,
        rows_read=earlier.rows_read,
        skipped={earlier.skip_reason(): earlier.rows_read},
    )

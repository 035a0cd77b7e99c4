"""Export the event store as date-partitioned Parquet (``date=YYYY-MM-DD/``), the
layout Spark and other engines read for logs that outgrow one machine."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from liveshop.events.store import ANALYTICS_QUERY, connect_store


@dataclass(frozen=True)
class ExportResult:
    rows: int
    partitions: int
    directory: Path


def export_parquet(store_path: Path, *, directory: Path) -> ExportResult:
    """Write every event in the flat analytics shape; a partition already in
    ``directory`` is replaced, so a re-export never doubles rows."""
    directory.mkdir(parents=True, exist_ok=True)
    connection = connect_store(store_path)
    try:
        day = "strftime(make_timestamp(ts_us), '%Y-%m-%d')"
        dated = f"SELECT *, {day} AS date FROM ({ANALYTICS_QUERY})"
        counted = connection.execute(
            f"SELECT count(*), count(DISTINCT date) FROM ({dated})"
        ).fetchall()
        rows, partitions = (int(value) for value in counted[0])
        if rows:
            target = str(directory).replace("'", "''")
            connection.execute(
                f"COPY ({dated}) TO '{target}' "
                "(FORMAT parquet, PARTITION_BY (date), OVERWRITE_OR_IGNORE true)"
            )
    finally:
        connection.close()
    return ExportResult(rows=rows, partitions=partitions, directory=directory)

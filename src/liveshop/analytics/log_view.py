"""Reports on a log file read where it lies, validated in the same pass.

:class:`LogEngine` is DuckDB over a log (``events.log_scan``: DuckDB's own CSV,
JSON and Parquet readers, in parallel, inside the query). Nothing is loaded
before the report asks:

- a report that is one grouped count (top products) is answered by one scan
  that also counts the bad rows per reason (:meth:`LogEngine.count_by`);
- any other report's first query reads the log once into ``log_rows``, keeping
  only the columns the query names (and each row's problem), and counts the bad
  rows there; its further queries run on that table (a column a later query
  needs and the table lacks is read then, once).

Either way the file is read once, and again only to tell the lines of the first
few bad rows when there are some, or when a CSV timestamp column turned out to
mix formats (then it is read as an import reads it). What became of every row is
:attr:`LogEngine.report` once a query has run.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import duckdb

from liveshop.analytics.engines import DuckDBEngine
from liveshop.core.errors import InvalidInput
from liveshop.events.event_ids import ID_REPEATED_IN_FILE
from liveshop.events.load_report import BAD_ROWS_SHOWN, AmountUnit, BadRow, LoadReport
from liveshop.events.log_scan import (
    REJECTS_TABLE,
    LogFiles,
    LogScan,
    add_rejects,
    file_lines,
    rejected_rows,
    resolve_log_files,
    scan_log,
)
from liveshop.events.row_checks import ANALYTICS_COLUMNS

ROWS_TABLE = "log_rows"
PROGRESS_POLL_SECONDS = 0.1
ScanProgress = Callable[[float], None]


class LogEngine(DuckDBEngine):
    """DuckDB over a log file, a folder or a glob of them (see the module)."""

    def __init__(
        self,
        connection: duckdb.DuckDBPyConnection,
        files: LogFiles,
        *,
        mapping: Mapping[str, str],
        strict: bool = False,
        amount_unit: AmountUnit = AmountUnit.MAJOR,
        progress: ScanProgress | None = None,
    ) -> None:
        super().__init__(connection)
        self.files = files
        self.mapping = mapping
        self.strict = strict
        self.amount_unit = amount_unit
        self.progress = progress
        self.scan = self._scan(exact=False)
        self.report: LoadReport | None = None
        self._loaded: frozenset[str] = frozenset()
        self._repeated = False

    @classmethod
    def open(
        cls,
        log: str | Path,
        *,
        mapping: Mapping[str, str] | None = None,
        strict: bool = False,
        progress: ScanProgress | None = None,
    ) -> LogEngine:
        """Check the log's files and columns (a sample); read nothing else yet."""
        connection = duckdb.connect()
        connection.execute("SET TimeZone = 'UTC'")
        # DuckDB's own bar is printed on standard output, where only the report may go;
        # the rich bar on standard error reads query_progress() instead.
        connection.execute("SET enable_progress_bar_print = false")
        try:
            return cls(
                connection,
                resolve_log_files(log),
                mapping=mapping or {},
                strict=strict,
                progress=progress,
            )
        except Exception:
            connection.close()
            raise

    def _scan(self, *, exact: bool) -> LogScan:
        return scan_log(
            self.connection,
            self.files,
            mapping=self.mapping,
            amount_unit=self.amount_unit,
            exact=exact,
        )

    # -- any report -------------------------------------------------------------

    def rows(self, sql: str) -> list[dict[str, Any]]:
        needed = referenced_columns(sql, self.scan.columns)
        if self.report is None or not needed <= self._loaded:
            self._load(needed | self._loaded)
        return super().rows(sql)

    def events_table(self) -> Any:
        """Every good row, every column, as an Arrow table (for Spark)."""
        self._load(frozenset(self.scan.columns))
        return self.connection.sql("SELECT * FROM events").to_arrow_table()

    def _load(self, columns: frozenset[str]) -> None:
        if self.scan.has_event_ids:
            columns |= {"event_id"}
        kept = [name for name in self.scan.columns if name in columns]
        line = ["__line"] if self.files.kind == "parquet" else []
        select = ", ".join([*kept, "problem", *line])
        self.connection.execute("DROP VIEW IF EXISTS events")
        with _watched(self.connection, self.progress):
            self.connection.execute(
                f"CREATE OR REPLACE TEMP TABLE {ROWS_TABLE} AS SELECT {select} "
                f"FROM ({self.scan.sql})"
            )
        self._loaded = frozenset(kept)
        if self.report is None:
            if self._mixed_timestamps():
                self.scan = self._scan(exact=True)
                self._load(columns)
                return
            counted = self.connection.execute(
                f"SELECT problem, count(*) FROM {ROWS_TABLE} GROUP BY problem"
            ).fetchall()
            self.report = self._report({problem: int(rows) for problem, rows in counted})
        if self.scan.has_event_ids:
            self._mark_repeated_ids()
        where = "problem IS NULL" + (" AND NOT __repeated" if self._repeated else "")
        self.connection.execute(
            f"CREATE OR REPLACE TEMP VIEW events AS SELECT {self._shape(kept)} "
            f"FROM {ROWS_TABLE} WHERE {where}"
        )

    # -- one grouped count, in one scan ----------------------------------------

    def count_by(self, key: str, condition: str) -> list[tuple[str, int]]:
        """(key, rows) of the good rows meeting ``condition`` with a key, in the
        same scan that counts the bad rows. Falls back to :meth:`rows` when the
        log has event ids (rows repeating an earlier id are left out in order)."""
        if self.scan.has_event_ids or self.report is not None:
            sql = (
                f"SELECT {key} AS key, count(*) AS n FROM events "
                f"WHERE {key} IS NOT NULL AND {condition} GROUP BY {key}"
            )
            return [(row["key"], int(row["n"])) for row in self.rows(sql)]
        kept = f"problem IS NULL AND {key} IS NOT NULL AND {condition}"
        with _watched(self.connection, self.progress):
            grouped = self.connection.execute(
                f"SELECT problem, CASE WHEN {kept} THEN {key} END AS key, count(*) AS n "
                f"FROM ({self.scan.sql}) GROUP BY ALL"
            ).fetchall()
        if self._mixed_timestamps():
            self.scan = self._scan(exact=True)
            return self.count_by(key, condition)
        problems: dict[str | None, int] = {}
        counts = []
        for problem, value, rows in grouped:
            problems[problem] = problems.get(problem, 0) + int(rows)
            if problem is None and value is not None:
                counts.append((str(value), int(rows)))
        self.report = self._report(problems)
        return counts

    # -- what became of every row ---------------------------------------------

    def _report(self, problems: Mapping[str | None, int]) -> LoadReport:
        report = LoadReport(file_name=self.files.name, amount_unit=self.amount_unit)
        rejected = rejected_rows(self.connection)
        report.rows_read = sum(problems.values())
        bad = {str(problem): rows for problem, rows in problems.items() if problem is not None}
        if bad:
            report.add_bad(self._first_bad(rejected), bad)
        add_rejects(report, rejected)
        if self.strict and report.first_bad:
            first = report.first_bad[0]
            raise InvalidInput(f"line {first.line}: {first.reason}")
        report.rows_loaded = report.rows_read - report.bad_rows
        return report

    def _mixed_timestamps(self) -> bool:
        """Whether the reader rejected a value of the timestamp column it was told
        to parse in one format (the column mixes formats): then scan exactly."""
        column = self.scan.typed_timestamp
        if column is None:
            return False
        try:
            found = self.connection.execute(
                f"SELECT count(*) FROM {REJECTS_TABLE} "
                "WHERE error_type = 'CAST' AND column_name = ?",
                [column],
            ).fetchall()[0][0]
        except duckdb.CatalogException:
            return False
        if found:
            self.connection.execute(f"DELETE FROM {REJECTS_TABLE}")
        return bool(found)

    def _first_bad(self, rejected: list[BadRow]) -> list[BadRow]:
        """The lines of the first few bad rows. Parquet rows carry their row number;
        CSV and JSON rows are numbered by reading the log again, in order."""
        if self.files.kind == "parquet":
            rows = self.connection.execute(
                f"SELECT __line, problem FROM ({self.scan.sql}) WHERE problem IS NOT NULL "
                f"ORDER BY __line LIMIT {BAD_ROWS_SHOWN}"
            ).fetchall()
            return [BadRow(line=int(line), reason=str(problem)) for line, problem in rows]
        # Read again into a table of its own, so the rejects of this pass are not
        # counted twice: they are taken before it and deleted after.
        numbered = self.connection.execute(
            f"SELECT number, problem FROM (SELECT row_number() OVER () AS number, problem "
            f"FROM ({self.scan.sql})) WHERE problem IS NOT NULL ORDER BY number "
            f"LIMIT {BAD_ROWS_SHOWN}"
        ).fetchall()
        self._forget_later_rejects()
        lines = file_lines(
            [int(number) for number, _ in numbered],
            header=self.files.kind == "csv",
            rejected=[bad.line for bad in rejected],
        )
        return [
            BadRow(line=line, reason=str(problem))
            for line, (_, problem) in zip(lines, numbered, strict=True)
        ]

    def _forget_later_rejects(self) -> None:
        if self.files.kind == "csv":
            self.connection.execute(
                f"DELETE FROM {REJECTS_TABLE} WHERE scan_id <> "
                f"(SELECT min(scan_id) FROM {REJECTS_TABLE})"
            )

    def _mark_repeated_ids(self) -> None:
        """Mark every good row whose event id an earlier good row had (rows without
        an id are all kept) and count them as skipped."""
        order = "__line" if self.files.kind == "parquet" else "__order"
        self.connection.execute(
            f"CREATE OR REPLACE TEMP TABLE {ROWS_TABLE} AS SELECT * EXCLUDE (__order), "
            f"CASE WHEN problem IS NULL AND event_id IS NOT NULL THEN row_number() OVER "
            f"(PARTITION BY problem IS NULL, event_id ORDER BY {order}) > 1 ELSE false END "
            f"AS __repeated FROM (SELECT *, row_number() OVER () AS __order FROM {ROWS_TABLE})"
        )
        repeated = int(
            self.connection.execute(
                f"SELECT count(*) FROM {ROWS_TABLE} WHERE __repeated"
            ).fetchall()[0][0]
        )
        self._repeated = bool(repeated)
        if self.report is not None and repeated and not self.report.skipped:
            self.report.skipped = {ID_REPEATED_IN_FILE: repeated}
            self.report.rows_loaded -= repeated

    @staticmethod
    def _shape(kept: list[str]) -> str:
        return ", ".join(
            name if name in kept else f"CAST(NULL AS {kind}) AS {name}"
            for name, kind in ANALYTICS_COLUMNS.items()
        )


def referenced_columns(sql: str, columns: tuple[str, ...]) -> frozenset[str]:
    """The analytics columns a query's text names (a word match: naming a column
    in a comment only keeps it, which costs memory, never an answer)."""
    words = set(re.findall(r"[a-z_]+", sql.lower()))
    return frozenset(name for name in columns if name in words)


@contextmanager
def _watched(
    connection: duckdb.DuckDBPyConnection, progress: ScanProgress | None
) -> Iterator[None]:
    """Tell ``progress`` the share of the scan done, from a thread, while it runs."""
    if progress is None:
        yield
        return
    done = threading.Event()

    def watch() -> None:
        while not done.wait(PROGRESS_POLL_SECONDS):
            try:
                share = connection.query_progress()
            except duckdb.Error:
                return
            if share >= 0:
                progress(min(share / 100, 1.0))

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    try:
        yield
    finally:
        done.set()
        watcher.join()
    progress(1.0)

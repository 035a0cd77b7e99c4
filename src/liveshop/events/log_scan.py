"""A behaviour log queried where it lies: CSV, JSONL or Parquet (one file, a folder
of them, or a glob), read by DuckDB's own parallel readers inside the query.

:func:`scan_log` builds the SQL of the log's rows in the flat analytics shape,
each with ``problem`` (why it is bad, or NULL) computed by the same checks as an
import (``importer.checked_rows_sql``). Nothing is loaded beforehand: the SQL is
a view over the files, so a report reads the log once, validating in the same
pass. Reading CSV, DuckDB is told the type of the timestamp (and amount) column
it sniffed, so the common case parses natively; a value that does not fit is
recorded by the reader in its rejects table (with its line) and counted as an
unreadable row, as a row with the wrong number of fields is.
"""

from __future__ import annotations

import csv
import glob
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import duckdb

from liveshop.core.errors import InvalidInput
from liveshop.events.load_report import BAD_ROWS_SHOWN, AmountUnit, BadRow, LoadReport
from liveshop.events.row_checks import (
    ANALYTICS_NAMES,
    REQUIRED,
    ColumnKind,
    checked_rows_sql,
    quote,
)

KINDS = {
    ".csv": "csv",
    ".tsv": "csv",
    ".txt": "csv",
    ".jsonl": "json",
    ".ndjson": "json",
    ".json": "json",
    ".parquet": "parquet",
}
REJECTS_TABLE = "log_rejects"
REJECT_SCANS_TABLE = "log_reject_scans"
JSON_LINE_DELIMITER = "\x1f"  # the unit separator: never inside a JSON text (it must be escaped)
# DuckDB's types as the kinds the row checks are written against.
KINDS_OF_TYPES = {
    **dict.fromkeys(
        ("BIGINT", "INTEGER", "SMALLINT", "TINYINT", "UBIGINT", "UINTEGER", "USMALLINT"),
        ColumnKind.NUMBER,
    ),
    **dict.fromkeys(("UTINYINT", "HUGEINT", "DOUBLE", "FLOAT"), ColumnKind.NUMBER),
    "VARCHAR": ColumnKind.TEXT,
    **dict.fromkeys(
        ("TIMESTAMP", "TIMESTAMP_S", "TIMESTAMP_MS", "TIMESTAMP_NS"), ColumnKind.TIMESTAMP
    ),
    "TIMESTAMP WITH TIME ZONE": ColumnKind.TIMESTAMP_TZ,
    "DATE": ColumnKind.DATE,
}
TYPED_TIMESTAMP = ("TIMESTAMP", "TIMESTAMP WITH TIME ZONE", "DATE")
NAIVE_TIMESTAMP_FORMATS = (
    (re.compile(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}"), "%Y-%m-%d %H:%M:%S"),
    (re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}"), "%Y-%m-%dT%H:%M:%S"),
)
NUMBER_TYPES = ("BIGINT", "INTEGER", "SMALLINT", "TINYINT", "DOUBLE", "FLOAT")


@dataclass(frozen=True)
class LogFiles:
    """The files of a log (sorted) and their one format."""

    paths: tuple[Path, ...]
    kind: str

    @property
    def name(self) -> str:
        return self.paths[0].name if len(self.paths) == 1 else f"{len(self.paths)} files"

    @property
    def size(self) -> int:
        return sum(path.stat().st_size for path in self.paths)

    def sql_list(self) -> str:
        return "[" + ", ".join(_string(str(path)) for path in self.paths) + "]"


@dataclass(frozen=True)
class LogScan:
    """``sql``: every row of the log, in the analytics shape plus ``problem``.
    ``columns``: the analytics columns the log has (the others are NULL)."""

    files: LogFiles
    sql: str
    columns: tuple[str, ...]
    has_event_ids: bool
    typed_timestamp: str | None = None  # the CSV column parsed in one format, if any


def resolve_log_files(spec: str | Path) -> LogFiles:
    """A file, a folder (its log files), or a glob (``logs/2023-*.csv``); one format."""
    text = str(spec)
    path = Path(text)
    if path.is_dir():
        paths = sorted(p for p in path.iterdir() if p.is_file() and p.suffix.lower() in KINDS)
    elif path.is_file():
        paths = [path]
    elif glob.has_magic(text):
        paths = sorted(Path(p) for p in glob.glob(text, recursive=True) if Path(p).is_file())
    else:
        raise InvalidInput(f"no such log: {text}")
    if not paths:
        raise InvalidInput(f"no CSV, JSONL or Parquet log in {text}")
    kinds = {KINDS.get(p.suffix.lower()) for p in paths}
    if None in kinds:
        raise InvalidInput(f"unknown log format {paths[0].suffix!r}: use .csv, .jsonl or .parquet")
    if len(kinds) > 1:
        raise InvalidInput(f"{text} mixes log formats ({', '.join(sorted(map(str, kinds)))})")
    return LogFiles(paths=tuple(paths), kind=str(kinds.pop()))


def scan_log(
    connection: duckdb.DuckDBPyConnection,
    files: LogFiles,
    *,
    mapping: Mapping[str, str] | None = None,
    amount_unit: AmountUnit = AmountUnit.MAJOR,
    exact: bool = False,
) -> LogScan:
    """The checked rows of ``files`` as SQL over the files themselves (nothing read
    yet but a sample of the first, to know the columns). Raises ``InvalidInput``
    naming the columns found when a required one is missing.

    A CSV timestamp column whose sample is all ``YYYY-MM-DD HH:MM:SS`` (or with a
    ``T``) is parsed natively in that one format (text without an offset is UTC,
    as in an import); a row in another format is then rejected by the reader, and
    :attr:`LogScan.typed_timestamp` tells the caller to scan again with ``exact``,
    where each value is read as an import reads it (ISO with or without offset,
    epoch seconds, milliseconds or microseconds)."""
    mapping = mapping or {}
    sniffed = _sniff(connection, files)
    if exact:
        sniffed = {name: "VARCHAR" for name in sniffed}
    renamed = {mapping.get(name, name): (name, kind) for name, kind in sniffed.items()}
    missing = [name for name in REQUIRED if name not in renamed]
    if missing:
        raise InvalidInput(
            f"the log has no {', '.join(missing)} column; columns found: "
            f"{', '.join(renamed)} (rename with --map column=name)"
        )
    timestamp = renamed["timestamp"][0]
    timestamp_format = _timestamp_format(files, timestamp, sniffed) if not exact else None
    if files.kind == "csv" and sniffed.get(timestamp) in TYPED_TIMESTAMP and not timestamp_format:
        sniffed = {**sniffed, timestamp: "TIMESTAMP WITH TIME ZONE"}
        renamed = {mapping.get(name, name): (name, kind) for name, kind in sniffed.items()}
    reader = _reader(files, sniffed, timestamp=timestamp, renamed=renamed, fmt=timestamp_format)
    kinds = {name: _kind(files, name, kind) for name, (_, kind) in renamed.items()}
    columns = ", ".join(f"{quote(old)} AS {quote(new)}" for new, (old, _) in renamed.items())
    line = "file_row_number + 1" if files.kind == "parquet" else "CAST(NULL AS BIGINT)"
    json_flag = ", __json_ok" if files.kind == "json" else ""
    source = f"(SELECT {columns}, {line} AS __line{json_flag} FROM {reader})"
    present = tuple(name for name in ANALYTICS_NAMES if name in renamed or name == "ts_us")
    unreadable = ("__json_ok", "not a JSON object") if files.kind == "json" else None
    return LogScan(
        files=files,
        sql=checked_rows_sql(kinds, amount_unit, source=source, unreadable=unreadable),
        columns=present,
        has_event_ids="event_id" in renamed,
        typed_timestamp=timestamp if files.kind == "csv" and timestamp_format else None,
    )


def _sniff(connection: duckdb.DuckDBPyConnection, files: LogFiles) -> dict[str, str]:
    """Column name -> DuckDB type, from a sample of the first file."""
    first = _string(str(files.paths[0]))
    if files.kind == "json":
        rows = connection.execute(
            f"SELECT DISTINCT unnest(json_keys(line)) FROM (SELECT line FROM "
            f"{_json_lines(first)} WHERE json_valid(line) LIMIT 1000)"
        ).fetchall()
        return {str(name): "VARCHAR" for (name,) in rows}
    if files.kind == "parquet":
        sql = f"DESCRIBE SELECT * FROM read_parquet({first})"
    else:
        # The header as Python's csv module reads it; DuckDB only sniffs the types
        # (told the dialect, so a malformed row in the sample cannot mislead it).
        names = _csv_header(files.paths[0])
        if not names:
            raise InvalidInput(f"{files.paths[0].name} is empty: it has no header line")
        for other in files.paths[1:]:  # read as one table: every file has the same header
            if _csv_header(other) != names:
                raise InvalidInput(
                    f"{other.name} has other columns than {files.paths[0].name}: "
                    f"{', '.join(_csv_header(other))}"
                )
        sql = (
            f"DESCRIBE SELECT * FROM read_csv({first}, {_csv_dialect(files)}, "
            f"names = [{', '.join(_string(name) for name in names)}], ignore_errors = true)"
        )
    try:
        described = connection.execute(sql).fetchall()
    except duckdb.Error as error:
        raise InvalidInput(f"cannot read {files.paths[0].name}: {error}") from error
    return {str(row[0]): str(row[1]) for row in described}


def _csv_header(path: Path) -> list[str]:
    return [name.strip() for name in _csv_head(path)[0]]


def _csv_head(path: Path) -> tuple[list[str], list[str]]:
    """The header and the first row."""
    delimiter = "\t" if path.suffix.lower() == ".tsv" else ","
    with path.open(newline="", encoding="utf-8-sig") as stream:
        reader = csv.reader(stream, delimiter=delimiter)
        return next(reader, []), next(reader, [])


def _timestamp_format(files: LogFiles, column: str, sniffed: Mapping[str, str]) -> str | None:
    """The one naive format of a CSV timestamp column, when DuckDB sniffed plain
    timestamps and the first value has it; None to read the column as an import does."""
    if files.kind != "csv" or sniffed.get(column) != "TIMESTAMP":
        return None
    names, first = _csv_head(files.paths[0])
    stripped = [name.strip() for name in names]
    if column not in stripped or len(first) != len(names):
        return None
    value = first[stripped.index(column)]
    for pattern, fmt in NAIVE_TIMESTAMP_FORMATS:
        if pattern.fullmatch(value):
            return fmt
    return None


def _csv_dialect(files: LogFiles) -> str:
    delimiter = "\\t" if files.paths[0].suffix.lower() == ".tsv" else ","
    return f"header = true, delim = E'{delimiter}', quote = '\"', escape = '\"'"


def _reader(
    files: LogFiles,
    sniffed: Mapping[str, str],
    *,
    timestamp: str,
    renamed: Mapping[str, tuple[str, str]],
    fmt: str | None,
) -> str:
    if files.kind == "parquet":
        return f"read_parquet({files.sql_list()}, file_row_number = true, union_by_name = true)"
    if files.kind == "json":
        extracted = ", ".join(
            f"CASE WHEN __json_ok THEN json_extract_string(line, "
            f"{_string('$.' + _json_key(name))}) END AS {quote(name)}"
            for name in sniffed
        )
        objects = (
            "(SELECT line, CASE WHEN json_valid(line) THEN json_type(line) = 'OBJECT' "
            "ELSE false END "
            f"AS __json_ok FROM {_json_lines(files.sql_list())} WHERE trim(line) <> '')"
        )
        return f"(SELECT {extracted}, __json_ok FROM {objects})"
    types = {name: "VARCHAR" for name in sniffed}
    parsing = ""
    if fmt:
        types[timestamp] = "TIMESTAMP"
        parsing = f", timestampformat = {_string(fmt)}"
    elif sniffed.get(timestamp) in TYPED_TIMESTAMP:
        types[timestamp] = "TIMESTAMPTZ"
    elif sniffed.get(timestamp) in NUMBER_TYPES:
        types[timestamp] = "DOUBLE"
    amount = renamed.get("amount", ("", ""))[0]
    if amount and sniffed.get(amount) in NUMBER_TYPES:
        types[amount] = "DOUBLE"
    declared = "{" + ", ".join(f"{_string(k)}: {_string(v)}" for k, v in types.items()) + "}"
    return (
        f"read_csv({files.sql_list()}, {_csv_dialect(files)}, types = {declared}{parsing}, "
        f"store_rejects = true, rejects_table = '{REJECTS_TABLE}', "
        f"rejects_scan = '{REJECT_SCANS_TABLE}')"
    )


def _kind(files: LogFiles, name: str, kind: str) -> ColumnKind:
    """How the checks read a column: a CSV column is text unless the reader was told
    to parse it (the timestamp, an amount); JSON values are all read as text."""
    if files.kind == "json":
        return ColumnKind.TEXT
    if files.kind == "csv" and name not in ("timestamp", "amount"):
        return ColumnKind.TEXT
    if files.kind == "csv" and name == "amount" and kind not in NUMBER_TYPES:
        return ColumnKind.TEXT
    return KINDS_OF_TYPES.get(kind, ColumnKind.OTHER)


def _json_lines(paths_sql: str) -> str:
    return (
        f"read_csv({paths_sql}, columns = {{'line': 'VARCHAR'}}, header = false, "
        f"delim = '{JSON_LINE_DELIMITER}', quote = '', escape = '', auto_detect = false)"
    )


def _json_key(name: str) -> str:
    return '"' + name.replace('"', '\\"') + '"'


def _string(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def rejected_rows(connection: duckdb.DuckDBPyConnection) -> list[BadRow]:
    """The rows DuckDB's CSV reader could not read (one per line), after a scan."""
    try:
        rows = connection.execute(
            f"SELECT line, any_value(error_type), any_value(column_name), "
            f"any_value(error_message) FROM {REJECTS_TABLE} GROUP BY ALL ORDER BY line"
        ).fetchall()
    except duckdb.CatalogException:
        return []
    return [BadRow(line=int(line), reason=_reason(*rest)) for line, *rest in rows]


def _reason(error_type: str, column: str | None, message: str) -> str:
    if error_type == "CAST":
        return f"unreadable {column}"
    if error_type in ("MISSING COLUMNS", "TOO MANY COLUMNS"):
        numbers = [word for word in message.replace(":", " ").split() if word.isdigit()]
        if len(numbers) >= 2:
            return f"expected {numbers[0]} fields, got {numbers[1]}"
    return str(error_type).lower()


def add_rejects(report: LoadReport, rejected: list[BadRow]) -> None:
    counts: dict[str, int] = {}
    for bad in rejected:
        counts[bad.reason] = counts.get(bad.reason, 0) + 1
    report.rows_read += len(rejected)
    report.add_bad(rejected[:BAD_ROWS_SHOWN], counts)


def file_lines(row_numbers: list[int], *, header: bool, rejected: list[int]) -> list[int]:
    """The file lines of rows numbered 1, 2, ... among the rows a reader returned,
    the lines it rejected (sorted) not being among them."""
    lines = []
    for number in row_numbers:
        line = number + (1 if header else 0)
        for rejected_line in rejected:
            if rejected_line <= line:
                line += 1
            else:
                break
        lines.append(line)
    return lines

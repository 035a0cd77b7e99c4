"""Behaviour logs from files (CSV, JSONL, Parquet) into the flat analytics shape.

A log needs ``user_id``, ``event_type`` and ``timestamp`` (``--map`` renames
other headers to these), usually ``product_id``, and may carry the optional
columns in ``OPTIONAL_TEXT`` and friends; other columns are not kept. Rows that
cannot be read are counted and the first few reported with their line numbers;
they abort the load only when ``strict``.
"""

from __future__ import annotations

import csv
import enum
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import numpy as np
import orjson
import pyarrow as pa  # type: ignore[import-untyped]  # no stubs published
import pyarrow.csv as pa_csv  # type: ignore[import-untyped]
import pyarrow.parquet as pq  # type: ignore[import-untyped]

from liveshop.core.errors import InvalidInput
from liveshop.events.store import ANALYTICS_COLUMNS, IMPORTED_AS_FLAT, connect_store

REQUIRED = ("user_id", "event_type", "timestamp")
OPTIONAL_TEXT = ("event_id", "product_id", "room_id", "session_id", "channel", "category", "brand")
OPTIONAL_FLAGS = ("coupon", "flash_sale")
BAD_ROWS_SHOWN = 5
BATCH_ROWS = 500_000  # bounded memory per step, and a progress tick per batch
# Epoch numbers: 1e11 seconds is the year 5138, so anything larger is in
# milliseconds, and from 1e14 on in microseconds.
EPOCH_SECONDS_BELOW = 1e11
EPOCH_MILLIS_BELOW = 1e14

Progress = Callable[[int], None]


class AmountUnit(enum.StrEnum):
    MAJOR = "major"  # 19.99: the log's currency unit, stored as 1999 minor units
    MINOR = "minor"  # 1999: already in minor units (fen, cents)


@dataclass(frozen=True)
class BadRow:
    line: int
    reason: str


@dataclass
class LoadReport:
    """What happened to every row of a log: nothing is dropped unaccounted."""

    rows_read: int = 0
    rows_loaded: int = 0
    bad_rows: int = 0
    duplicates: int = 0
    first_bad: list[BadRow] = field(default_factory=list)

    def add_bad(self, rows: list[BadRow], count: int) -> None:
        self.bad_rows += count
        self.first_bad = sorted([*self.first_bad, *rows], key=lambda bad: bad.line)[:BAD_ROWS_SHOWN]

    def add_unparsed(self, bad: BadRow) -> None:
        """A row the file reader could not even split into fields."""
        self.rows_read += 1
        self.add_bad([bad], 1)


def parse_mapping(pairs: list[str]) -> dict[str, str]:
    """``["ts=timestamp", "uid=user_id"]``: the log's column name to ours."""
    mapping: dict[str, str] = {}
    for pair in pairs:
        source, separator, target = pair.partition("=")
        if not separator or not source or not target:
            raise InvalidInput(f"--map expects column=name, got {pair!r}")
        mapping[source.strip()] = target.strip()
    return mapping


def read_log_batches(
    path: Path, *, mapping: Mapping[str, str], report: LoadReport, strict: bool = False
) -> Iterator[tuple[int, pa.RecordBatch]]:
    """Raw batches with the log's columns renamed, each with its first line number."""
    suffix = path.suffix.lower()
    if suffix in (".jsonl", ".ndjson", ".json"):
        batches: Iterator[tuple[int, pa.RecordBatch]] = _jsonl_batches(
            path, report=report, strict=strict
        )
    elif suffix in (".csv", ".tsv", ".txt"):
        batches = _csv_batches(path, report=report, strict=strict)
    else:
        raise InvalidInput(f"unknown log format {suffix!r}: use .csv, .jsonl or .parquet")
    for first_line, batch in batches:
        names = [mapping.get(name, name) for name in batch.schema.names]
        yield first_line, batch.rename_columns(names)


def _csv_batches(
    path: Path, *, report: LoadReport, strict: bool
) -> Iterator[tuple[int, pa.RecordBatch]]:
    """Every column read as text; rows with the wrong number of fields are bad rows.

    Read on one thread so that pyarrow knows the line of a malformed row, which
    also tells the lines of the good rows after it."""
    skipped: list[int] = []

    def on_invalid(row: pa_csv.InvalidRow) -> str:
        bad = BadRow(
            line=row.number or 0,
            reason=f"expected {row.expected_columns} fields, got {row.actual_columns}",
        )
        if strict:
            raise InvalidInput(f"line {bad.line}: {bad.reason}")
        report.add_unparsed(bad)
        skipped.append(bad.line)
        return "skip"

    delimiter = "\t" if path.suffix.lower() == ".tsv" else ","
    with path.open(newline="", encoding="utf-8-sig") as stream:
        header = next(csv.reader(stream, delimiter=delimiter), [])
    reader = pa_csv.open_csv(
        path,
        read_options=pa_csv.ReadOptions(block_size=1 << 24, use_threads=False),
        parse_options=pa_csv.ParseOptions(delimiter=delimiter, invalid_row_handler=on_invalid),
        convert_options=pa_csv.ConvertOptions(
            column_types=dict.fromkeys(header, pa.string()), strings_can_be_null=True
        ),
    )
    line = 2  # the header is line 1
    for batch in reader:
        lines = np.arange(line, line + batch.num_rows + len(skipped), dtype=np.int64)
        lines = np.setdiff1d(lines, np.array(skipped, dtype=np.int64), assume_unique=True)
        skipped.clear()
        columns = [*batch.columns, pa.array(lines[: batch.num_rows])]
        yield line, pa.RecordBatch.from_arrays(columns, [*batch.schema.names, "__line"])
        line = int(lines[batch.num_rows - 1]) + 1 if batch.num_rows else line


def _jsonl_batches(
    path: Path, *, report: LoadReport, strict: bool
) -> Iterator[tuple[int, pa.RecordBatch]]:
    rows: list[dict[str, object]] = []
    lines: list[int] = []
    with path.open("rb") as stream:
        for number, raw in enumerate(stream, start=1):
            if not raw.strip():
                continue
            try:
                record = orjson.loads(raw)
            except orjson.JSONDecodeError:
                record = None
            if not isinstance(record, dict):
                if strict:
                    raise InvalidInput(f"line {number}: not a JSON object")
                report.add_unparsed(BadRow(line=number, reason="not a JSON object"))
                continue
            rows.append({key: _as_text(value) for key, value in record.items()})
            lines.append(number)
            if len(rows) == BATCH_ROWS:
                yield from _jsonl_batch(rows, lines)
                rows, lines = [], []
    if rows:
        yield from _jsonl_batch(rows, lines)


def _as_text(value: object) -> str | None:
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value) if isinstance(value, int | float) else orjson.dumps(value).decode()


def _jsonl_batch(
    rows: list[dict[str, object]], lines: list[int]
) -> Iterator[tuple[int, pa.RecordBatch]]:
    names = list(dict.fromkeys(key for row in rows for key in row))
    columns = {name: pa.array([row.get(name) for row in rows], pa.string()) for name in names}
    columns["__line"] = pa.array(lines, pa.int64())
    yield lines[0], pa.RecordBatch.from_pydict(columns)


def stage_batch(
    connection: duckdb.DuckDBPyConnection,
    batch: pa.RecordBatch,
    *,
    first_line: int,
    amount_unit: AmountUnit,
    first: bool,
) -> None:
    """Append the batch, checked and in the analytics shape, to ``staged_events``."""
    missing = [name for name in REQUIRED if name not in batch.schema.names]
    if missing:
        raise InvalidInput(
            f"the log has no {', '.join(missing)} column; columns found: "
            f"{', '.join(batch.schema.names)} (rename with --map column=name)"
        )
    if "__line" not in batch.schema.names:
        lines = pa.array(np.arange(first_line, first_line + batch.num_rows, dtype=np.int64))
        batch = pa.RecordBatch.from_arrays([*batch.columns, lines], [*batch.schema.names, "__line"])
    connection.register("raw_batch", batch)
    try:
        checked = _checked_rows_sql(batch.schema, amount_unit)
        if first:
            connection.execute(f"CREATE OR REPLACE TEMP TABLE staged_events AS {checked}")
        else:
            connection.execute(f"INSERT INTO staged_events {checked}")
    finally:
        connection.unregister("raw_batch")


def _checked_rows_sql(schema: pa.Schema, amount_unit: AmountUnit, source: str = "raw_batch") -> str:
    """Each value is computed once in the inner query; the outer one names the
    first problem of a row (DuckDB would otherwise evaluate them twice)."""
    names = set(schema.names)

    def text(name: str) -> str:
        if name not in names:
            return "CAST(NULL AS VARCHAR)"
        if pa.types.is_string(schema.field(name).type):
            return f"NULLIF(trim({_quote(name)}), '')"
        return f"CAST({_quote(name)} AS VARCHAR)"

    scale = "100" if amount_unit is AmountUnit.MAJOR else "1"
    is_number = "amount" in names and (
        pa.types.is_integer(schema.field("amount").type)
        or pa.types.is_floating(schema.field("amount").type)
    )
    amount_source = _quote("amount") if is_number else text("amount")
    columns = {
        "event_id": text("event_id"),
        "event_type": f"lower({text('event_type')})",
        "user_id": text("user_id"),
        "ts_us": _timestamp_expression(schema.field("timestamp").type),
        **{name: text(name) for name in OPTIONAL_TEXT if name != "event_id"},
        "amount": f"CAST(round(TRY_CAST({amount_source} AS DECIMAL(18, 4)) * {scale}) AS BIGINT)",
        "like_count": f"TRY_CAST({text('like_count')} AS BIGINT)",
        "watch_seconds": f"TRY_CAST({text('watch_seconds')} AS DOUBLE)",
        **{name: _flag_expression(text(name)) for name in OPTIONAL_FLAGS},
    }
    selected = ", ".join(f"{expression} AS {name}" for name, expression in columns.items())
    return f"""
SELECT __line, {", ".join(ANALYTICS_COLUMNS)}, CASE
        WHEN user_id IS NULL THEN 'missing user_id'
        WHEN event_type IS NULL THEN 'missing event_type'
        WHEN ts_us IS NULL THEN 'unreadable timestamp'
        WHEN amount_given IS NOT NULL AND amount IS NULL THEN 'unreadable amount'
    END AS problem
FROM (SELECT __line, {selected}, {amount_source} AS amount_given FROM {source}) checked"""


def _timestamp_expression(source: pa.DataType) -> str:
    """UTC epoch microseconds from a timestamp, an epoch number or ISO text
    (text without an offset is read as UTC)."""
    column = '"timestamp"'
    if pa.types.is_timestamp(source) or pa.types.is_date(source):
        return f"epoch_us(CAST({column} AS TIMESTAMPTZ))"
    number = f"TRY_CAST({column} AS DOUBLE)"
    epoch = (
        f"CAST(round(CASE WHEN abs({number}) < {EPOCH_SECONDS_BELOW} THEN {number} * 1e6 "
        f"WHEN abs({number}) < {EPOCH_MILLIS_BELOW} THEN {number} * 1e3 "
        f"ELSE {number} END) AS BIGINT)"
    )
    if pa.types.is_integer(source) or pa.types.is_floating(source):
        return epoch
    text = f"trim(CAST({column} AS VARCHAR))"
    return (
        f"CASE WHEN regexp_full_match({text}, '-?[0-9]+(\\.[0-9]+)?') THEN {epoch} "
        f"ELSE epoch_us(TRY_CAST({text} AS TIMESTAMPTZ)) END"
    )


def _flag_expression(text: str) -> str:
    return (
        f"CASE WHEN lower({text}) IN ('1', 'true', 't', 'yes', 'y') THEN true "
        f"WHEN lower({text}) IN ('0', 'false', 'f', 'no', 'n') THEN false END"
    )


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def stage_log(
    connection: duckdb.DuckDBPyConnection,
    path: Path,
    *,
    mapping: Mapping[str, str] | None = None,
    strict: bool = False,
    amount_unit: AmountUnit = AmountUnit.MAJOR,
    progress: Progress | None = None,
) -> LoadReport:
    """Every row of the log, checked, into the temporary table ``staged_events``
    (column ``problem`` says why a row is bad, ``__line`` where it was)."""
    report = LoadReport()
    if path.suffix.lower() == ".parquet":
        return _stage_parquet(
            connection,
            path,
            mapping=mapping or {},
            amount_unit=amount_unit,
            strict=strict,
            progress=progress,
        )
    batches = read_log_batches(path, mapping=mapping or {}, report=report, strict=strict)
    first = True
    for first_line, batch in batches:
        stage_batch(connection, batch, first_line=first_line, amount_unit=amount_unit, first=first)
        first = False
        report.rows_read += batch.num_rows
        if strict:
            _refuse_bad_rows(connection)
        if progress is not None:
            progress(batch.num_rows)
    if first:
        columns = ", ".join(
            f"CAST(NULL AS {kind}) AS {name}" for name, kind in ANALYTICS_COLUMNS.items()
        )
        connection.execute(
            f"CREATE OR REPLACE TEMP TABLE staged_events AS "
            f"SELECT CAST(NULL AS BIGINT) AS __line, {columns}, "
            "CAST(NULL AS VARCHAR) AS problem LIMIT 0"
        )
    counted = connection.execute(
        "SELECT count(*) FROM staged_events WHERE problem IS NOT NULL"
    ).fetchall()
    report.add_bad(_first_bad(connection), int(counted[0][0]))
    return report


def _stage_parquet(
    connection: duckdb.DuckDBPyConnection,
    path: Path,
    *,
    mapping: Mapping[str, str],
    amount_unit: AmountUnit,
    strict: bool,
    progress: Progress | None,
) -> LoadReport:
    """Parquet is read by DuckDB itself, in parallel: measured about three times
    faster than handing it pyarrow batches. A row's "line" is its row number."""
    schema = pq.read_schema(path)
    renamed = pa.schema([field.with_name(mapping.get(field.name, field.name)) for field in schema])
    missing = [name for name in REQUIRED if name not in renamed.names]
    if missing:
        raise InvalidInput(
            f"the log has no {', '.join(missing)} column; columns found: "
            f"{', '.join(renamed.names)} (rename with --map column=name)"
        )
    columns = ", ".join(
        f"{_quote(old)} AS {_quote(new)}"
        for old, new in zip(schema.names, renamed.names, strict=True)
    )
    target = str(path).replace("'", "''")
    source = (
        f"(SELECT {columns}, file_row_number + 1 AS __line "
        f"FROM read_parquet('{target}', file_row_number = true))"
    )
    checked = _checked_rows_sql(renamed, amount_unit, source=source)
    connection.execute(f"CREATE OR REPLACE TEMP TABLE staged_events AS {checked}")
    report = LoadReport()
    counted = connection.execute("SELECT count(*), count(problem) FROM staged_events").fetchall()
    report.rows_read = int(counted[0][0])
    report.add_bad(_first_bad(connection), int(counted[0][1]))
    if strict:
        _refuse_bad_rows(connection)
    if progress is not None:
        progress(report.rows_read)
    return report


def _first_bad(connection: duckdb.DuckDBPyConnection) -> list[BadRow]:
    rows = connection.execute(
        "SELECT __line, problem FROM staged_events WHERE problem IS NOT NULL "
        f"ORDER BY __line LIMIT {BAD_ROWS_SHOWN}"
    ).fetchall()
    return [BadRow(line=int(line), reason=str(reason)) for line, reason in rows]


def _refuse_bad_rows(connection: duckdb.DuckDBPyConnection) -> None:
    bad = _first_bad(connection)
    if bad:
        raise InvalidInput(f"line {bad[0].line}: {bad[0].reason}")


def load_log(
    connection: duckdb.DuckDBPyConnection,
    path: Path,
    *,
    table: str = "events",
    mapping: Mapping[str, str] | None = None,
    strict: bool = False,
    amount_unit: AmountUnit = AmountUnit.MAJOR,
    progress: Progress | None = None,
) -> LoadReport:
    """The log's good rows, exact duplicates once, as temporary table ``table``."""
    report = stage_log(
        connection, path, mapping=mapping, strict=strict, amount_unit=amount_unit, progress=progress
    )
    connection.execute(
        f"CREATE OR REPLACE TEMP TABLE {table} AS SELECT DISTINCT {', '.join(ANALYTICS_COLUMNS)} "
        "FROM staged_events WHERE problem IS NULL"
    )
    connection.execute("DROP TABLE staged_events")
    loaded = connection.execute(f"SELECT count(*) FROM {table}").fetchall()
    report.rows_loaded = int(loaded[0][0])
    report.duplicates = report.rows_read - report.bad_rows - report.rows_loaded
    return report


def read_log(
    path: Path,
    *,
    mapping: Mapping[str, str] | None = None,
    strict: bool = False,
    amount_unit: AmountUnit = AmountUnit.MAJOR,
    progress: Progress | None = None,
) -> tuple[pa.Table, LoadReport]:
    """The log's good rows in the analytics shape as an Arrow table (for Spark)."""
    connection = duckdb.connect()
    connection.execute("SET TimeZone = 'UTC'")
    try:
        report = load_log(
            connection,
            path,
            mapping=mapping,
            strict=strict,
            amount_unit=amount_unit,
            progress=progress,
        )
        table = connection.sql("SELECT * FROM events").to_arrow_table()
    finally:
        connection.close()
    return table, report


def import_log(
    store_path: Path,
    log_path: Path,
    *,
    mapping: Mapping[str, str] | None = None,
    strict: bool = False,
    amount_unit: AmountUnit = AmountUnit.MAJOR,
    progress: Progress | None = None,
) -> LoadReport:
    """Load a log into the event store; an event already stored is not stored twice
    (``EXCEPT`` also collapses duplicates within the log)."""
    connection = connect_store(store_path)
    try:
        report = stage_log(
            connection,
            log_path,
            mapping=mapping,
            strict=strict,
            amount_unit=amount_unit,
            progress=progress,
        )
        before = _count(connection)
        columns = ", ".join(ANALYTICS_COLUMNS)
        stored = ", ".join(
            "CAST(make_timestamp(ts_us) AS TIMESTAMPTZ) AS ts" if name == "ts_us" else name
            for name in ANALYTICS_COLUMNS
        )
        connection.execute(
            f"INSERT INTO imported_events ({columns.replace('ts_us', 'ts')}) "
            f"SELECT {stored} FROM (SELECT {columns} FROM staged_events WHERE problem IS NULL "
            f"EXCEPT SELECT {IMPORTED_AS_FLAT} FROM imported_events)"
        )
        connection.execute("DROP TABLE staged_events")
        report.rows_loaded = _count(connection) - before
    finally:
        connection.close()
    report.duplicates = report.rows_read - report.bad_rows - report.rows_loaded
    return report


def _count(connection: duckdb.DuckDBPyConnection) -> int:
    row = connection.execute("SELECT count(*) FROM imported_events").fetchone()
    return int(row[0]) if row else 0

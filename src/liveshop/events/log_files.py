"""Reading CSV and JSONL logs into Arrow batches, every line accounted for.

Each batch carries ``__line``, the line each row came from, so that a bad row
can be told by its line however many rows before it could not be read.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator, Mapping
from pathlib import Path

import numpy as np
import orjson
import pyarrow as pa  # type: ignore[import-untyped]  # no stubs published
import pyarrow.csv as pa_csv  # type: ignore[import-untyped]

from liveshop.core.errors import InvalidInput
from liveshop.events.load_report import BAD_ROWS_SHOWN as BAD_ROWS_SHOWN  # re-exported
from liveshop.events.load_report import AmountUnit as AmountUnit
from liveshop.events.load_report import BadRow as BadRow
from liveshop.events.load_report import LoadReport as LoadReport

BATCH_ROWS = 500_000  # bounded memory per step, and a progress tick per batch


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

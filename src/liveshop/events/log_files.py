"""Reading CSV and JSONL logs into Arrow batches, every line accounted for.

Each batch carries ``__line``, the line each row came from, so that a bad row
can be told by its line however many rows before it could not be read.
"""

from __future__ import annotations

import csv
import enum
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import orjson
import pyarrow as pa  # type: ignore[import-untyped]  # no stubs published
import pyarrow.csv as pa_csv  # type: ignore[import-untyped]

from liveshop.core.errors import InvalidInput

BAD_ROWS_SHOWN = 5
BATCH_ROWS = 500_000  # bounded memory per step, and a progress tick per batch


class AmountUnit(enum.StrEnum):
    """How a log writes money. The store keeps integer minor units either way, and
    every report that shows money says so in the key (``monetary_minor_units``)."""

    MAJOR = "major"  # 19.99: the log's currency unit, stored as 1999 minor units
    MINOR = "minor"  # 1999: already in minor units (fen, cents), stored as written


@dataclass(frozen=True)
class BadRow:
    line: int
    reason: str


@dataclass
class LoadReport:
    """What happened to every row of a log: each row read was loaded, skipped as an
    event already seen (``skipped``: rows per reason) or rejected as unreadable
    (``rejected``: rows per reason, the first few lines in ``first_bad``), so that
    ``rows_read == rows_loaded + skipped_rows + bad_rows``."""

    file_name: str | None = None
    sha256: str | None = None  # of the file's bytes, when it was imported into a store
    amount_unit: AmountUnit = AmountUnit.MAJOR
    rows_read: int = 0
    rows_loaded: int = 0
    skipped: dict[str, int] = field(default_factory=dict)
    rejected: dict[str, int] = field(default_factory=dict)
    first_bad: list[BadRow] = field(default_factory=list)

    @property
    def skipped_rows(self) -> int:
        return sum(self.skipped.values())

    @property
    def bad_rows(self) -> int:
        return sum(self.rejected.values())

    def add_bad(self, rows: list[BadRow], counts: Mapping[str, int]) -> None:
        """Rejected rows: ``counts`` per reason, ``rows`` the first few of them."""
        for reason, count in counts.items():
            self.rejected[reason] = self.rejected.get(reason, 0) + count
        self.first_bad = sorted([*self.first_bad, *rows], key=lambda bad: bad.line)[:BAD_ROWS_SHOWN]

    def add_unparsed(self, bad: BadRow) -> None:
        """A row the file reader could not even split into fields."""
        self.rows_read += 1
        self.add_bad([bad], {bad.reason: 1})


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

"""The checks every row of a behaviour log goes through, as SQL over its columns.

Shared by the import (``importer``, over Arrow batches or Parquet) and by the
reports that read a log where it lies (``log_scan``). Only the kind of each
column matters (:class:`ColumnKind`), so that this module needs neither Arrow
nor DuckDB: a report's start-up stays short.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping

from liveshop.core.errors import InvalidInput
from liveshop.events.load_report import AmountUnit

REQUIRED = ("user_id", "event_type", "timestamp")
OPTIONAL_TEXT = (
    "event_id",
    "product_id",
    "room_id",
    "session_id",
    "channel",
    "category",
    "brand",
    "order_id",
)
OPTIONAL_FLAGS = ("coupon", "flash_sale")
# Epoch numbers: 1e11 seconds is the year 5138, so anything larger is in
# milliseconds, and from 1e14 on in microseconds.
EPOCH_SECONDS_BELOW = 1e11
EPOCH_MILLIS_BELOW = 1e14
# The flat analytics shape every report reads, in order, with its DuckDB types.
ANALYTICS_COLUMNS = {
    "event_id": "VARCHAR",
    "event_type": "VARCHAR",
    "user_id": "VARCHAR",
    "ts_us": "BIGINT",
    "product_id": "VARCHAR",
    "room_id": "VARCHAR",
    "session_id": "VARCHAR",
    "channel": "VARCHAR",
    "amount": "BIGINT",
    "like_count": "BIGINT",
    "watch_seconds": "DOUBLE",
    "category": "VARCHAR",
    "brand": "VARCHAR",
    "coupon": "BOOLEAN",
    "flash_sale": "BOOLEAN",
    "order_id": "VARCHAR",  # the lines of one order are one order in the reports
}
ANALYTICS_NAMES = tuple(ANALYTICS_COLUMNS)


class ColumnKind(enum.StrEnum):
    TEXT = "text"
    NUMBER = "number"
    TIMESTAMP = "timestamp"  # without a time zone: read as UTC
    TIMESTAMP_TZ = "timestamp_tz"
    DATE = "date"
    OTHER = "other"  # read as its text


def checked_rows_sql(
    kinds: Mapping[str, ColumnKind],
    amount_unit: AmountUnit,
    source: str = "raw_batch",
    *,
    unreadable: tuple[str, str] | None = None,
) -> str:
    """Every row of ``source`` (which has ``__line`` and the columns of ``kinds``) in
    the analytics shape, with ``problem``: why the row is bad, or NULL.

    Each value is computed once in the inner query; the outer one names the first
    problem of a row (DuckDB would otherwise evaluate them twice). ``unreadable``:
    (a boolean column of ``source``, false for a row that could not be read at all,
    and the reason to give for such a row)."""

    def text(name: str) -> str:
        if name not in kinds:
            return "CAST(NULL AS VARCHAR)"
        if kinds[name] is ColumnKind.TEXT:
            return trimmed_text(quote(name))
        return f"CAST({quote(name)} AS VARCHAR)"

    scale = "100" if amount_unit is AmountUnit.MAJOR else "1"
    is_number = kinds.get("amount") is ColumnKind.NUMBER
    amount_source = quote("amount") if is_number else text("amount")
    columns = {
        "event_id": text("event_id"),
        "event_type": f"lower({text('event_type')})",
        "user_id": text("user_id"),
        "ts_us": _timestamp_expression(kinds["timestamp"]),
        **{name: text(name) for name in OPTIONAL_TEXT if name != "event_id"},
        "amount": f"CAST(round(TRY_CAST({amount_source} AS DECIMAL(18, 4)) * {scale}) AS BIGINT)",
        "like_count": f"TRY_CAST({text('like_count')} AS BIGINT)",
        "watch_seconds": f"TRY_CAST({text('watch_seconds')} AS DOUBLE)",
        **{name: _flag_expression(text(name)) for name in OPTIONAL_FLAGS},
    }
    selected = ", ".join(f"{expression} AS {name}" for name, expression in columns.items())
    read_flag, unreadable_check = "", ""
    if unreadable is not None:
        read_flag = f", {quote(unreadable[0])} AS __readable"
        unreadable_check = f"WHEN NOT __readable THEN '{unreadable[1]}'"
    return f"""
SELECT __line, {", ".join(ANALYTICS_NAMES)}, CASE {unreadable_check}
        WHEN user_id IS NULL THEN 'missing user_id'
        WHEN event_type IS NULL THEN 'missing event_type'
        WHEN ts_us IS NULL THEN 'unreadable timestamp'
        WHEN amount_given IS NOT NULL AND amount IS NULL THEN 'unreadable amount'
    END AS problem
FROM (SELECT __line, {selected}, {amount_source} AS amount_given{read_flag}
      FROM {source}) checked"""


def _timestamp_expression(kind: ColumnKind) -> str:
    """UTC epoch microseconds from a timestamp, an epoch number or ISO text
    (text without an offset is read as UTC)."""
    column = '"timestamp"'
    if kind is ColumnKind.TIMESTAMP:
        # Naive: read as UTC. epoch_us of the value itself is that, and skips a
        # time-zone conversion per row (a third of a big CSV scan's CPU).
        return f"epoch_us({column})"
    if kind in (ColumnKind.TIMESTAMP_TZ, ColumnKind.DATE):
        return f"epoch_us(CAST({column} AS TIMESTAMPTZ))"
    number = f"TRY_CAST({column} AS DOUBLE)"
    epoch = (
        f"CAST(round(CASE WHEN abs({number}) < {EPOCH_SECONDS_BELOW} THEN {number} * 1e6 "
        f"WHEN abs({number}) < {EPOCH_MILLIS_BELOW} THEN {number} * 1e3 "
        f"ELSE {number} END) AS BIGINT)"
    )
    if kind is ColumnKind.NUMBER:
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


def trimmed_text(column: str) -> str:
    """The text without surrounding spaces, NULL when nothing is left. ``trim`` (which
    strips spaces only) runs only on values with a space in them: on a big log
    trimming every value cost more CPU than reading it (3 M rows of 4 columns: 0.6 s
    against 0.5 s), and one ``contains`` costs less than testing both ends."""
    return (
        f"CASE WHEN contains({column}, ' ') "
        f"THEN NULLIF(trim({column}), '') ELSE NULLIF({column}, '') END"
    )


def quote(name: str) -> str:
    """A SQL identifier."""
    return '"' + name.replace('"', '""') + '"'


def parse_mapping(pairs: list[str]) -> dict[str, str]:
    """``["ts=timestamp", "uid=user_id"]``: the log's column name to ours."""
    mapping: dict[str, str] = {}
    for pair in pairs:
        source, separator, target = pair.partition("=")
        if not separator or not source or not target:
            raise InvalidInput(f"--map expects column=name, got {pair!r}")
        mapping[source.strip()] = target.strip()
    return mapping

"""The regulator's read-only view (``/api/regulator``): the audit log and its
integrity, penalties, inspection results and violation statistics, as JSON
or CSV, by date range.

Only the ``regulator`` role gets in (not even admins: the regulator's channel is
its own, and the operator reads its audit log through its own tools); anyone
else gets 403 and nothing. Every read is itself appended to the audit log.
Privacy requests (exports, erasures) are audit entries, so they show there.
"""

from __future__ import annotations

import csv
import enum
import io
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Response
from sqlalchemy import func, inspect, select
from sqlalchemy.orm import Session

from liveshop.accounts.dependencies import CurrentUser
from liveshop.accounts.models import User
from liveshop.core.audit.log import (
    append_audit,
    audit_entries,
    count_by_action,
    entry_out,
    user_ref,
    verify_audit_chain,
)
from liveshop.core.db import separate_writing_unit
from liveshop.core.dependencies import DbSession
from liveshop.core.errors import InvalidInput
from liveshop.governance import access
from liveshop.governance.models import Inspection, Penalty
from liveshop.governance.subject_names import with_inspection_names, with_penalty_names

router = APIRouter(prefix="/api/regulator", tags=["regulator"])

MAX_ROWS = 10_000
CSV_COLUMNS = ("seq", "at", "actor", "action", "subject", "details", "prev_hash", "hash")


class ExportFormat(enum.StrEnum):
    JSON = "json"
    CSV = "csv"


def current_regulator(user: CurrentUser) -> User:
    """The caller, if they are the regulator (everyone else: 403, and nothing read)."""
    access.require_regulator(user)
    return user


Regulator = Annotated[User, Depends(current_regulator)]
Start = Annotated[datetime | None, Query(description="from this moment (inclusive); UTC if naive")]
End = Annotated[datetime | None, Query(description="to this moment (exclusive); UTC if naive")]


def _as_utc(moment: datetime | None) -> datetime | None:
    if moment is None:
        return None
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    try:
        return moment.astimezone(UTC)
    except OverflowError as error:  # 0001-01-01T00:00+05:00 is before year 1 in UTC
        raise InvalidInput("the moment is out of range", code="bad_range") from error


def _range(start: datetime | None, end: datetime | None) -> tuple[datetime | None, datetime | None]:
    start, end = _as_utc(start), _as_utc(end)
    if start is not None and end is not None and end <= start:
        raise InvalidInput("end must be after start", code="bad_range")
    return start, end


def _audit_read(
    session: Session, *, regulator: User, subject: str, details: dict[str, Any]
) -> None:
    """Record the read in a short unit of work of its own: the request's reading (a
    chain walk, up to 10,000 rows and their serialisation) takes no write lock."""
    with separate_writing_unit(session) as writing:
        append_audit(
            writing,
            actor=user_ref(regulator.id),
            action="regulator.read",
            subject=subject,
            details=details,
        )


def _cell(value: Any) -> Any:
    return (
        json.dumps(value, sort_keys=True, ensure_ascii=False)
        if isinstance(value, dict | list)
        else value
    )


def _as_csv(rows: list[dict[str, Any]], columns: Sequence[str]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(columns)
    for row in rows:
        writer.writerow([_cell(row[column]) for column in columns])
    return buffer.getvalue()


def _csv_response(rows: list[dict[str, Any]], columns: Sequence[str], name: str) -> Response:
    return Response(
        _as_csv(rows, columns),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}.csv"'},
    )


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, enum.Enum):
        return value.value
    return value


def _row_out(row: Any) -> dict[str, Any]:
    """A record as the regulator sees it: every column, as stored."""
    return {
        attribute.key: _plain(getattr(row, attribute.key))
        for attribute in inspect(row).mapper.column_attrs
    }


def _range_details(
    start: datetime | None, end: datetime | None, output: ExportFormat, **more: Any
) -> dict[str, Any]:
    return {
        "start": start.isoformat() if start else None,
        "end": end.isoformat() if end else None,
        "format": output.value,
        **more,
    }


@router.get("/audit", response_model=None)
def audit_log(
    regulator: Regulator,
    session: DbSession,
    start: Start = None,
    end: End = None,
    output: Annotated[ExportFormat, Query(alias="format")] = ExportFormat.JSON,
    after_seq: Annotated[int, Query(ge=0, le=2**31 - 1)] = 0,
    limit: Annotated[int, Query(ge=1, le=MAX_ROWS)] = 1_000,
) -> dict[str, Any] | Response:
    """Audit entries with ``start <= at < end``, oldest first; page on with
    ``after_seq`` = the last ``seq`` received (``next_after_seq``, None on the last page).
    ``total`` counts the range's entries as read, before this read is itself recorded."""
    start, end = _range(start, end)
    read = audit_entries(session, start=start, end=end, after_seq=after_seq, limit=limit + 1)
    rows = [entry_out(entry) for entry in read[:limit]]
    total = sum(count_by_action(session, start=start, end=end).values())
    _audit_read(
        session,
        regulator=regulator,
        subject="audit_log",
        details=_range_details(start, end, output, after_seq=after_seq, rows=len(rows)),
    )
    if output is ExportFormat.CSV:
        return _csv_response(rows, CSV_COLUMNS, "audit-log")
    next_after = rows[-1]["seq"] if len(read) > limit else None
    return {"entries": rows, "next_after_seq": next_after, "total": total}


@router.get("/audit/verify")
def audit_integrity(regulator: Regulator, session: DbSession) -> dict[str, Any]:
    """Whether the audit log's hash chain is intact (the first bad entry if not)."""
    report = verify_audit_chain(session)
    _audit_read(session, regulator=regulator, subject="audit_log", details={"verify": True})
    return {
        "ok": report.ok,
        "entries": report.entries,
        "first_seq": report.first_seq,
        "last_seq": report.last_seq,
        "first_bad_seq": report.first_bad_seq,
        "problem": report.problem,
        "detail": report.detail,
    }


@dataclass(frozen=True)
class RecordPage:
    """One page of a records export: the range, the format, where it pages on from."""

    start: datetime | None
    end: datetime | None
    output: ExportFormat
    after_id: int
    limit: int


AfterId = Annotated[int, Query(ge=0, le=2**31 - 1, description="page on from this id")]
Limit = Annotated[int, Query(ge=1, le=MAX_ROWS)]
Format = Annotated[ExportFormat, Query(alias="format")]


def record_page(
    start: Start = None,
    end: End = None,
    output: Format = ExportFormat.JSON,
    after_id: AfterId = 0,
    limit: Limit = 1_000,
) -> RecordPage:
    return RecordPage(start=start, end=end, output=output, after_id=after_id, limit=limit)


Page = Annotated[RecordPage, Depends(record_page)]


def _in_range(query: Any, moment: Any, start: datetime | None, end: datetime | None) -> Any:
    if start is not None:
        query = query.where(moment >= start)
    if end is not None:
        query = query.where(moment < end)
    return query


def _records(
    session: Session,
    model: Any,
    moment: Any,
    *,
    start: datetime | None,
    end: datetime | None,
    after_id: int,
    limit: int,
) -> list[dict[str, Any]]:
    query = _in_range(select(model).where(model.id > after_id), moment, start, end)
    return [_row_out(row) for row in session.scalars(query.order_by(model.id).limit(limit))]


def _record_count(
    session: Session, model: Any, moment: Any, start: datetime | None, end: datetime | None
) -> int:
    """How many records the range holds (every page of it)."""
    return int(session.scalar(_in_range(select(func.count(model.id)), moment, start, end)) or 0)


def _record_export(
    session: Session,
    *,
    regulator: User,
    model: Any,
    moment: Any,
    name: str,
    page: RecordPage,
    named: Callable[[Session, list[dict[str, Any]]], list[dict[str, Any]]],
) -> dict[str, Any] | Response:
    """A page of records, each with the names behind its ids (``named``)."""
    start, end = _range(page.start, page.end)
    after_id, limit = page.after_id, page.limit
    rows = _records(session, model, moment, start=start, end=end, after_id=after_id, limit=limit)
    rows = named(session, rows)
    _audit_read(
        session,
        regulator=regulator,
        subject=name,
        details=_range_details(start, end, page.output, after_id=after_id, rows=len(rows)),
    )
    if page.output is ExportFormat.CSV:
        columns = [attribute.key for attribute in inspect(model).column_attrs]
        names = [key for key in (rows[0] if rows else {}) if key not in columns]
        return _csv_response(rows, [*columns, *names], name)
    total = _record_count(session, model, moment, start, end)
    next_after_id = rows[-1]["id"] if len(rows) == limit else None
    return {name: rows, "next_after_id": next_after_id, "total": total}


@router.get("/penalties", response_model=None)
def penalties(regulator: Regulator, session: DbSession, page: Page) -> dict[str, Any] | Response:
    """Penalties imposed with ``start <= created_at < end`` (rule, evidence, appeal
    deadline, revocation), oldest first; ``total`` counts the range's penalties."""
    return _record_export(
        session,
        regulator=regulator,
        model=Penalty,
        moment=Penalty.created_at,
        name="penalties",
        page=page,
        named=with_penalty_names,
    )


@router.get("/inspections", response_model=None)
def inspections(regulator: Regulator, session: DbSession, page: Page) -> dict[str, Any] | Response:
    """Sampling inspections with ``start <= sampled_at < end`` and their results;
    ``total`` counts the range's inspections."""
    return _record_export(
        session,
        regulator=regulator,
        model=Inspection,
        moment=Inspection.sampled_at,
        name="inspections",
        page=page,
        named=with_inspection_names,
    )


def _counts(session: Session, column: Any, moment: Any, start: Any, end: Any) -> dict[str, int]:
    query = select(column, func.count()).group_by(column)
    if start is not None:
        query = query.where(moment >= start)
    if end is not None:
        query = query.where(moment < end)
    return {str(_plain(key)): count for key, count in session.execute(query).tuples()}


@router.get("/statistics")
def statistics(
    regulator: Regulator,
    session: DbSession,
    start: Start = None,
    end: End = None,
    output: Format = ExportFormat.JSON,
) -> Any:
    """Counts in the range: audited actions by kind (moderation, enforcement, vault
    decryptions, privacy requests, regulator reads), penalties by kind and by
    subject (host or shop), inspections by result."""
    start, end = _range(start, end)
    figures = {
        "actions": count_by_action(session, start=start, end=end),
        "penalties_by_kind": _counts(session, Penalty.kind, Penalty.created_at, start, end),
        "penalties_by_subject": _counts(
            session, Penalty.subject_type, Penalty.created_at, start, end
        ),
        "inspections_by_result": _counts(
            session, Inspection.result, Inspection.sampled_at, start, end
        ),
    }
    _audit_read(
        session,
        regulator=regulator,
        subject="statistics",
        details=_range_details(start, end, output),
    )
    if output is ExportFormat.CSV:
        lines = ["figure,key,count"] + [
            f"{figure},{key},{count}"
            for figure, counts in figures.items()
            for key, count in sorted(counts.items())
        ]
        return Response("\n".join(lines) + "\n", media_type="text/csv; charset=utf-8")
    return {
        "start": start.isoformat() if start else None,
        "end": end.isoformat() if end else None,
        **{figure: dict(sorted(counts.items())) for figure, counts in figures.items()},
    }

"""The audit log: append-only and hash-chained, so a changed, removed or
reordered entry shows.

Each entry's hash is SHA-256 over the previous entry's hash and the entry's
canonical content (seq, at, actor, action, subject, details as canonical JSON).
Writers take the chain head row's lock (``SELECT ... FOR UPDATE`` on
PostgreSQL; SQLite's ``BEGIN IMMEDIATE`` already admits one writer), so two
transactions can never both append seq N; the primary key on ``seq`` refuses it
even if they tried.

Call :func:`append_audit` in the transaction of the action it records: the
entry commits with the action or not at all. The head lock is held until that
transaction ends, so append late in a transaction (after its other row locks).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import delete, func, or_, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from liveshop.core.audit.models import GENESIS_HASH, AuditChainHead, AuditEntry
from liveshop.core.clock import utcnow
from liveshop.core.db import rows_changed
from liveshop.core.errors import InvalidInput

HEAD_ID = 1
PRUNE_ACTION = "audit.pruned"
MAX_ACTOR = 100
MAX_ACTION = 60
MAX_SUBJECT = 200
VERIFY_BATCH = 1_000


def user_ref(user_id: int) -> str:
    """How an audit entry names a user: by id, never by name."""
    return f"user:{user_id}"


def canonical_details(details: Mapping[str, Any] | None) -> str:
    """The one JSON text of ``details`` that is stored and hashed."""
    return json.dumps(
        dict(details or {}), sort_keys=True, separators=(",", ":"), ensure_ascii=False
    )


def _moment(at: datetime) -> str:
    return at.astimezone(UTC).isoformat(timespec="microseconds")


def entry_hash(
    *,
    prev_hash: str,
    seq: int,
    at: datetime,
    actor: str,
    action: str,
    subject: str,
    details: str,
) -> str:
    content = json.dumps(
        [seq, _moment(at), actor, action, subject, details],
        separators=(",", ":"),
        ensure_ascii=False,
    )
    return hashlib.sha256((prev_hash + content).encode()).hexdigest()


def _locked_head(session: Session) -> AuditChainHead:
    """The chain head, created on first use, locked until the transaction ends."""
    head = session.get(AuditChainHead, HEAD_ID, with_for_update=True, populate_existing=True)
    if head is not None:
        return head
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    session.execute(
        dialect.insert(AuditChainHead)
        .values(
            id=HEAD_ID,
            last_seq=0,
            last_hash=GENESIS_HASH,
            pruned_through_seq=0,
            anchor_hash=GENESIS_HASH,
        )
        .on_conflict_do_nothing()  # two first writers at once: one row, the other waits
    )
    return session.get_one(AuditChainHead, HEAD_ID, with_for_update=True, populate_existing=True)


def _check_lengths(actor: str, action: str, subject: str) -> None:
    for name, value, limit in (
        ("actor", actor, MAX_ACTOR),
        ("action", action, MAX_ACTION),
        ("subject", subject, MAX_SUBJECT),
    ):
        if not value.strip() or len(value) > limit:
            raise InvalidInput(f"an audit {name} is 1 to {limit} characters", code="bad_audit")


def append_audit(
    session: Session,
    *,
    actor: str,
    action: str,
    subject: str,
    details: Mapping[str, Any] | None = None,
    at: datetime | None = None,
) -> AuditEntry:
    """Append one entry to the chain, in the caller's transaction (flushed, not committed).

    ``actor`` and ``subject`` are references by id (``user:42``, ``system:retention``,
    ``vault_card:tok_...``); ``details`` is JSON-serialisable and holds no personal
    data (no names, phones, addresses, card numbers): entries are never erased.
    ``at`` is for tests and imports; it defaults to now.
    """
    _check_lengths(actor, action, subject)
    details_text = canonical_details(details)
    head = _locked_head(session)
    seq = head.last_seq + 1
    moment = (at or utcnow()).astimezone(UTC)
    digest = entry_hash(
        prev_hash=head.last_hash,
        seq=seq,
        at=moment,
        actor=actor,
        action=action,
        subject=subject,
        details=details_text,
    )
    entry = AuditEntry(
        seq=seq,
        at=moment,
        actor=actor,
        action=action,
        subject=subject,
        details=details_text,
        prev_hash=head.last_hash,
        hash=digest,
    )
    session.add(entry)
    head.last_seq, head.last_hash = seq, digest
    session.flush()
    return entry


@dataclass(frozen=True)
class ChainReport:
    """What :func:`verify_audit_chain` found; ``first_bad_seq`` is None when ``ok``."""

    ok: bool
    entries: int
    first_seq: int | None
    last_seq: int | None
    first_bad_seq: int | None = None
    problem: str | None = None  # missing, broken_link, changed, truncated, ...
    detail: str = ""


def _breach(entries: int, first: int | None, bad: int, problem: str, detail: str) -> ChainReport:
    return ChainReport(
        ok=False,
        entries=entries,
        first_seq=first,
        last_seq=None,
        first_bad_seq=bad,
        problem=problem,
        detail=detail,
    )


def _check_entry(entry: AuditEntry, *, expected_seq: int, prev_hash: str) -> tuple[str, str] | None:
    """The problem with ``entry`` as the next link of the chain, if any."""
    if entry.seq != expected_seq:
        return "missing", f"entry {expected_seq} is missing (the next entry is {entry.seq})"
    if entry.prev_hash != prev_hash:
        return "broken_link", f"entry {entry.seq} does not follow its predecessor's hash"
    recomputed = entry_hash(
        prev_hash=entry.prev_hash,
        seq=entry.seq,
        at=entry.at,
        actor=entry.actor,
        action=entry.action,
        subject=entry.subject,
        details=entry.details,
    )
    if recomputed != entry.hash:
        return "changed", f"entry {entry.seq}'s content does not match its hash"
    return None


def verify_audit_chain(session: Session) -> ChainReport:
    """Walk the whole chain (read-only) and report the first bad entry and why.

    Finds a changed entry (its hash no longer matches), a removed one (a gap in
    seq, or a missing tail against the chain head), a reordered one (a seq or
    content moved: hashes and links stop matching), and a prune that the chain
    does not record.
    """
    head = session.get(AuditChainHead, HEAD_ID, populate_existing=True)
    expected = (head.pruned_through_seq if head else 0) + 1
    prev_hash = head.anchor_hash if head else GENESIS_HASH
    count, first = 0, None
    rows = session.scalars(
        select(AuditEntry).order_by(AuditEntry.seq).execution_options(yield_per=VERIFY_BATCH)
    )
    for entry in rows:
        problem = _check_entry(entry, expected_seq=expected, prev_hash=prev_hash)
        if problem is not None:
            return _breach(count, first, expected, *problem)
        first = entry.seq if first is None else first
        count, expected, prev_hash = count + 1, expected + 1, entry.hash
    last_seq = expected - 1 if count else None
    if head is None:
        if count:
            return _breach(count, first, 1, "head_missing", "entries exist but no chain head")
        return ChainReport(ok=True, entries=0, first_seq=None, last_seq=None)
    if head.last_seq != expected - 1 or head.last_hash != prev_hash:
        return _breach(
            count,
            first,
            expected,
            "truncated",
            f"the chain head says the last entry is {head.last_seq}, the log ends at "
            f"{expected - 1}",
        )
    if head.pruned_through_seq and not _prune_recorded(session, head):
        return _breach(
            count,
            first,
            head.pruned_through_seq,
            "unrecorded_prune",
            f"entries up to {head.pruned_through_seq} are gone and no {PRUNE_ACTION} entry "
            "records it",
        )
    return ChainReport(ok=True, entries=count, first_seq=first, last_seq=last_seq)


def _prune_recorded(session: Session, head: AuditChainHead) -> bool:
    expected = canonical_details(
        {"through_seq": head.pruned_through_seq, "anchor_hash": head.anchor_hash}
    )
    return (
        session.scalar(
            select(AuditEntry.seq).where(
                AuditEntry.action == PRUNE_ACTION, AuditEntry.details == expected
            )
        )
        is not None
    )


def prune_audit_log(session: Session, *, before: datetime, actor: str) -> int:
    """Delete entries older than ``before`` (retention), keeping the chain checkable:
    the head records where the log now starts and the last pruned hash, and a new
    ``audit.pruned`` entry records the same in the chain itself. Returns how many."""
    head = _locked_head(session)
    through = session.scalar(
        select(func.max(AuditEntry.seq)).where(
            AuditEntry.at < before, AuditEntry.seq > head.pruned_through_seq
        )
    )
    if through is None:
        return 0
    anchor = session.scalars(select(AuditEntry.hash).where(AuditEntry.seq == through)).one()
    removed = session.execute(delete(AuditEntry).where(AuditEntry.seq <= through))
    head.pruned_through_seq, head.anchor_hash = through, anchor
    session.flush()
    append_audit(
        session,
        actor=actor,
        action=PRUNE_ACTION,
        subject="audit_log",
        details={"through_seq": through, "anchor_hash": anchor},
    )
    return rows_changed(removed)


def audit_entries(
    session: Session,
    *,
    start: datetime | None = None,
    end: datetime | None = None,
    after_seq: int = 0,
    limit: int = 1_000,
) -> Sequence[AuditEntry]:
    """Entries with ``start <= at < end``, oldest first, from ``after_seq`` on (paging)."""
    query = select(AuditEntry).where(AuditEntry.seq > after_seq)
    if start is not None:
        query = query.where(AuditEntry.at >= start)
    if end is not None:
        query = query.where(AuditEntry.at < end)
    return session.scalars(query.order_by(AuditEntry.seq).limit(limit)).all()


def entries_about(session: Session, *, ref: str) -> Sequence[AuditEntry]:
    """Entries whose actor or subject is ``ref`` (a data subject's access request)."""
    return session.scalars(
        select(AuditEntry)
        .where(or_(AuditEntry.actor == ref, AuditEntry.subject == ref))
        .order_by(AuditEntry.seq)
    ).all()


def count_by_action(
    session: Session, *, start: datetime | None = None, end: datetime | None = None
) -> dict[str, int]:
    query = select(AuditEntry.action, func.count()).group_by(AuditEntry.action)
    if start is not None:
        query = query.where(AuditEntry.at >= start)
    if end is not None:
        query = query.where(AuditEntry.at < end)
    return {action: count for action, count in session.execute(query).tuples()}


def entry_out(entry: AuditEntry) -> dict[str, Any]:
    """An entry as exports show it (details parsed back from their JSON)."""
    return {
        "seq": entry.seq,
        "at": _moment(entry.at),
        "actor": entry.actor,
        "action": entry.action,
        "subject": entry.subject,
        "details": json.loads(entry.details),
        "prev_hash": entry.prev_hash,
        "hash": entry.hash,
    }

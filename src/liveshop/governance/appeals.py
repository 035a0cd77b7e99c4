"""Appeals: the penalised party asks, before the deadline, and another
moderator decides (never the one who imposed the penalty, nor, for a ladder
step, the one whose penalty triggered it). Overturning revokes the penalty: its
points stop counting and ``live`` / ``payments`` undo what they can."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from liveshop.accounts.models import User
from liveshop.core.bus import publish_after_commit
from liveshop.core.clock import utcnow
from liveshop.core.db import rows_changed
from liveshop.core.errors import Conflict, InvalidInput, NotFound
from liveshop.governance import access
from liveshop.governance.events import FineRevoked, ModerationActionRevoked
from liveshop.governance.models import (
    Appeal,
    AppealStatus,
    Penalty,
    PenaltyKind,
)
from liveshop.governance.penalties import (
    fined_shop_id,
    record_audit,
    subject_ref,
)
from liveshop.governance.queries import get_penalty

MAX_STATEMENT = 4_000


def file_appeal(
    session: Session,
    *,
    appellant: User,
    penalty_id: int,
    statement: str,
    now: datetime | None = None,
) -> Appeal:
    """The penalised user (or the penalised shop's owner or staff) appeals once."""
    penalty = get_penalty(session, penalty_id=penalty_id)
    access.require_appellant(session, user=appellant, penalty=penalty)
    moment = now or utcnow()
    if moment > penalty.appeal_deadline:
        raise Conflict("the appeal deadline has passed", code="appeal_too_late")
    if penalty.revoked_at is not None:
        raise Conflict("this penalty was revoked already", code="penalty_revoked")
    if not statement.strip() or len(statement) > MAX_STATEMENT:
        raise InvalidInput(f"say why, in 1 to {MAX_STATEMENT} characters", code="bad_statement")
    appeal = Appeal(
        penalty_id=penalty.id,
        appellant_id=appellant.id,
        statement=statement,
        status=AppealStatus.PENDING,
        created_at=moment,
    )
    try:
        with session.begin_nested():
            session.add(appeal)
    except IntegrityError as error:
        raise Conflict("this penalty was appealed already", code="appeal_exists") from error
    record_audit(
        session,
        actor_id=appellant.id,
        action="enforcement.appeal_filed",
        subject=f"penalty:{penalty.id}",
        details={"appeal_id": appeal.id},
    )
    return appeal


def decide_appeal(
    session: Session,
    *,
    moderator: User,
    appeal_id: int,
    overturn: bool,
    note: str,
    now: datetime | None = None,
) -> Appeal:
    """Uphold or overturn; a pending appeal is decided once (conditional update)."""
    access.require_moderator(moderator)
    appeal = session.get(Appeal, appeal_id)
    if appeal is None:
        raise NotFound(f"appeal {appeal_id} not found", code="appeal_not_found")
    penalty = get_penalty(session, penalty_id=appeal.penalty_id)
    access.require_appeal_decider(moderator, appeal=appeal, penalty=penalty)
    moment = now or utcnow()
    status = AppealStatus.OVERTURNED if overturn else AppealStatus.UPHELD
    decided = session.execute(
        update(Appeal)
        .where(Appeal.id == appeal.id, Appeal.status == AppealStatus.PENDING)
        .values(status=status, decided_by=moderator.id, decided_at=moment, decision_note=note)
    )
    if rows_changed(decided) != 1:
        raise Conflict("this appeal was decided already", code="appeal_decided")
    session.refresh(appeal)
    if overturn:
        revoke_penalty(session, penalty=penalty, by=moderator, now=moment)
    record_audit(
        session,
        actor_id=moderator.id,
        action=f"enforcement.appeal_{status.value}",
        subject=f"penalty:{penalty.id}",
        details={"appeal_id": appeal.id, "note": note},
    )
    return appeal


def revoke_penalty(session: Session, *, penalty: Penalty, by: User, now: datetime) -> None:
    revoked = session.execute(
        update(Penalty)
        .where(Penalty.id == penalty.id, Penalty.revoked_at.is_(None))
        .values(revoked_at=now, revoked_by=by.id)
    )
    if rows_changed(revoked) != 1:
        return
    session.refresh(penalty)
    publish_after_commit(
        session,
        ModerationActionRevoked(
            penalty_id=penalty.id,
            kind=penalty.kind.value,
            target_type=penalty.target_type or penalty.subject_type.value,
            target_id=penalty.target_id if penalty.target_id is not None else penalty.subject_id,
            subject_type=penalty.subject_type.value,
            subject_id=penalty.subject_id,
            room_id=penalty.room_id,
        ),
    )
    if penalty.kind is PenaltyKind.FINE and penalty.amount:
        publish_after_commit(
            session,
            FineRevoked(
                shop_id=fined_shop_id(session, penalty),
                amount=penalty.amount,
                penalty_id=penalty.id,
                currency=penalty.currency or "CNY",
            ),
        )
    record_audit(
        session,
        actor_id=by.id,
        action="enforcement.revoked",
        subject=subject_ref(penalty.subject_type, penalty.subject_id),
        details={"penalty_id": penalty.id, "kind": penalty.kind.value},
    )


def pending_appeals(session: Session, *, limit: int = 100) -> Sequence[Appeal]:
    return session.scalars(
        select(Appeal)
        .where(Appeal.status == AppealStatus.PENDING)
        .order_by(Appeal.created_at, Appeal.id)
        .limit(limit)
    ).all()


def appeal_of(session: Session, *, penalty_id: int) -> Appeal | None:
    return session.scalars(select(Appeal).where(Appeal.penalty_id == penalty_id)).first()

"""Enforcement: moderators' actions, violation points, the automatic ladder,
and the questions other packages ask (is this host suspended? is that room's
exposure limited?).

Every action is a :class:`Penalty` row that states the rule, the evidence and
the appeal deadline, is written to the audit log in the same transaction, and
leaves as a :class:`ModerationActionTaken` event after commit (``live`` acts on
rooms and comments; ``payments`` takes fines). Services flush; callers commit.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from liveshop.accounts.models import User
from liveshop.catalog import service as catalog
from liveshop.catalog.models import Shop
from liveshop.core.audit.log import append_audit, user_ref
from liveshop.core.bus import publish_after_commit
from liveshop.core.clock import utcnow
from liveshop.core.errors import InvalidInput, NotFound, PermissionDenied
from liveshop.core.rooms import room_facts
from liveshop.governance.access import is_host, require_moderator
from liveshop.governance.config import LadderStep, ModerationSettings
from liveshop.governance.events import FineImposed, ModerationActionTaken
from liveshop.governance.models import (
    Penalty,
    PenaltyKind,
    SubjectType,
    ViolationSubject,
)

LADDER_ACTOR = "system:ladder"
MAX_RULE = 200

# What each kind acts on: None means the subject itself (a user or a shop).
TARGET_OF_KIND: dict[PenaltyKind, str | None] = {
    PenaltyKind.DELETE_COMMENT: "comment",
    PenaltyKind.LIMIT_EXPOSURE: "room",
    PenaltyKind.STOP_ROOM: "room",
    PenaltyKind.MUTE: None,
    PenaltyKind.WARNING: None,
    PenaltyKind.FINE: None,
    PenaltyKind.SUSPENSION: None,
    PenaltyKind.BAN: None,
}


def record_audit(
    session: Session,
    *,
    actor_id: int | None,
    action: str,
    subject: str,
    details: Mapping[str, Any],
    system_actor: str = LADDER_ACTOR,
) -> None:
    """Every enforcement write goes to the hash-chained audit log through here;
    ``system_actor`` names the actor when no user acts (the ladder, the CLI)."""
    actor = user_ref(actor_id) if actor_id is not None else system_actor
    append_audit(session, actor=actor, action=action, subject=subject, details=details)


def subject_ref(subject_type: SubjectType, subject_id: int) -> str:
    return f"{subject_type.value}:{subject_id}"


@dataclass(frozen=True)
class ActionRequest:
    """What a moderator asks for. ``subject_*`` (whom it counts against) may be
    left out for a room (its host), a product (its shop), a user or a shop
    target; a comment needs it (from the report's evidence)."""

    kind: PenaltyKind
    rule: str
    target_type: str | None = None
    target_id: int | None = None
    subject_type: SubjectType | None = None
    subject_id: int | None = None
    room_id: int | None = None
    evidence: dict[str, Any] = field(default_factory=dict)
    minutes: int | None = None  # a mute
    days: int | None = None  # a suspension, or a limited exposure (None: until revoked)
    amount: int | None = None  # a fine, in 分
    points: int | None = None  # None: the configured points of the kind
    report_id: int | None = None


def resolve_subject(
    session: Session, *, target_type: str, target_id: int
) -> tuple[SubjectType, int]:
    """Whom an action on this target counts against."""
    if target_type == "user":
        if session.get(User, target_id) is None:
            raise NotFound(f"user {target_id} not found", code="user_not_found")
        return SubjectType.USER, target_id
    if target_type == "shop":
        if session.get(Shop, target_id) is None:
            raise NotFound(f"shop {target_id} not found", code="shop_not_found")
        return SubjectType.SHOP, target_id
    if target_type == "room":
        return SubjectType.USER, room_facts(session, target_id).host_id
    if target_type == "product":
        return SubjectType.SHOP, catalog.get_product(session, product_id=target_id).shop_id
    raise InvalidInput(
        f"say whom an action on a {target_type} counts against (subject_type, subject_id)",
        code="subject_required",
    )


def _validate(request: ActionRequest) -> None:
    if not request.rule.strip() or len(request.rule) > MAX_RULE:
        raise InvalidInput(f"name the rule broken (1 to {MAX_RULE} characters)", code="bad_rule")
    needed_target = TARGET_OF_KIND[request.kind]
    if needed_target is not None and (
        request.target_type != needed_target or request.target_id is None
    ):
        raise InvalidInput(f"{request.kind.value} acts on a {needed_target}", code="bad_target")
    if request.kind is PenaltyKind.MUTE and not request.minutes:
        raise InvalidInput("a mute needs minutes", code="minutes_required")
    if request.kind is PenaltyKind.SUSPENSION and not request.days:
        raise InvalidInput("a suspension needs days", code="days_required")
    if request.kind is PenaltyKind.FINE and not request.amount:
        raise InvalidInput("a fine needs an amount (分)", code="amount_required")
    for name in ("minutes", "days", "amount", "points"):
        value = getattr(request, name)
        if value is not None and value < 0:
            raise InvalidInput(f"{name} cannot be negative", code="bad_number")


def _ends_at(
    request: ActionRequest, now: datetime, settings: ModerationSettings
) -> datetime | None:
    if request.kind is PenaltyKind.MUTE and request.minutes:
        return now + timedelta(minutes=request.minutes)
    if request.kind is PenaltyKind.WARNING:
        return now + timedelta(days=settings.points_window_days)  # shown while it counts
    if request.kind in (PenaltyKind.SUSPENSION, PenaltyKind.LIMIT_EXPOSURE) and request.days:
        return now + timedelta(days=request.days)
    return None


def impose_penalty(
    session: Session,
    *,
    moderator: User,
    request: ActionRequest,
    settings: ModerationSettings,
    now: datetime | None = None,
) -> Penalty:
    """Take one action (a moderator's), then apply any ladder step it reaches."""
    require_moderator(moderator)
    _validate(request)
    subject_type, subject_id = request.subject_type, request.subject_id
    if subject_type is None or subject_id is None:
        if request.target_type is None or request.target_id is None:
            raise InvalidInput("name a target or a subject", code="subject_required")
        subject_type, subject_id = resolve_subject(
            session, target_type=request.target_type, target_id=request.target_id
        )
    if subject_type is SubjectType.USER and subject_id == moderator.id:
        raise PermissionDenied("a moderator does not penalise themselves", code="own_penalty")
    moment = now or utcnow()
    room_id = request.room_id
    if room_id is None and request.target_type == "room":
        room_id = request.target_id
    penalty = _add_penalty(
        session,
        kind=request.kind,
        subject=(subject_type, subject_id),
        target=(request.target_type, request.target_id),
        room_id=room_id,
        rule=request.rule,
        evidence=request.evidence,
        points=request.points if request.points is not None else settings.points_for(request.kind),
        amount=request.amount,
        ends_at=_ends_at(request, moment, settings),
        imposed_by=moderator.id,
        report_id=request.report_id,
        settings=settings,
        now=moment,
    )
    if penalty.points:
        apply_ladder(
            session,
            subject_type=subject_type,
            subject_id=subject_id,
            cause=penalty,
            settings=settings,
            now=moment,
        )
    return penalty


def _add_penalty(
    session: Session,
    *,
    kind: PenaltyKind,
    subject: tuple[SubjectType, int],
    target: tuple[str | None, int | None],
    room_id: int | None,
    rule: str,
    evidence: dict[str, Any],
    points: int,
    amount: int | None,
    ends_at: datetime | None,
    imposed_by: int | None,
    report_id: int | None,
    settings: ModerationSettings,
    now: datetime,
    ladder_step: int | None = None,
) -> Penalty:
    penalty = Penalty(
        kind=kind,
        subject_type=subject[0],
        subject_id=subject[1],
        target_type=target[0],
        target_id=target[1],
        room_id=room_id,
        rule=rule,
        evidence=evidence,
        points=points,
        amount=amount if kind is PenaltyKind.FINE else None,
        currency=settings.currency if kind is PenaltyKind.FINE else None,
        starts_at=now,
        ends_at=ends_at,
        appeal_deadline=now + timedelta(days=settings.appeal_days),
        imposed_by=imposed_by,
        report_id=report_id,
        ladder_step=ladder_step,
        created_at=now,
    )
    session.add(penalty)
    session.flush()
    _announce(session, penalty)
    record_audit(
        session,
        actor_id=imposed_by,
        action=f"enforcement.{kind.value}",
        subject=subject_ref(*subject),
        details={
            "penalty_id": penalty.id,
            "rule": rule,
            "points": points,
            "amount": penalty.amount,
            "target": f"{target[0]}:{target[1]}" if target[0] else None,
            "until": ends_at.isoformat() if ends_at else None,
            "report_id": report_id,
            "ladder_step": ladder_step,
        },
    )
    return penalty


def _announce(session: Session, penalty: Penalty) -> None:
    target_type = penalty.target_type or penalty.subject_type.value
    target_id = penalty.target_id if penalty.target_id is not None else penalty.subject_id
    publish_after_commit(
        session,
        ModerationActionTaken(
            penalty_id=penalty.id,
            kind=penalty.kind.value,
            target_type=target_type,
            target_id=target_id,
            subject_type=penalty.subject_type.value,
            subject_id=penalty.subject_id,
            room_id=penalty.room_id,
            until=penalty.ends_at,
            rule=penalty.rule,
        ),
    )
    if penalty.kind is PenaltyKind.FINE and penalty.amount:
        publish_after_commit(
            session,
            FineImposed(
                shop_id=fined_shop_id(session, penalty),
                amount=penalty.amount,
                penalty_id=penalty.id,
                currency=penalty.currency or "CNY",
                subject_type=penalty.subject_type.value,
                subject_id=penalty.subject_id,
            ),
        )


def fined_shop_id(session: Session, penalty: Penalty) -> int | None:
    """The shop whose deposit pays a fine: the shop itself, or the host's own shop."""
    if penalty.subject_type is SubjectType.SHOP:
        return penalty.subject_id
    user = session.get(User, penalty.subject_id)
    shop = catalog.shop_of(session, user=user) if user is not None else None
    return shop.id if shop is not None else None


# --- violation points and the ladder ---


def _lock_subject(session: Session, subject_type: SubjectType, subject_id: int) -> ViolationSubject:
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    session.execute(
        dialect.insert(ViolationSubject)
        .values(subject_type=subject_type, subject_id=subject_id, points=0, updated_at=utcnow())
        .on_conflict_do_nothing()
    )
    return session.get_one(
        ViolationSubject,
        (subject_type, subject_id),
        with_for_update=True,
        populate_existing=True,
    )


def violation_points(
    session: Session,
    *,
    subject_type: SubjectType,
    subject_id: int,
    settings: ModerationSettings,
    now: datetime | None = None,
) -> int:
    """Points of the subject's unrevoked penalties in the rolling window."""
    since = (now or utcnow()) - timedelta(days=settings.points_window_days)
    total = session.scalar(
        select(func.coalesce(func.sum(Penalty.points), 0)).where(
            Penalty.subject_type == subject_type,
            Penalty.subject_id == subject_id,
            Penalty.revoked_at.is_(None),
            Penalty.created_at >= since,
        )
    )
    return int(total or 0)


def apply_ladder(
    session: Session,
    *,
    subject_type: SubjectType,
    subject_id: int,
    cause: Penalty,
    settings: ModerationSettings,
    now: datetime,
) -> list[Penalty]:
    """Apply every ladder step the subject's points reach and that was not applied
    (unrevoked) in the window. Holds the subject's row lock, so concurrent
    penalties apply each step once."""
    row = _lock_subject(session, subject_type, subject_id)
    points = violation_points(
        session, subject_type=subject_type, subject_id=subject_id, settings=settings, now=now
    )
    row.points, row.updated_at = points, now
    since = now - timedelta(days=settings.points_window_days)
    applied = set(
        session.scalars(
            select(Penalty.ladder_step).where(
                Penalty.subject_type == subject_type,
                Penalty.subject_id == subject_id,
                Penalty.ladder_step.is_not(None),
                Penalty.revoked_at.is_(None),
                Penalty.created_at >= since,
            )
        ).all()
    )
    imposed = []
    for index, step in enumerate(settings.ladder):
        if points < step.points or index in applied:
            continue
        if step.kind is PenaltyKind.FINE and not _has_deposit(session, subject_type, subject_id):
            continue
        subject = (subject_type, subject_id)
        imposed.append(_apply_step(session, subject, index, step, points, cause, settings, now))
    return imposed


def _has_deposit(session: Session, subject_type: SubjectType, subject_id: int) -> bool:
    """Fines come from a deposit: shops and hosts have one, viewers do not."""
    if subject_type is SubjectType.SHOP:
        return True
    user = session.get(User, subject_id)
    return user is not None and is_host(user)


def _apply_step(
    session: Session,
    subject: tuple[SubjectType, int],
    index: int,
    step: LadderStep,
    points: int,
    cause: Penalty,
    settings: ModerationSettings,
    now: datetime,
) -> Penalty:
    ends_at = None
    if step.kind is PenaltyKind.SUSPENSION and step.days:
        ends_at = now + timedelta(days=step.days)
    elif step.kind is PenaltyKind.WARNING:
        ends_at = now + timedelta(days=settings.points_window_days)
    return _add_penalty(
        session,
        kind=step.kind,
        subject=subject,
        target=(None, None),
        room_id=None,
        rule=(
            f"ladder step {index + 1}: {points} violation points in "
            f"{settings.points_window_days} days (threshold {step.points})"
        ),
        evidence={
            "points": points,
            "window_days": settings.points_window_days,
            "threshold": step.points,
            "triggered_by_penalty": cause.id,
            "triggered_by_moderator": cause.imposed_by,
        },
        points=0,
        amount=step.amount,
        ends_at=ends_at,
        imposed_by=None,
        report_id=cause.report_id,
        settings=settings,
        now=now,
        ladder_step=index,
    )

"""Reports and the moderation queue.

A viewer reports a comment, room, product or user. The report keeps the
evidence a moderator needs: what the platform itself knows of the target
(captured now, through an evidence source: ``live`` gives one for comments,
registered by ``liveshop.wiring``, since moderation may not import it;
products, users and rooms are read here) beside what the reporter sent
(kept apart: it is their word, not a fact). Moderators claim a report (one at a
time; a claim lapses after ``claim_minutes``), then dismiss it or act on it
through enforcement.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from liveshop.accounts.models import User
from liveshop.catalog import service as catalog
from liveshop.core.bus import publish_after_commit
from liveshop.core.clock import utcnow
from liveshop.core.db import rows_changed
from liveshop.core.errors import Conflict, InvalidInput, NotFound
from liveshop.core.rooms import room_facts
from liveshop.governance.access import require_moderator, require_reporter
from liveshop.governance.config import ModerationSettings
from liveshop.governance.events import ReportActioned
from liveshop.governance.models import (
    Penalty,
    Report,
    ReportStatus,
    ReportTarget,
    SubjectType,
)
from liveshop.governance.penalties import ActionRequest, impose_penalty, record_audit

MAX_DETAILS = 2_000


class ReportReason(enum.StrEnum):
    SPAM = "spam"
    ABUSE = "abuse"
    PORN = "porn"
    GAMBLING = "gambling"
    DRUGS = "drugs"
    VIOLENCE = "violence"
    FRAUD = "fraud"
    OFF_PLATFORM_TRADING = "off_platform_trading"
    FALSE_ADVERTISING = "false_advertising"
    COUNTERFEIT = "counterfeit"
    MINOR_SAFETY = "minor_safety"
    OTHER = "other"


@dataclass(frozen=True)
class CapturedEvidence:
    """What the platform knows of a reported target when it is reported.

    ``facts`` is JSON: for a comment, ``{"message": ..., "author_id": ...,
    "room_id": ..., "at": ISO time, "context": [{"author_id", "text", "at",
    "reported"}, ...]}`` (the chat around it in order, the reported line among
    them marked ``reported``); for a room, its host and status.
    """

    accused_user_id: int | None = None
    accused_shop_id: int | None = None
    room_id: int | None = None
    facts: dict[str, Any] = field(default_factory=dict)


# None: the platform cannot tell yet (a comment the hub has not written yet); the
# report then keeps the reporter's copy alone.
EvidenceSource = Callable[[Session, int], CapturedEvidence | None]
_sources: dict[ReportTarget, EvidenceSource] = {}


def register_evidence_source(target_type: ReportTarget, source: EvidenceSource) -> None:
    """``liveshop.wiring`` registers live's source for comments."""
    _sources[target_type] = source


def registered_evidence_source(target_type: ReportTarget) -> EvidenceSource | None:
    return _sources.get(target_type)


def unregister_evidence_source(target_type: ReportTarget) -> None:
    _sources.pop(target_type, None)


def _product_evidence(session: Session, product_id: int) -> CapturedEvidence:
    product = catalog.get_product(session, product_id=product_id)
    return CapturedEvidence(
        accused_shop_id=product.shop_id,
        facts={"title": product.title, "category": product.category, "shop_id": product.shop_id},
    )


def _user_evidence(session: Session, user_id: int) -> CapturedEvidence:
    if session.get(User, user_id) is None:
        raise NotFound(f"user {user_id} not found", code="user_not_found")
    return CapturedEvidence(accused_user_id=user_id)


def _room_evidence(session: Session, room_id: int) -> CapturedEvidence:
    facts = room_facts(session, room_id)
    return CapturedEvidence(
        accused_user_id=facts.host_id,
        room_id=facts.id,
        facts={"host_id": facts.host_id, "status": facts.status},
    )


_BUILT_IN: dict[ReportTarget, EvidenceSource] = {
    ReportTarget.PRODUCT: _product_evidence,
    ReportTarget.USER: _user_evidence,
    ReportTarget.ROOM: _room_evidence,
}


def capture_evidence(
    session: Session, *, target_type: ReportTarget, target_id: int
) -> CapturedEvidence | None:
    """The registered (or built-in) source's evidence; None if nobody can tell (no
    source registered, or a comment not stored yet): the reporter's copy is kept."""
    source = _sources.get(target_type) or _BUILT_IN.get(target_type)
    if source is None:
        return None
    try:
        return source(session, target_id)
    except RuntimeError:  # the room lookup is not registered (live not loaded)
        return None


def _int_or_none(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def file_report(
    session: Session,
    *,
    reporter: User,
    target_type: ReportTarget,
    target_id: int,
    reason: ReportReason,
    details: str = "",
    evidence: dict[str, Any] | None = None,
    now: datetime | None = None,
) -> Report:
    """Queue a report. ``evidence`` is the reporter's copy (the message, the lines
    around it, the room and time), stored beside what the platform captured."""
    require_reporter(reporter)
    if len(details) > MAX_DETAILS:
        raise InvalidInput(f"details are at most {MAX_DETAILS} characters", code="bad_details")
    if target_type is ReportTarget.USER and target_id == reporter.id:
        raise InvalidInput("you cannot report yourself", code="self_report")
    captured = capture_evidence(session, target_type=target_type, target_id=target_id)
    sent = dict(evidence or {})
    accused_user = captured.accused_user_id if captured else _int_or_none(sent.get("author_id"))
    room_id = (
        captured.room_id if captured and captured.room_id else _int_or_none(sent.get("room_id"))
    )
    report = Report(
        reporter_id=reporter.id,
        target_type=target_type,
        target_id=target_id,
        reason=reason.value,
        details=details,
        evidence={"captured": captured.facts if captured else None, "reported": sent},
        accused_user_id=accused_user,
        accused_shop_id=captured.accused_shop_id if captured else None,
        room_id=room_id,
        status=ReportStatus.OPEN,
        created_at=now or utcnow(),
    )
    try:
        with session.begin_nested():
            session.add(report)
    except IntegrityError as error:
        raise Conflict(
            "you reported this already; it is in the queue", code="already_reported"
        ) from error
    return report


def moderation_queue(
    session: Session,
    *,
    moderator: User,
    status: ReportStatus | None = None,
    limit: int = 50,
) -> Sequence[Report]:
    """Unresolved reports, oldest first (or those of one status)."""
    require_moderator(moderator)
    statuses = [status] if status else [ReportStatus.OPEN, ReportStatus.CLAIMED]
    return session.scalars(
        select(Report)
        .where(Report.status.in_(statuses))
        .order_by(Report.created_at, Report.id)
        .limit(limit)
    ).all()


def get_report(session: Session, *, report_id: int) -> Report:
    report = session.get(Report, report_id)
    if report is None:
        raise NotFound(f"report {report_id} not found", code="report_not_found")
    return report


def claim_report(
    session: Session,
    *,
    moderator: User,
    report_id: int,
    settings: ModerationSettings,
    now: datetime | None = None,
) -> Report:
    """Take a report to work on: open, mine already, or another's lapsed claim."""
    require_moderator(moderator)
    report = get_report(session, report_id=report_id)
    moment = now or utcnow()
    lapsed = moment - timedelta(minutes=settings.claim_minutes)
    claimed = session.execute(
        update(Report)
        .where(
            Report.id == report.id,
            or_(
                Report.status == ReportStatus.OPEN,
                and_(
                    Report.status == ReportStatus.CLAIMED,
                    or_(Report.claimed_by == moderator.id, Report.claimed_at < lapsed),
                ),
            ),
        )
        .values(status=ReportStatus.CLAIMED, claimed_by=moderator.id, claimed_at=moment)
    )
    if rows_changed(claimed) != 1:
        raise Conflict("another moderator is on this report, or it is closed", code="claimed")
    session.refresh(report)
    record_audit(
        session,
        actor_id=moderator.id,
        action="moderation.report_claimed",
        subject=f"report:{report.id}",
        details={},
    )
    return report


@dataclass(frozen=True)
class ReportDecision:
    """Dismiss (``action`` None), or act: ``action`` is the penalty to impose; its
    target and subject default to the report's target and accused."""

    resolution: str
    action: ActionRequest | None = None


def decide_report(
    session: Session,
    *,
    moderator: User,
    report_id: int,
    decision: ReportDecision,
    settings: ModerationSettings,
    now: datetime | None = None,
) -> tuple[Report, Penalty | None]:
    """Close a report I claimed; other open reports of the same target close with it."""
    require_moderator(moderator)
    report = get_report(session, report_id=report_id)
    moment = now or utcnow()
    status = ReportStatus.DISMISSED if decision.action is None else ReportStatus.ACTIONED
    # The report and the other open reports of its target close the same way.
    closing = {"status": status, "resolved_by": moderator.id, "resolved_at": moment}
    closed = session.execute(
        update(Report)
        .where(
            Report.id == report.id,
            Report.status == ReportStatus.CLAIMED,
            Report.claimed_by == moderator.id,
        )
        .values(**closing, resolution=decision.resolution)
    )
    if rows_changed(closed) != 1:
        raise Conflict("claim the report first (or it was decided already)", code="not_claimed")
    penalty = None
    if decision.action is not None:
        penalty = impose_penalty(
            session,
            moderator=moderator,
            request=_action_for(report, decision.action),
            settings=settings,
            now=moment,
        )
    session.execute(
        update(Report)
        .where(
            Report.target_type == report.target_type,
            Report.target_id == report.target_id,
            Report.status == ReportStatus.OPEN,
        )
        .values(
            **closing,
            resolution=f"closed with report {report.id}",
            penalty_id=penalty.id if penalty else None,
        )
    )
    report.penalty_id = penalty.id if penalty else None
    session.flush()
    session.refresh(report)
    if status is ReportStatus.ACTIONED:
        publish_after_commit(
            session,
            ReportActioned(
                report_id=report.id,
                target_type=report.target_type.value,
                target_id=report.target_id,
                penalty_id=report.penalty_id,
            ),
        )
    record_audit(
        session,
        actor_id=moderator.id,
        action=f"moderation.report_{status.value}",
        subject=f"report:{report.id}",
        details={"resolution": decision.resolution, "penalty_id": report.penalty_id},
    )
    return report, penalty


def _action_for(report: Report, action: ActionRequest) -> ActionRequest:
    """The requested action, completed from the report (target, accused, evidence)."""
    target_type = action.target_type or report.target_type.value
    target_id = action.target_id if action.target_id is not None else report.target_id
    subject_type, subject_id = action.subject_type, action.subject_id
    if subject_type is None and target_type == report.target_type.value:
        if report.accused_user_id is not None:
            subject_type, subject_id = SubjectType.USER, report.accused_user_id
        elif report.accused_shop_id is not None:
            subject_type, subject_id = SubjectType.SHOP, report.accused_shop_id
    return ActionRequest(
        kind=action.kind,
        rule=action.rule,
        target_type=target_type if target_type in ("comment", "room") else None,
        target_id=target_id if target_type in ("comment", "room") else None,
        subject_type=subject_type,
        subject_id=subject_id,
        room_id=action.room_id if action.room_id is not None else report.room_id,
        evidence={"report_id": report.id, **report.evidence, **action.evidence},
        minutes=action.minutes,
        days=action.days,
        amount=action.amount,
        points=action.points,
        report_id=report.id,
    )

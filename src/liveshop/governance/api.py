"""Routes of reports, the moderation queue, penalties and appeals, scores,
qualifications, identity verification and sampling inspections.

Thin: each parses, authorises (the services check roles and ownership too),
calls one service function and returns a schema. ``routers`` lists them all
for ``app.py`` to include.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query

from liveshop.accounts.dependencies import CurrentUser
from liveshop.catalog import service as catalog
from liveshop.core.dependencies import DbSession, RowId, SettingsDep
from liveshop.core.errors import NotFound
from liveshop.governance import access, inspections, queries
from liveshop.governance import appeals as enforcement_appeals
from liveshop.governance import penalties as enforcement
from liveshop.governance import reports as report_service
from liveshop.governance.config import ModerationSettings, get_moderation_settings
from liveshop.governance.models import (
    InspectionResult,
    ReportStatus,
    SubjectType,
)
from liveshop.governance.qualifications import grants as qualifications
from liveshop.governance.qualifications import identity
from liveshop.governance.qualifications.models import QualificationStatus
from liveshop.governance.schemas import (
    ActionIn,
    AppealDecisionIn,
    AppealIn,
    AppealOut,
    DecisionOut,
    InspectionOut,
    InspectionResultIn,
    MyScoresOut,
    PenaltyOut,
    QualificationDecisionIn,
    QualificationIn,
    QualificationOut,
    ReportDecisionIn,
    ReportFiledOut,
    ReportIn,
    ReportOut,
    SampleIn,
    ScoreOut,
    VerificationIn,
    VerificationOut,
)
from liveshop.governance.scores import compute_score

ModerationSettingsDep = Annotated[ModerationSettings, Depends(get_moderation_settings)]
Limit = Annotated[int, Query(ge=1, le=200)]

reports_router = APIRouter(tags=["moderation"])
moderation_router = APIRouter(prefix="/api/moderation", tags=["moderation"])
penalties_router = APIRouter(prefix="/api/penalties", tags=["moderation"])
qualifications_router = APIRouter(tags=["qualifications"])
inspections_router = APIRouter(prefix="/api/admin/inspections", tags=["inspections"])


@reports_router.post("/api/reports", status_code=201)
def file_report(body: ReportIn, user: CurrentUser, session: DbSession) -> ReportFiledOut:
    report = report_service.file_report(
        session,
        reporter=user,
        target_type=body.target_type,
        target_id=body.target_id,
        reason=body.reason,
        details=body.details,
        evidence=body.evidence.model_dump(mode="json", exclude_none=True)
        if body.evidence
        else None,
    )
    return ReportFiledOut(id=report.id, status=report.status.value)


@moderation_router.get("/queue")
def queue(
    user: CurrentUser, session: DbSession, status: ReportStatus | None = None, limit: Limit = 50
) -> list[ReportOut]:
    items = report_service.moderation_queue(session, moderator=user, status=status, limit=limit)
    return [ReportOut.of(report) for report in items]


@moderation_router.post("/reports/{report_id}/claim")
def claim(
    report_id: RowId, user: CurrentUser, session: DbSession, settings: ModerationSettingsDep
) -> ReportOut:
    report = report_service.claim_report(
        session, moderator=user, report_id=report_id, settings=settings
    )
    return ReportOut.of(report)


@moderation_router.post("/reports/{report_id}/decision")
def decide(
    report_id: RowId,
    body: ReportDecisionIn,
    user: CurrentUser,
    session: DbSession,
    settings: ModerationSettingsDep,
) -> DecisionOut:
    decision = report_service.ReportDecision(
        resolution=body.resolution,
        action=body.action.request(report_id=report_id) if body.action else None,
    )
    report, penalty = report_service.decide_report(
        session, moderator=user, report_id=report_id, decision=decision, settings=settings
    )
    return DecisionOut(
        report=ReportOut.of(report), penalty=PenaltyOut.of(penalty) if penalty else None
    )


@moderation_router.post("/actions", status_code=201)
def act(
    body: ActionIn, user: CurrentUser, session: DbSession, settings: ModerationSettingsDep
) -> PenaltyOut:
    """An action without a report (a moderator watching a room)."""
    penalty = enforcement.impose_penalty(
        session, moderator=user, request=body.request(), settings=settings
    )
    return PenaltyOut.of(penalty)


@moderation_router.get("/appeals")
def appeals(user: CurrentUser, session: DbSession, limit: Limit = 100) -> list[AppealOut]:
    access.require_moderator(user)
    return [
        AppealOut.of(item) for item in enforcement_appeals.pending_appeals(session, limit=limit)
    ]


@moderation_router.post("/appeals/{appeal_id}/decision")
def decide_appeal(
    appeal_id: RowId, body: AppealDecisionIn, user: CurrentUser, session: DbSession
) -> AppealOut:
    appeal = enforcement_appeals.decide_appeal(
        session, moderator=user, appeal_id=appeal_id, overturn=body.overturn, note=body.note
    )
    return AppealOut.of(appeal)


@penalties_router.get("/mine")
def my_penalties(user: CurrentUser, session: DbSession) -> list[PenaltyOut]:
    """Penalties against me and, for a shop's people, against the shop."""
    mine = list(queries.penalties_of(session, subject_type=SubjectType.USER, subject_id=user.id))
    shop = catalog.shop_of(session, user=user)
    if shop is not None:
        mine += queries.penalties_of(session, subject_type=SubjectType.SHOP, subject_id=shop.id)
    return [PenaltyOut.of(penalty) for penalty in mine]


@penalties_router.get("/warnings")
def my_warnings(user: CurrentUser, session: DbSession) -> list[PenaltyOut]:
    """The host console's warnings in force."""
    return [PenaltyOut.of(item) for item in queries.active_warnings(session, user.id)]


@penalties_router.get("/{penalty_id}")
def penalty(penalty_id: RowId, user: CurrentUser, session: DbSession) -> PenaltyOut:
    found = queries.get_penalty(session, penalty_id=penalty_id)
    access.require_penalty_reader(session, user=user, penalty=found)
    return PenaltyOut.of(found)


@penalties_router.post("/{penalty_id}/appeal", status_code=201)
def appeal(penalty_id: RowId, body: AppealIn, user: CurrentUser, session: DbSession) -> AppealOut:
    filed = enforcement_appeals.file_appeal(
        session, appellant=user, penalty_id=penalty_id, statement=body.statement
    )
    return AppealOut.of(filed)


@reports_router.get("/api/scores/mine")
def my_scores(
    user: CurrentUser, session: DbSession, settings: ModerationSettingsDep
) -> MyScoresOut:
    """My host credit score (hosts) and my shop's score (a shop's people), with reasons."""
    host = None
    if access.is_host(user):
        host = compute_score(
            session, subject_type=SubjectType.USER, subject_id=user.id, settings=settings
        )
    shop = catalog.shop_of(session, user=user)
    shop_score = (
        compute_score(session, subject_type=SubjectType.SHOP, subject_id=shop.id, settings=settings)
        if shop is not None
        else None
    )
    return MyScoresOut(
        host=ScoreOut.of(host) if host else None,
        shop=ScoreOut.of(shop_score) if shop_score else None,
        flash_sale_min_score=settings.flash_sale_min_score,
    )


@qualifications_router.post("/api/qualifications", status_code=201)
def submit_qualification(
    body: QualificationIn, user: CurrentUser, session: DbSession, settings: ModerationSettingsDep
) -> QualificationOut:
    item = qualifications.submit_qualification(
        session,
        merchant=user,
        kind=body.kind,
        documents=[qualifications.Document(name=d.name, url=d.url) for d in body.documents],
        details=body.details,
        category=body.category,
        product_id=body.product_id,
        valid_until=body.valid_until,
        settings=settings,
    )
    return QualificationOut.of(item)


@qualifications_router.get("/api/qualifications/mine")
def my_qualifications(user: CurrentUser, session: DbSession) -> list[QualificationOut]:
    return [
        QualificationOut.of(i) for i in qualifications.shop_qualifications(session, merchant=user)
    ]


@qualifications_router.get("/api/admin/qualifications")
def review_queue(
    user: CurrentUser,
    session: DbSession,
    status: QualificationStatus | None = QualificationStatus.PENDING,
    limit: Limit = 100,
) -> list[QualificationOut]:
    items = qualifications.list_qualifications(session, admin=user, status=status, limit=limit)
    return [QualificationOut.of(item) for item in items]


@qualifications_router.post("/api/admin/qualifications/{qualification_id}/decision")
def decide_qualification(
    qualification_id: RowId, body: QualificationDecisionIn, user: CurrentUser, session: DbSession
) -> QualificationOut:
    item = qualifications.decide_qualification(
        session, admin=user, qualification_id=qualification_id, approve=body.approve, note=body.note
    )
    return QualificationOut.of(item)


@qualifications_router.post("/api/me/verification", status_code=201)
def verify_me(
    body: VerificationIn,
    user: CurrentUser,
    session: DbSession,
    settings: SettingsDep,
    moderation_settings: ModerationSettingsDep,
) -> VerificationOut:
    verification = identity.verify_identity(
        session,
        user=user,
        real_name=body.real_name,
        id_number=body.id_number,
        birth_date=body.birth_date,
        guardian_consent=body.guardian_consent,
        secret_key=settings.resolved_secret_key(),
        settings=moderation_settings,
    )
    return VerificationOut.of(verification)


@qualifications_router.get("/api/me/verification")
def my_verification(user: CurrentUser, session: DbSession) -> VerificationOut:
    verification = identity.identity_of(session, user_id=user.id)
    if verification is None:
        raise NotFound("you have not verified your identity", code="not_verified")
    return VerificationOut.of(verification)


@inspections_router.post("/sample", status_code=201)
def sample(body: SampleIn, user: CurrentUser, session: DbSession) -> list[InspectionOut]:
    access.require_admin(user, doing="run inspections")
    picked = inspections.sample_inspections(
        session, of=body.of, rate=inspections.parse_rate(body.rate), seed=body.seed, actor=user
    )
    return [InspectionOut.of(item) for item in picked]


@inspections_router.get("")
def list_inspections(
    user: CurrentUser,
    session: DbSession,
    result: InspectionResult | None = None,
    limit: Limit = 100,
) -> list[InspectionOut]:
    access.require_admin(user, doing="run inspections")
    items = inspections.list_inspections(session, result=result, limit=limit)
    return [InspectionOut.of(item) for item in items]


@inspections_router.post("/{inspection_id}/result")
def record(
    inspection_id: RowId, body: InspectionResultIn, user: CurrentUser, session: DbSession
) -> InspectionOut:
    access.require_admin(user, doing="run inspections")
    item = inspections.record_inspection(
        session,
        inspection_id=inspection_id,
        result=body.result,
        findings=body.findings,
        inspector=user,
    )
    return InspectionOut.of(item)


routers = [
    reports_router,
    moderation_router,
    penalties_router,
    qualifications_router,
    inspections_router,
]

"""Pydantic in and out for reports, penalties, appeals, scores, qualifications,
identity verification and inspections."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, Field

from liveshop.core.validation import PlainText
from liveshop.governance.models import (
    Appeal,
    Inspection,
    InspectionResult,
    InspectionTarget,
    Penalty,
    PenaltyKind,
    Report,
    ReportTarget,
    SubjectType,
)
from liveshop.governance.penalties import ActionRequest
from liveshop.governance.qualifications.identity import mask_real_name
from liveshop.governance.qualifications.models import (
    IdentityVerification,
    Qualification,
    QualificationKind,
)
from liveshop.governance.reports import ReportReason
from liveshop.governance.scores import Score

MAX_ID = 2**31 - 1
RowRef = Field(ge=1, le=MAX_ID)
# What a report or an action names: a row, or a chat comment, whose ids the hub
# mints as 63-bit numbers (see core.ids).
MAX_TARGET_ID = 2**63 - 1
TargetRef = Field(ge=1, le=MAX_TARGET_ID)


class ContextLine(BaseModel):
    author_id: int | None = Field(default=None, ge=1, le=MAX_ID)
    text: PlainText = Field(max_length=500)
    at: datetime | None = None


class EvidenceIn(BaseModel):
    """The reporter's copy: the message, the chat around it, the room and time."""

    message: PlainText | None = Field(default=None, max_length=1_000)
    author_id: int | None = Field(default=None, ge=1, le=MAX_ID)
    room_id: int | None = Field(default=None, ge=1, le=MAX_ID)
    at: datetime | None = None
    context: list[ContextLine] = Field(default_factory=list, max_length=50)


class ReportIn(BaseModel):
    target_type: ReportTarget
    target_id: int = TargetRef
    reason: ReportReason
    details: PlainText = Field(default="", max_length=2_000)
    evidence: EvidenceIn | None = None


class ReportOut(BaseModel):
    id: int
    target_type: ReportTarget
    target_id: int
    reason: str
    details: str
    status: str
    evidence: dict[str, Any]
    accused_user_id: int | None
    accused_shop_id: int | None
    room_id: int | None
    claimed_by: int | None
    created_at: datetime
    resolution: str
    penalty_id: int | None

    @classmethod
    def of(cls, report: Report) -> ReportOut:
        return cls(
            id=report.id,
            target_type=report.target_type,
            target_id=report.target_id,
            reason=report.reason,
            details=report.details,
            status=report.status.value,
            evidence=report.evidence,
            accused_user_id=report.accused_user_id,
            accused_shop_id=report.accused_shop_id,
            room_id=report.room_id,
            claimed_by=report.claimed_by,
            created_at=report.created_at,
            resolution=report.resolution,
            penalty_id=report.penalty_id,
        )


class ReportFiledOut(BaseModel):
    """What the reporter sees of their report (not the queue's view)."""

    id: int
    status: str


class ActionIn(BaseModel):
    kind: PenaltyKind
    rule: PlainText = Field(min_length=1, max_length=200)
    target_type: str | None = Field(default=None, pattern="^(comment|room|user|shop|product)$")
    target_id: int | None = Field(default=None, ge=1, le=MAX_TARGET_ID)
    subject_type: SubjectType | None = None
    subject_id: int | None = Field(default=None, ge=1, le=MAX_ID)
    room_id: int | None = Field(default=None, ge=1, le=MAX_ID)
    evidence: dict[PlainText, Any] = Field(default_factory=dict, max_length=50)
    minutes: int | None = Field(default=None, ge=1, le=60 * 24 * 365)
    days: int | None = Field(default=None, ge=1, le=3_650)
    amount: int | None = Field(default=None, ge=1, le=MAX_ID)
    points: int | None = Field(default=None, ge=0, le=1_000)

    def request(self, *, report_id: int | None = None) -> ActionRequest:
        return ActionRequest(
            kind=self.kind,
            rule=self.rule,
            target_type=self.target_type,
            target_id=self.target_id,
            subject_type=self.subject_type,
            subject_id=self.subject_id,
            room_id=self.room_id,
            evidence=self.evidence,
            minutes=self.minutes,
            days=self.days,
            amount=self.amount,
            points=self.points,
            report_id=report_id,
        )


class ReportDecisionIn(BaseModel):
    resolution: PlainText = Field(min_length=1, max_length=2_000)
    action: ActionIn | None = None  # None: dismiss


class PenaltyOut(BaseModel):
    id: int
    kind: PenaltyKind
    subject_type: SubjectType
    subject_id: int
    target_type: str | None
    target_id: int | None
    room_id: int | None
    rule: str
    evidence: dict[str, Any]
    points: int
    amount: int | None
    currency: str | None
    starts_at: datetime
    ends_at: datetime | None
    appeal_deadline: datetime
    automatic: bool
    report_id: int | None
    revoked_at: datetime | None

    @classmethod
    def of(cls, penalty: Penalty) -> PenaltyOut:
        return cls(
            id=penalty.id,
            kind=penalty.kind,
            subject_type=penalty.subject_type,
            subject_id=penalty.subject_id,
            target_type=penalty.target_type,
            target_id=penalty.target_id,
            room_id=penalty.room_id,
            rule=penalty.rule,
            evidence=penalty.evidence,
            points=penalty.points,
            amount=penalty.amount,
            currency=penalty.currency,
            starts_at=penalty.starts_at,
            ends_at=penalty.ends_at,
            appeal_deadline=penalty.appeal_deadline,
            automatic=penalty.imposed_by is None,
            report_id=penalty.report_id,
            revoked_at=penalty.revoked_at,
        )


class DecisionOut(BaseModel):
    report: ReportOut
    penalty: PenaltyOut | None


class AppealIn(BaseModel):
    statement: PlainText = Field(min_length=1, max_length=4_000)


class AppealDecisionIn(BaseModel):
    overturn: bool
    note: PlainText = Field(default="", max_length=2_000)


class AppealOut(BaseModel):
    id: int
    penalty_id: int
    appellant_id: int
    statement: str
    status: str
    decided_by: int | None
    decided_at: datetime | None
    decision_note: str
    created_at: datetime

    @classmethod
    def of(cls, appeal: Appeal) -> AppealOut:
        return cls(
            id=appeal.id,
            penalty_id=appeal.penalty_id,
            appellant_id=appeal.appellant_id,
            statement=appeal.statement,
            status=appeal.status.value,
            decided_by=appeal.decided_by,
            decided_at=appeal.decided_at,
            decision_note=appeal.decision_note,
            created_at=appeal.created_at,
        )


class ScoreReasonOut(BaseModel):
    code: str
    deduction: int
    detail: str


class ScoreOut(BaseModel):
    subject_type: SubjectType
    subject_id: int
    value: int
    base: int
    reasons: list[ScoreReasonOut]

    @classmethod
    def of(cls, score: Score) -> ScoreOut:
        return cls(
            subject_type=score.subject_type,
            subject_id=score.subject_id,
            value=score.value,
            base=score.base,
            reasons=[
                ScoreReasonOut(code=r.code, deduction=r.deduction, detail=r.detail)
                for r in score.reasons
            ],
        )


class MyScoresOut(BaseModel):
    host: ScoreOut | None
    shop: ScoreOut | None
    flash_sale_min_score: int


class DocumentIn(BaseModel):
    name: PlainText = Field(min_length=1, max_length=200)
    url: PlainText = Field(min_length=1, max_length=2_000)


class QualificationIn(BaseModel):
    kind: QualificationKind
    category: PlainText | None = Field(default=None, max_length=60)
    product_id: int | None = Field(default=None, ge=1, le=MAX_ID)
    details: dict[PlainText, PlainText] = Field(default_factory=dict, max_length=30)
    documents: list[DocumentIn] = Field(min_length=1, max_length=20)
    valid_until: date | None = None


class QualificationDecisionIn(BaseModel):
    approve: bool
    note: PlainText = Field(default="", max_length=2_000)


class QualificationOut(BaseModel):
    id: int
    shop_id: int
    kind: QualificationKind
    category: str | None
    product_id: int | None
    details: dict[str, Any]
    documents: list[dict[str, str]]
    valid_until: date | None
    status: str
    submitted_at: datetime
    reviewed_at: datetime | None
    review_note: str

    @classmethod
    def of(cls, item: Qualification) -> QualificationOut:
        return cls(
            id=item.id,
            shop_id=item.shop_id,
            kind=item.kind,
            category=item.category,
            product_id=item.product_id,
            details=item.details,
            documents=item.documents,
            valid_until=item.valid_until,
            status=item.status.value,
            submitted_at=item.submitted_at,
            reviewed_at=item.reviewed_at,
            review_note=item.review_note,
        )


class VerificationIn(BaseModel):
    real_name: PlainText = Field(min_length=1, max_length=60)
    id_number: PlainText = Field(min_length=6, max_length=30)
    birth_date: date
    guardian_consent: bool = False


class VerificationOut(BaseModel):
    """Never the ID number: its mask only, and the name masked too."""

    real_name: str
    id_number: str
    birth_date: date
    guardian_consent: bool
    verified_at: datetime

    @classmethod
    def of(cls, verification: IdentityVerification) -> VerificationOut:
        return cls(
            real_name=mask_real_name(verification.real_name),
            id_number=verification.id_number_masked,
            birth_date=verification.birth_date,
            guardian_consent=verification.guardian_consent,
            verified_at=verification.verified_at,
        )


class SampleIn(BaseModel):
    rate: PlainText = Field(min_length=1, max_length=20, examples=["0.05"])
    seed: PlainText | None = Field(default=None, min_length=1, max_length=64)
    of: InspectionTarget = InspectionTarget.PRODUCT


class InspectionResultIn(BaseModel):
    result: InspectionResult
    findings: PlainText = Field(default="", max_length=4_000)


class InspectionOut(BaseModel):
    id: int
    target_type: InspectionTarget
    target_id: int
    shop_id: int | None
    seed: str
    rate: str
    result: InspectionResult
    findings: str
    sampled_at: datetime
    recorded_at: datetime | None

    @classmethod
    def of(cls, inspection: Inspection) -> InspectionOut:
        return cls(
            id=inspection.id,
            target_type=inspection.target_type,
            target_id=inspection.target_id,
            shop_id=inspection.shop_id,
            seed=inspection.seed,
            rate=inspection.rate,
            result=inspection.result,
            findings=inspection.findings,
            sampled_at=inspection.sampled_at,
            recorded_at=inspection.recorded_at,
        )

"""Pydantic in and out for reports, penalties, appeals, scores, qualifications,
identity verification and inspections."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Generic, Self, TypeVar

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

RowT = TypeVar("RowT")


class RowOut(BaseModel, Generic[RowT]):
    """What an answer shows of one stored row (or score): each field is the row's
    attribute of that name, so a field list is written once, in the model."""

    @classmethod
    def of(cls, row: RowT) -> Self:
        return cls._from_row(row)

    @classmethod
    def _from_row(cls, row: RowT, **derived: object) -> Self:
        """For a subclass whose fields are not all the row's: ``derived`` gives those."""
        read = {name: getattr(row, name) for name in cls.model_fields if name not in derived}
        return cls.model_validate({**read, **derived}, from_attributes=True)


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


class ReportOut(RowOut[Report]):
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
        """The same fields as ActionRequest's, which the penalties service takes."""
        return ActionRequest(**self.model_dump(), report_id=report_id)


class ReportDecisionIn(BaseModel):
    resolution: PlainText = Field(min_length=1, max_length=2_000)
    action: ActionIn | None = None  # None: dismiss


class PenaltyOut(RowOut[Penalty]):
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
    def of(cls, row: Penalty) -> Self:
        """Automatic: imposed by a rule, not by a moderator."""
        return cls._from_row(row, automatic=row.imposed_by is None)


class DecisionOut(BaseModel):
    report: ReportOut
    penalty: PenaltyOut | None


class AppealIn(BaseModel):
    statement: PlainText = Field(min_length=1, max_length=4_000)


class AppealDecisionIn(BaseModel):
    overturn: bool
    note: PlainText = Field(default="", max_length=2_000)


class AppealOut(RowOut[Appeal]):
    id: int
    penalty_id: int
    appellant_id: int
    statement: str
    status: str
    decided_by: int | None
    decided_at: datetime | None
    decision_note: str
    created_at: datetime


class ScoreReasonOut(BaseModel):
    code: str
    deduction: int
    detail: str  # English
    figures: dict[str, int]  # the numbers behind it, by the code's names (points, days, ...)


class ScoreOut(RowOut[Score]):
    subject_type: SubjectType
    subject_id: int
    value: int
    base: int
    reasons: list[ScoreReasonOut]


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


class QualificationOut(RowOut[Qualification]):
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


class VerificationIn(BaseModel):
    real_name: PlainText = Field(min_length=1, max_length=60)
    id_number: PlainText = Field(min_length=6, max_length=30)
    birth_date: date
    guardian_consent: bool = False


class VerificationOut(RowOut[IdentityVerification]):
    """Never the ID number: its mask only, and the name masked too."""

    real_name: str
    id_number: str
    birth_date: date
    guardian_consent: bool
    verified_at: datetime

    @classmethod
    def of(cls, row: IdentityVerification) -> Self:
        return cls._from_row(
            row, real_name=mask_real_name(row.real_name), id_number=row.id_number_masked
        )


class SampleIn(BaseModel):
    rate: PlainText = Field(min_length=1, max_length=20, examples=["0.05"])
    seed: PlainText | None = Field(default=None, min_length=1, max_length=64)
    of: InspectionTarget = InspectionTarget.PRODUCT


class InspectionResultIn(BaseModel):
    result: InspectionResult
    findings: PlainText = Field(default="", max_length=4_000)


class InspectionOut(RowOut[Inspection]):
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

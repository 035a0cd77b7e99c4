"""What the risk API reads and answers. Analysts see the evidence; merchants and
buyers see a case's status only."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from liveshop.risk.models import CaseStatus

PUBLIC_STATUS = {
    CaseStatus.OPEN: "held for a review",
    CaseStatus.CONFIRMED: "declined after a review",
    CaseStatus.CLEARED: "released after a review",
}


class CaseOut(BaseModel):
    """A case with its evidence, for risk analysts."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    created_at: datetime
    path: str
    subject: str
    user_id: int
    merchant_id: int | None
    room_id: int | None
    decision: str
    score: float
    reasons: list[str]
    features: dict[str, Any]
    status: CaseStatus
    label: str | None
    decided_at: datetime | None
    appeal: str | None
    appealed_at: datetime | None


class HeldOut(BaseModel):
    """A case as the merchant or the buyer sees it: what is held and its status."""

    id: int
    created_at: datetime
    subject: str
    status: str
    appealed: bool
    appeal_route: str


class LabelIn(BaseModel):
    label: str = Field(min_length=1, max_length=40, description="legit, or the kind of abuse")


class AppealIn(BaseModel):
    text: str = Field(min_length=1, max_length=2000)


class RulesIn(BaseModel):
    source: str = Field(max_length=100_000, description="one rule a line")
    comment: str = Field(default="", max_length=500)


class RuleVersionOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    version: int
    source: str
    author: str
    comment: str
    created_at: datetime


def held_out(case: Any) -> HeldOut:
    return HeldOut(
        id=case.id,
        created_at=case.created_at,
        subject=case.subject,
        status=PUBLIC_STATUS[case.status],
        appealed=case.appealed_at is not None,
        appeal_route=f"/api/risk/cases/{case.id}/appeal",
    )

"""The risk API (thin routes): the analysts' queue and labels, merchants' held
requests, appeals, and the admins' rule versions."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path

from liveshop.accounts.dependencies import CurrentUser
from liveshop.core.dependencies import DbSession, SettingsDep
from liveshop.promotions.dependencies import StockEngineDep
from liveshop.risk import access, cases, rule_store
from liveshop.risk.models import CaseStatus
from liveshop.risk.schemas import (
    AppealIn,
    CaseOut,
    HeldOut,
    LabelIn,
    RulesIn,
    RuleVersionOut,
    held_out,
)

router = APIRouter(prefix="/api/risk", tags=["risk"])
CaseId = Annotated[int, Path(ge=1, le=2**31 - 1, description="a review case's id")]


@router.get("/cases")
def review_queue(
    user: CurrentUser, session: DbSession, status: CaseStatus = CaseStatus.OPEN
) -> list[CaseOut]:
    """Cases waiting for a label (oldest first), with their evidence."""
    return [
        CaseOut.model_validate(case)
        for case in cases.review_queue(session, analyst=user, status=status)
    ]


@router.get("/cases/{case_id}")
def case(case_id: CaseId, user: CurrentUser, session: DbSession) -> CaseOut:
    return CaseOut.model_validate(cases.case_for_analyst(session, analyst=user, case_id=case_id))


@router.post("/cases/{case_id}/label")
def label(
    case_id: CaseId,
    body: LabelIn,
    user: CurrentUser,
    session: DbSession,
    engine: StockEngineDep,
    settings: SettingsDep,
) -> CaseOut:
    """``legit`` releases the hold (and reopens for payment an order the review had
    cancelled, when an appeal brought the case back); an abuse label confirms it (a
    held order is cancelled). Labels train the model."""
    labelled = cases.label_case(
        session,
        analyst=user,
        case_id=case_id,
        label=body.label,
        engine=engine,
        payment_minutes=settings.order_payment_minutes,
    )
    return CaseOut.model_validate(labelled)


@router.post("/cases/{case_id}/appeal")
def appeal(case_id: CaseId, body: AppealIn, user: CurrentUser, session: DbSession) -> HeldOut:
    """The buyer or the merchant asks for another look."""
    return held_out(cases.appeal_case(session, user=user, case_id=case_id, text=body.text))


@router.get("/held")
def held(user: CurrentUser, session: DbSession) -> list[HeldOut]:
    """The merchant's held requests: status and the appeal route, not the reasons."""
    access.require_merchant(user)
    return [held_out(case) for case in cases.held_for_merchant(session, merchant=user)]


@router.get("/rules")
def rules(user: CurrentUser, session: DbSession) -> list[RuleVersionOut]:
    """The saved rule versions, newest first (analysts and admins)."""
    access.require_analyst(user)
    return [RuleVersionOut.model_validate(item) for item in rule_store.rule_history(session)]


@router.post("/rules", status_code=201)
def save_rules(body: RulesIn, user: CurrentUser, session: DbSession) -> RuleVersionOut:
    """A new version, live within seconds (bad rules: 422 naming the line)."""
    access.require_rule_editor(user)
    saved = rule_store.save_rules(
        session, source=body.source, author=f"user:{user.id}", comment=body.comment
    )
    return RuleVersionOut.model_validate(saved)

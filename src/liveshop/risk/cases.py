"""The review queue: cases the engine held, the analysts' labels, merchants'
view of a held order and appeals (buyer or merchant), which reopen nothing
by themselves but put the case back in front of an analyst.

A label decides what the case held: a cleared order may be paid, an order found
abusive is cancelled (``orders.risk_holds``). An appeal reopens a confirmed case;
cleared then, the cancelled order gets a fresh payment window if its units can be
taken again, and the buyer is told whether it could."""

from __future__ import annotations

from dataclasses import asdict

from sqlalchemy import select
from sqlalchemy.orm import Session

from liveshop.accounts.models import User
from liveshop.core.clock import utcnow
from liveshop.core.errors import Conflict, InvalidInput, NotFound
from liveshop.core.risk import RiskPath, RiskRequest
from liveshop.orders import risk_holds
from liveshop.promotions.stock_engines import StockEngine
from liveshop.risk import access
from liveshop.risk.events import Assessment
from liveshop.risk.models import CaseStatus, RiskCase
from liveshop.risk.simulation import PATTERNS

LABELS = ("legit", *PATTERNS, "other_abuse")
MAX_APPEAL = 2000
QUEUE_LIMIT = 200


def open_case(
    session: Session,
    *,
    request: RiskRequest,
    event: object,
    assessment: Assessment,
    reference: str,
) -> RiskCase:
    case = RiskCase(
        path=request.path.value,
        subject=request.subject or f"{request.path.value}:{reference}",
        user_id=request.user_id,
        merchant_id=request.merchant_id,
        room_id=request.room_id,
        decision=assessment.decision.value,
        score=round(assessment.score, 6),
        reasons=list(assessment.reasons),
        features={name: round(value, 4) for name, value in assessment.features.items()},
        event=asdict(event) if hasattr(event, "__dataclass_fields__") else {},  # type: ignore[call-overload]
        reference=reference,
        status=CaseStatus.OPEN,
    )
    session.add(case)
    session.flush()
    return case


def review_queue(
    session: Session, *, analyst: User, status: CaseStatus = CaseStatus.OPEN
) -> list[RiskCase]:
    access.require_analyst(analyst)
    return list(
        session.scalars(
            select(RiskCase)
            .where(RiskCase.status == status)
            .order_by(RiskCase.created_at, RiskCase.id)
            .limit(QUEUE_LIMIT)
        )
    )


def case_for_analyst(session: Session, *, analyst: User, case_id: int) -> RiskCase:
    access.require_analyst(analyst)
    case = session.get(RiskCase, case_id)
    if case is None:
        raise NotFound("no such case")
    return case


def label_case(
    session: Session,
    *,
    analyst: User,
    case_id: int,
    label: str,
    engine: StockEngine,
    payment_minutes: int,
) -> RiskCase:
    """``legit`` clears the hold; any abuse label confirms it. The label trains the
    next model (``liveshop risk journal-export``). ``engine`` returns the stock of a
    cancelled flash-sale order; ``payment_minutes`` is the window of an order the
    review had cancelled and now reopens."""
    if label not in LABELS:
        raise InvalidInput(f"the label is one of {', '.join(LABELS)}", code="risk_label")
    case = case_for_analyst(session, analyst=analyst, case_id=case_id)
    if case.status is not CaseStatus.OPEN:
        raise Conflict(f"the case is {case.status.value}", code="risk_case_decided")
    case.label = label
    case.status = CaseStatus.CLEARED if label == "legit" else CaseStatus.CONFIRMED
    case.analyst_id = analyst.id
    case.decided_at = utcnow()
    session.flush()
    _settle_held_order(session, case=case, engine=engine, payment_minutes=payment_minutes)
    return case


def _settle_held_order(
    session: Session, *, case: RiskCase, engine: StockEngine, payment_minutes: int
) -> None:
    kind, _, order_id = case.subject.partition(":")
    if case.path != RiskPath.ORDER or kind != "order" or not order_id.isdigit():
        return  # cases on other paths hold nothing that waits for the label
    if case.status is CaseStatus.CLEARED:
        assert case.analyst_id is not None  # set with the label
        reopened = risk_holds.restore_refused_order(
            session,
            order_id=int(order_id),
            analyst_id=case.analyst_id,
            payment_minutes=payment_minutes,
        )
        if reopened is None:  # held, never cancelled: the first label
            risk_holds.release_hold(session, order_id=int(order_id))
    else:
        assert case.analyst_id is not None  # set with the label
        risk_holds.cancel_rejected_order(
            session, order_id=int(order_id), analyst_id=case.analyst_id, engine=engine
        )


def held_for_merchant(session: Session, *, merchant: User) -> list[RiskCase]:
    """Cases on requests made in the merchant's rooms or shop (status only is shown)."""
    return list(
        session.scalars(
            select(RiskCase)
            .where(RiskCase.merchant_id == merchant.id)
            .order_by(RiskCase.created_at.desc())
            .limit(QUEUE_LIMIT)
        )
    )


def appeal_case(session: Session, *, user: User, case_id: int, text: str) -> RiskCase:
    case = session.get(RiskCase, case_id)
    if case is None or not access.can_appeal(user, case):
        raise NotFound("no such case")
    text = text.strip()
    if not text or len(text) > MAX_APPEAL:
        raise InvalidInput(f"an appeal is 1 to {MAX_APPEAL} characters", code="risk_appeal")
    if case.appealed_at is not None:
        raise Conflict("this case was appealed already", code="risk_appealed")
    case.appeal = text
    case.appealed_at = utcnow()
    if case.status is CaseStatus.CONFIRMED:
        case.status = CaseStatus.OPEN  # back in the queue, the first label kept as evidence
    session.flush()
    return case

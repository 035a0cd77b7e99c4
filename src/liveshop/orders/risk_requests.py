"""What orders tell the risk engine (through ``core.risk``): an order as placed, and
a flash-sale buy before it may claim a unit (a refused bot takes no stock)."""

from __future__ import annotations

from sqlalchemy import update
from sqlalchemy.orm import Session

from liveshop.accounts.models import User
from liveshop.core.clock import as_utc, utcnow
from liveshop.core.errors import PermissionDenied
from liveshop.core.risk import (
    RiskDecision,
    RiskPath,
    RiskRequest,
    assess_risk,
    refuse_unless_allowed,
)
from liveshop.orders.models import Order
from liveshop.orders.schemas import OrderOut
from liveshop.promotions.flash_sales import SaleTerms


class OrderRefused(PermissionDenied):
    code = "risk_refused"


def check_placed_order(
    session: Session, *, buyer: User, placed: OrderOut, address_id: int | None, region: str
) -> None:
    """Ask about an order just written (in its transaction). A block refuses it (the
    transaction rolls back); a review keeps it, held (not payable, ``risk_holds``),
    and opens a case for an analyst, which the merchant sees as held; a challenge is
    left to the payment's step-up."""
    verdict = assess_risk(
        RiskRequest(
            path=RiskPath.ORDER,
            user_id=buyer.id,
            account_created_at=as_utc(buyer.created_at),
            at=utcnow(),
            amount=placed.total,
            merchant_id=placed.host_id,
            room_id=placed.room_id,
            shipping_region=region,
            address_id="" if address_id is None else f"address:{address_id}",
            subject=f"order:{placed.id}",
        ),
        session=session,
    )
    if verdict.decision is RiskDecision.BLOCK:
        raise OrderRefused(verdict.public_reason or "this order was refused by risk checks")
    if verdict.decision is RiskDecision.REVIEW:
        session.execute(
            update(Order)
            .where(Order.id == placed.id)
            .values(risk_hold=True)
            .execution_options(synchronize_session=False)
        )


def check_flash_buy(buyer: User, terms: SaleTerms, quantity: int) -> None:
    """A flash buy: a bot refused here takes nothing from the sale (asked before the
    claim on the SQL path, right after it on the Redis path, which then undoes the
    claim). The room's host is the merchant side, so accounts tied to the host (刷单)
    show."""
    refuse_unless_allowed(
        RiskRequest(
            path=RiskPath.FLASH_BUY,
            user_id=buyer.id,
            account_created_at=as_utc(buyer.created_at),
            at=utcnow(),
            amount=terms.price * quantity,
            merchant_id=terms.host_id,
            room_id=terms.room_id,
            subject=f"flash_sale:{terms.id}",
        )
    )


def check_refund_request(
    session: Session, *, buyer: User, order: Order, amount: int, after_sale_id: int
) -> None:
    """A refund asked for (refund abuse: many orders, most sent back, soon). A block
    refuses the request; a review keeps it and queues a case for an analyst."""
    verdict = assess_risk(
        RiskRequest(
            path=RiskPath.REFUND,
            user_id=buyer.id,
            account_created_at=as_utc(buyer.created_at),
            at=utcnow(),
            amount=amount,
            merchant_id=order.host_id,
            room_id=order.room_id,
            subject=f"after_sale:{after_sale_id}",
        ),
        session=session,
    )
    if verdict.decision is RiskDecision.BLOCK:
        raise OrderRefused(verdict.public_reason or "this refund was refused by risk checks")

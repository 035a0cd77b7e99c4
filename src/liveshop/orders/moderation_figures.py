"""What moderation reads of orders, which it may not import: the after-sales
figures of a host's credit score and a shop's score, and the orders a sampling
inspection draws from. ``liveshop.wiring`` registers both with moderation.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from liveshop.governance.inspections import Candidate
from liveshop.governance.models import SubjectType
from liveshop.governance.scores import AfterSalesFigures
from liveshop.orders.models import AfterSale, AfterSaleStatus, Order, OrderStatus, ProductComplaint

# Orders that were paid: the ones a buyer could complain about or get money back on.
PAID_STATUSES = (
    OrderStatus.PAID,
    OrderStatus.SHIPPED,
    OrderStatus.DELIVERED,
    OrderStatus.COMPLETED,
    OrderStatus.REFUNDED,
)
# An after-sale the buyer escalated to the platform counts as a complaint, whoever won it.
ESCALATED = (AfterSaleStatus.DISPUTED, AfterSaleStatus.CLOSED)


def _paid_orders_of(subject_type: SubjectType, subject_id: int, since: datetime) -> Select[int]:
    """A host's orders are those placed in their rooms; a shop's are its own."""
    owner = Order.host_id if subject_type is SubjectType.USER else Order.shop_id
    return select(Order.id).where(
        owner == subject_id, Order.created_at >= since, Order.status.in_(PAID_STATUSES)
    )


def after_sales_figures(
    session: Session, subject_type: SubjectType, subject_id: int, since: datetime
) -> AfterSalesFigures:
    """Paid orders placed since ``since``, and how many of them drew a complaint (a
    quality complaint, or an after-sale escalated to a dispute) or a refund."""
    orders = _paid_orders_of(subject_type, subject_id, since)
    count = session.scalar(select(func.count()).select_from(orders.subquery())) or 0
    complained = select(ProductComplaint.order_id).union(
        select(AfterSale.order_id).where(AfterSale.status.in_(ESCALATED))
    )
    complaints = session.scalar(
        select(func.count()).where(Order.id.in_(orders), Order.id.in_(complained))
    )
    refunds = session.scalar(
        select(func.count(func.distinct(AfterSale.order_id))).where(
            AfterSale.order_id.in_(orders), AfterSale.status == AfterSaleStatus.REFUNDED
        )
    )
    return AfterSalesFigures(orders=count, complaints=complaints or 0, refunds=refunds or 0)


def orders_to_sample(session: Session) -> list[Candidate]:
    """Every order that was paid, with its shop (a sampling inspection checks what
    the buyer received against what was sold)."""
    rows = session.execute(
        select(Order.id, Order.shop_id).where(Order.status.in_(PAID_STATUSES)).order_by(Order.id)
    ).tuples()
    return [Candidate(order_id, shop_id) for order_id, shop_id in rows]

"""After-sales (售后): refunds before shipping, returns after, disputes, complaints.

Before shipping a refund is approved at once and the stock returns. After
shipping: request -> the merchant approves or rejects (or is deemed to approve
after ``merchant_hours``) -> the buyer ships back -> the merchant confirms ->
refunded; a rejection can be escalated to a dispute that a moderator or admin
decides. Money moves in payments, which listens to AfterSaleRefunded.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from liveshop.accounts.models import User
from liveshop.catalog import service as catalog
from liveshop.core.bus import publish_after_commit
from liveshop.core.clock import utcnow
from liveshop.core.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from liveshop.orders import access
from liveshop.orders import service as orders
from liveshop.orders.events import AfterSaleRefunded, AfterSaleRejected
from liveshop.orders.models import (
    AfterSale,
    AfterSaleKind,
    AfterSaleStatus,
    Order,
    OrderItem,
    OrderStatus,
    OrderTransition,
    ProductComplaint,
)
from liveshop.orders.risk_requests import check_refund_request
from liveshop.orders.schemas import AfterSaleIn, AfterSaleOut, ComplaintRate, RefundItemIn

OPEN_STATES = frozenset(
    {
        AfterSaleStatus.REQUESTED,
        AfterSaleStatus.AWAITING_RETURN,
        AfterSaleStatus.RETURN_SHIPPED,
        AfterSaleStatus.REJECTED,
        AfterSaleStatus.DISPUTED,
    }
)
AFTER_SHIPPING = frozenset({OrderStatus.SHIPPED, OrderStatus.DELIVERED, OrderStatus.COMPLETED})


def after_sale_out(after_sale: AfterSale) -> AfterSaleOut:
    return AfterSaleOut.model_validate(after_sale, from_attributes=True)


def _refund_lines(
    items: Sequence[OrderItem], wanted: Sequence[RefundItemIn] | None
) -> list[dict[str, int]]:
    """The refunded lines with their amounts: a whole line refunds its paid total;
    part of a line refunds its share, rounded down."""
    if wanted is None:
        return [
            {"sku_id": item.sku_id, "quantity": item.quantity, "amount": item.total}
            for item in items
        ]
    by_sku = {item.sku_id: item for item in items}
    lines = []
    for want in wanted:
        item = by_sku.get(want.sku_id)
        if item is None or want.quantity > item.quantity:
            raise InvalidInput(f"the order has no {want.quantity} of SKU {want.sku_id}")
        amount = (
            item.total
            if want.quantity == item.quantity
            else (item.total * want.quantity // item.quantity)
        )
        lines.append({"sku_id": item.sku_id, "quantity": want.quantity, "amount": amount})
    return lines


def _already_claimed(session: Session, *, order_id: int) -> int:
    """Money refunded or asked for in open requests, so the total is never exceeded."""
    return int(
        session.scalar(
            select(func.coalesce(func.sum(AfterSale.amount), 0)).where(
                AfterSale.order_id == order_id,
                AfterSale.status.in_([*OPEN_STATES, AfterSaleStatus.REFUNDED]),
            )
        )
        or 0
    )


def delivered_at(session: Session, *, order_id: int) -> datetime | None:
    return session.scalar(
        select(OrderTransition.at)
        .where(
            OrderTransition.order_id == order_id,
            OrderTransition.to_status == OrderStatus.DELIVERED.value,
        )
        .order_by(OrderTransition.id.desc())
        .limit(1)
    )


def request_after_sale(
    session: Session,
    *,
    buyer: User,
    order_id: int,
    body: AfterSaleIn,
    request_days: int,
    merchant_hours: int,
) -> AfterSale:
    order = orders.order_for(session, user=buyer, order_id=order_id)
    access.require_order_buyer(buyer, order=order, doing="asks for a refund")
    _check_window(session, order=order, request_days=request_days)
    items = session.scalars(select(OrderItem).where(OrderItem.order_id == order.id)).all()
    lines = _refund_lines(items, body.items)
    amount = sum(line["amount"] for line in lines)
    if amount + _already_claimed(session, order_id=order.id) > order.total:
        raise Conflict("this would refund more than was paid", code="refund_exceeds_total")
    shipped = order.status in AFTER_SHIPPING
    after_sale = AfterSale(
        order_id=order.id,
        buyer_id=buyer.id,
        shop_id=order.shop_id,
        kind=body.kind if shipped else AfterSaleKind.REFUND,
        status=AfterSaleStatus.REQUESTED,
        reason=body.reason,
        items=lines,
        amount=amount,
        merchant_deadline=utcnow() + timedelta(hours=merchant_hours) if shipped else None,
    )
    session.add(after_sale)
    session.flush()
    check_refund_request(
        session, buyer=buyer, order=order, amount=amount, after_sale_id=after_sale.id
    )
    if body.quality_complaint:
        _record_complaints(
            session, order=order, items=items, lines=lines, user=buyer, text=body.reason
        )
    if not shipped:
        _refund(session, after_sale=after_sale, order=order, actor_id=None, restock=True)
    return after_sale


def _check_window(session: Session, *, order: Order, request_days: int) -> None:
    if order.status is OrderStatus.PAID or order.status is OrderStatus.SHIPPED:
        return
    if order.status in (OrderStatus.DELIVERED, OrderStatus.COMPLETED):
        delivered = delivered_at(session, order_id=order.id)
        if delivered is not None and utcnow() > delivered + timedelta(days=request_days):
            raise Conflict(
                f"after-sales requests are taken up to {request_days} days after delivery",
                code="after_sale_window_closed",
            )
        return
    raise Conflict(f"an order in {order.status.value} has no after-sales", code="no_after_sales")


def _record_complaints(
    session: Session,
    *,
    order: Order,
    items: Sequence[OrderItem],
    lines: Sequence[dict[str, int]],
    user: User,
    text: str,
) -> None:
    product_of = {item.sku_id: item.product_id for item in items}
    for product_id in {product_of[line["sku_id"]] for line in lines}:
        session.add(
            ProductComplaint(
                product_id=product_id,
                shop_id=order.shop_id,
                order_id=order.id,
                user_id=user.id,
                category="quality",
                text=text,
            )
        )


def _refund(
    session: Session, *, after_sale: AfterSale, order: Order, actor_id: int | None, restock: bool
) -> None:
    after_sale.status = AfterSaleStatus.REFUNDED
    if restock:
        for line in after_sale.items:
            catalog.release_stock(session, sku_id=line["sku_id"], quantity=line["quantity"])
    session.flush()
    refunded = session.scalar(
        select(func.coalesce(func.sum(AfterSale.amount), 0)).where(
            AfterSale.order_id == order.id, AfterSale.status == AfterSaleStatus.REFUNDED
        )
    )
    if refunded == order.total and order.status is not OrderStatus.REFUNDED:
        orders.transition(
            session,
            order=order,
            to=OrderStatus.REFUNDED,
            actor_id=actor_id,
            note=f"after-sale {after_sale.id} refunded",
        )
    publish_after_commit(
        session,
        AfterSaleRefunded(
            after_sale_id=after_sale.id,
            order_id=order.id,
            buyer_id=order.buyer_id,
            amount=after_sale.amount,
        ),
    )


def get_after_sale(session: Session, *, after_sale_id: int) -> AfterSale:
    after_sale = session.get(AfterSale, after_sale_id)
    if after_sale is None:
        raise NotFound(f"after-sale {after_sale_id} not found", code="after_sale_not_found")
    return after_sale


def after_sale_for(session: Session, *, user: User, after_sale_id: int) -> AfterSale:
    """Visible to its buyer, the shop, moderators, regulators and admins; to others it
    does not exist."""
    after_sale = get_after_sale(session, after_sale_id=after_sale_id)
    access.require_after_sale_reader(session, actor=user, after_sale=after_sale)
    return after_sale


def _move(after_sale: AfterSale, expected: AfterSaleStatus, to: AfterSaleStatus) -> None:
    if after_sale.status is not expected:
        raise Conflict(
            f"the request is {after_sale.status.value}, not {expected.value}",
            code="illegal_transition",
        )
    after_sale.status = to


def decide(
    session: Session, *, actor: User | None, after_sale_id: int, approve: bool, reason: str = ""
) -> AfterSale:
    """The merchant's answer; ``actor=None`` is the system approving an overdue request."""
    after_sale = get_after_sale(session, after_sale_id=after_sale_id)
    if actor is not None:
        access.require_after_sale_handler(session, actor=actor, after_sale=after_sale)
    if not approve:
        if not reason:
            raise InvalidInput("say why the request is rejected", code="reason_required")
        _move(after_sale, AfterSaleStatus.REQUESTED, AfterSaleStatus.REJECTED)
        after_sale.rejection_reason = reason
        publish_after_commit(
            session,
            AfterSaleRejected(
                after_sale_id=after_sale.id,
                order_id=after_sale.order_id,
                buyer_id=after_sale.buyer_id,
                reason=reason,
            ),
        )
    elif after_sale.kind is AfterSaleKind.RETURN:
        _move(after_sale, AfterSaleStatus.REQUESTED, AfterSaleStatus.AWAITING_RETURN)
    else:
        _move(after_sale, AfterSaleStatus.REQUESTED, AfterSaleStatus.REQUESTED)
        order = orders.get_order(session, order_id=after_sale.order_id)
        _refund(
            session,
            after_sale=after_sale,
            order=order,
            actor_id=actor.id if actor else None,
            restock=False,
        )
    session.flush()
    return after_sale


def ship_return(
    session: Session, *, buyer: User, after_sale_id: int, tracking_number: str
) -> AfterSale:
    after_sale = after_sale_for(session, user=buyer, after_sale_id=after_sale_id)
    access.require_after_sale_buyer(buyer, after_sale=after_sale, doing="ships the return")
    _move(after_sale, AfterSaleStatus.AWAITING_RETURN, AfterSaleStatus.RETURN_SHIPPED)
    after_sale.return_tracking = tracking_number
    session.flush()
    return after_sale


def confirm_return(session: Session, *, actor: User, after_sale_id: int) -> AfterSale:
    """The merchant received the goods back: refund, and the units are back in stock."""
    after_sale = get_after_sale(session, after_sale_id=after_sale_id)
    access.require_after_sale_handler(session, actor=actor, after_sale=after_sale)
    _move(after_sale, AfterSaleStatus.RETURN_SHIPPED, AfterSaleStatus.RETURN_SHIPPED)
    order = orders.get_order(session, order_id=after_sale.order_id)
    _refund(session, after_sale=after_sale, order=order, actor_id=actor.id, restock=True)
    return after_sale


def escalate(session: Session, *, buyer: User, after_sale_id: int) -> AfterSale:
    after_sale = after_sale_for(session, user=buyer, after_sale_id=after_sale_id)
    access.require_after_sale_buyer(buyer, after_sale=after_sale, doing="escalates")
    _move(after_sale, AfterSaleStatus.REJECTED, AfterSaleStatus.DISPUTED)
    session.flush()
    return after_sale


def resolve_dispute(
    session: Session, *, actor: User, after_sale_id: int, refund: bool, reason: str
) -> AfterSale:
    """The platform decides: refund the buyer, or close the request for the merchant."""
    access.require_dispute_resolver(actor)
    after_sale = get_after_sale(session, after_sale_id=after_sale_id)
    _move(after_sale, AfterSaleStatus.DISPUTED, AfterSaleStatus.DISPUTED)
    after_sale.resolution = reason
    if refund:
        order = orders.get_order(session, order_id=after_sale.order_id)
        _refund(session, after_sale=after_sale, order=order, actor_id=actor.id, restock=False)
    else:
        after_sale.status = AfterSaleStatus.CLOSED
    session.flush()
    return after_sale


def approve_overdue(session: Session, *, now: datetime | None = None) -> int:
    """Requests a merchant left unanswered past the deadline are approved, as platforms do."""
    now = now or utcnow()
    overdue = session.scalars(
        select(AfterSale.id).where(
            AfterSale.status == AfterSaleStatus.REQUESTED, AfterSale.merchant_deadline < now
        )
    ).all()
    for after_sale_id in overdue:
        decide(session, actor=None, after_sale_id=after_sale_id, approve=True)
    return len(overdue)


def list_after_sales(session: Session, *, user: User, scope: str = "mine") -> list[AfterSaleOut]:
    query = select(AfterSale)
    if scope == "mine":
        query = query.where(AfterSale.buyer_id == user.id)
    elif scope == "shop":
        shop = catalog.shop_of(session, user=user)
        if shop is None:
            raise PermissionDenied("you have no shop", code="no_shop")
        query = query.where(AfterSale.shop_id == shop.id)
    elif scope == "disputes":
        access.require_dispute_resolver(user)
        query = query.where(AfterSale.status == AfterSaleStatus.DISPUTED)
    else:
        raise InvalidInput("scope is mine, shop or disputes")
    return [after_sale_out(a) for a in session.scalars(query.order_by(AfterSale.id.desc()))]


def complaint_rates(session: Session, *, shop_id: int | None = None) -> list[ComplaintRate]:
    """Complaints per product over units sold in orders that were paid."""
    complaints = select(
        ProductComplaint.product_id, ProductComplaint.shop_id, func.count().label("complaints")
    ).group_by(ProductComplaint.product_id, ProductComplaint.shop_id)
    if shop_id is not None:
        complaints = complaints.where(ProductComplaint.shop_id == shop_id)
    rates = []
    for product_id, product_shop, count in session.execute(complaints):
        sold = (
            session.scalar(
                select(func.coalesce(func.sum(OrderItem.quantity), 0))
                .join(Order, Order.id == OrderItem.order_id)
                .where(
                    OrderItem.product_id == product_id,
                    Order.status.not_in([OrderStatus.PENDING_PAYMENT, OrderStatus.CANCELLED]),
                )
            )
            or 0
        )
        rates.append(
            ComplaintRate(
                product_id=product_id,
                shop_id=product_shop,
                complaints=count,
                units_sold=sold,
                rate=count / sold if sold else 0.0,
            )
        )
    return rates


def settleable_order_ids(session: Session, *, delivered_before: datetime) -> list[int]:
    """Orders past their after-sales window: delivered (or completed) before the cutoff,
    with no after-sale still open. Settlement pays the shop its share of these."""
    delivered = (
        select(OrderTransition.order_id)
        .where(
            OrderTransition.to_status == OrderStatus.DELIVERED.value,
            OrderTransition.at <= delivered_before,
        )
        .scalar_subquery()
    )
    still_open = (
        select(AfterSale.order_id).where(AfterSale.status.in_(OPEN_STATES)).scalar_subquery()
    )
    return list(
        session.scalars(
            select(Order.id)
            .where(
                Order.status.in_([OrderStatus.DELIVERED, OrderStatus.COMPLETED]),
                Order.id.in_(delivered),
                Order.id.not_in(still_open),
            )
            .order_by(Order.id)
        ).all()
    )

"""An order as the API shows it (its lines and its history of states)."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from liveshop.orders.models import Order, OrderItem, OrderTransition
from liveshop.orders.schemas import OrderItemOut, OrderOut, TransitionOut


def order_out(session: Session, order: Order) -> OrderOut:
    items = session.scalars(select(OrderItem).where(OrderItem.order_id == order.id)).all()
    transitions = session.scalars(
        select(OrderTransition)
        .where(OrderTransition.order_id == order.id)
        .order_by(OrderTransition.id)
    ).all()
    return order_out_of(order, items, transitions)


def order_out_of(
    order: Order, items: Sequence[OrderItem], transitions: Sequence[OrderTransition]
) -> OrderOut:
    """An order as the API shows it, from rows already at hand."""
    return OrderOut(
        id=order.id,
        buyer_id=order.buyer_id,
        shop_id=order.shop_id,
        room_id=order.room_id,
        host_id=order.host_id,
        flash_sale_id=order.flash_sale_id,
        origin=order.origin,
        status=order.status,
        currency=order.currency,
        items_total=order.items_total,
        discount_total=order.discount_total,
        shipping_fee=order.shipping_fee,
        total=order.total,
        pricing=order.pricing,
        items=[OrderItemOut.model_validate(item, from_attributes=True) for item in items],
        address=order.address,
        tracking_number=order.tracking_number,
        payment_ref=order.payment_ref,
        expires_at=order.expires_at,
        created_at=order.created_at,
        transitions=[TransitionOut.model_validate(t, from_attributes=True) for t in transitions],
    )

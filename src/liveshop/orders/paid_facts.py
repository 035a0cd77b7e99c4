"""The facts of a paid order, read once by the service that marks it paid, so that
OrderPaid's subscribers (the platform-sales recorder) never query orders or the
catalogue after the commit."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from liveshop.catalog.models import Product
from liveshop.orders.events import OrderPaid, PaidLine
from liveshop.orders.models import Order, OrderItem


def paid_lines(session: Session, *, order_id: int) -> tuple[PaidLine, ...]:
    """The order's lines, in order, with their products' category and brand (one query)."""
    rows = session.execute(
        select(
            OrderItem.product_id,
            OrderItem.sku_id,
            OrderItem.quantity,
            OrderItem.total,
            OrderItem.discount,
            Product.category,
            Product.brand,
        )
        .join(Product, Product.id == OrderItem.product_id)
        .where(OrderItem.order_id == order_id)
        .order_by(OrderItem.id)
    ).all()
    return tuple(
        PaidLine(
            product_id=row.product_id,
            sku_id=row.sku_id,
            quantity=row.quantity,
            amount=row.total,
            discounted=row.discount > 0,
            category=row.category,
            brand=row.brand,
        )
        for row in rows
    )


def order_paid(session: Session, *, order: Order) -> OrderPaid:
    """The event for ``order``, just moved to paid (its ``updated_at`` is the paid time)."""
    return OrderPaid(
        order_id=order.id,
        buyer_id=order.buyer_id,
        room_id=order.room_id,
        shop_id=order.shop_id,
        flash_sale_id=order.flash_sale_id,
        paid_at=order.updated_at,
        total=order.total,
        lines=paid_lines(session, order_id=order.id),
    )

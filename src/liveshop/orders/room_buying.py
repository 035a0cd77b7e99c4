"""Buying without leaving the room: buy now from the pinned card, the room's orders."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from liveshop.accounts.models import User
from liveshop.catalog import service as catalog
from liveshop.core.errors import Conflict, InvalidInput
from liveshop.core.rooms import room_facts
from liveshop.live import service as live
from liveshop.orders import access
from liveshop.orders.models import Order
from liveshop.orders.placement import place_order
from liveshop.orders.schemas import BuyNowIn, OrderIn, OrderItemIn, OrderOut
from liveshop.orders.service import order_out


def buy_now(
    session: Session,
    *,
    buyer: User,
    room_id: int,
    body: BuyNowIn,
    idempotency_key: str,
    payment_minutes: int,
) -> tuple[Order, bool]:
    """One click on the room's pinned card: its SKU (or the first in stock), the
    default address, the room and host recorded."""
    room = live.get_room(session, room_id=room_id)
    if room.pinned is None:
        raise Conflict("nothing is pinned in this room", code="nothing_pinned")
    skus = catalog.skus_of(session, product_id=room.pinned["product_id"])
    sku_id = body.sku_id
    if sku_id is None:
        sku_id = next((sku.id for sku in skus if sku.stock >= body.quantity), skus[0].id)
    elif sku_id not in {sku.id for sku in skus}:
        raise InvalidInput("that SKU is not a variant of the pinned product", code="wrong_sku")
    order_in = OrderIn(
        items=[OrderItemIn(sku_id=sku_id, quantity=body.quantity)],
        room_id=room.id,
        address_id=body.address_id,
        coupon_codes=body.coupon_codes,
    )
    return place_order(
        session,
        buyer=buyer,
        body=order_in,
        idempotency_key=idempotency_key,
        payment_minutes=payment_minutes,
    )


def room_orders(session: Session, *, actor: User, room_id: int, limit: int = 100) -> list[OrderOut]:
    """Orders placed in a room, newest first, for its host (and admins, regulators)."""
    access.require_room_orders_reader(actor, room=room_facts(session, room_id))
    orders = session.scalars(
        select(Order).where(Order.room_id == room_id).order_by(Order.id.desc()).limit(limit)
    ).all()
    return [order_out(session, order) for order in orders]

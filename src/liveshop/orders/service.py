"""Orders: reading them and the state machine (placing them is ``orders.placement``).

Functions take the session first and flush; the request (or job) commits.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from liveshop.accounts.models import User
from liveshop.catalog import service as catalog
from liveshop.core.bus import publish_after_commit
from liveshop.core.clock import utcnow
from liveshop.core.db import rows_changed
from liveshop.core.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from liveshop.core.rooms import RoomNotice, says
from liveshop.orders import access
from liveshop.orders.models import Order, OrderItem, OrderOrigin, OrderStatus, OrderTransition
from liveshop.orders.paid_facts import order_paid
from liveshop.orders.placement import place_order as place_order
from liveshop.orders.presentation import order_out as order_out
from liveshop.orders.schemas import OrderOut
from liveshop.privacy.masking import mask_username
from liveshop.promotions import coupons, flash_sales
from liveshop.promotions.stock_engines import StockEngine

NEXT_STATES: dict[OrderStatus, frozenset[OrderStatus]] = {
    OrderStatus.PENDING_PAYMENT: frozenset({OrderStatus.PAID, OrderStatus.CANCELLED}),
    OrderStatus.PAID: frozenset({OrderStatus.SHIPPED, OrderStatus.REFUNDED}),
    OrderStatus.SHIPPED: frozenset({OrderStatus.DELIVERED, OrderStatus.REFUNDED}),
    OrderStatus.DELIVERED: frozenset({OrderStatus.COMPLETED, OrderStatus.REFUNDED}),
    OrderStatus.COMPLETED: frozenset({OrderStatus.REFUNDED}),
    # Only back to its payment window: a risk review's cancellation cleared on appeal
    # (orders.risk_holds), its units taken again.
    OrderStatus.CANCELLED: frozenset({OrderStatus.PENDING_PAYMENT}),
    OrderStatus.REFUNDED: frozenset(),
}
STOCK_HOLDING_STATES = frozenset({OrderStatus.PENDING_PAYMENT})


class IllegalTransition(Conflict):
    code = "illegal_transition"


# --- reading ---


def get_order(session: Session, *, order_id: int) -> Order:
    order = session.get(Order, order_id)
    if order is None:
        raise NotFound(f"order {order_id} not found", code="order_not_found")
    return order


def order_for(session: Session, *, user: User, order_id: int) -> Order:
    """The order if the user may see it; otherwise it does not exist for them (404)."""
    order = get_order(session, order_id=order_id)
    access.require_order_reader(session, actor=user, order=order)
    return order


def list_orders(
    session: Session, *, user: User, scope: str = "mine", limit: int = 100
) -> list[OrderOut]:
    """``mine``: bought by the user; ``shop``: the user's shop's; ``all``: admin only."""
    query = select(Order)
    if scope == "mine":
        query = query.where(Order.buyer_id == user.id)
    elif scope == "shop":
        shop = catalog.shop_of(session, user=user)
        if shop is None:
            raise PermissionDenied("you have no shop", code="no_shop")
        query = query.where(Order.shop_id == shop.id)
    elif scope == "all":
        access.require_all_orders_reader(user)
    else:
        raise InvalidInput("scope is mine, shop or all")
    orders = session.scalars(query.order_by(Order.id.desc()).limit(limit)).all()
    return [order_out(session, order) for order in orders]


# --- the state machine ---


def _record_transition(
    session: Session,
    *,
    order: Order,
    from_status: OrderStatus | None,
    actor_id: int | None,
    note: str = "",
) -> None:
    session.add(
        OrderTransition(
            order_id=order.id,
            from_status=from_status.value if from_status else None,
            to_status=order.status.value,
            actor_id=actor_id,
            note=note,
        )
    )
    session.flush()


def transition(
    session: Session,
    *,
    order: Order,
    to: OrderStatus,
    actor_id: int | None,
    note: str = "",
    engine: StockEngine | None = None,
    **changes: Any,
) -> Order:
    """Move the order to ``to`` if the machine allows it, atomically.

    The UPDATE is conditional on the state read, so two concurrent moves
    cannot both succeed; an illegal move is a Conflict naming the current state.
    A move back into a stock-holding state takes the units again first
    (InsufficientStock when they are gone): call it inside a savepoint then.
    """
    current = order.status
    if to not in NEXT_STATES[current]:
        raise IllegalTransition(
            f"an order in {current.value} cannot become {to.value}", code="illegal_transition"
        )
    if current not in STOCK_HOLDING_STATES and to in STOCK_HOLDING_STATES:
        _take_units_again(session, order=order)
    moved = rows_changed(
        session.execute(
            update(Order)
            .where(Order.id == order.id, Order.status == current)
            .values(status=to, updated_at=utcnow(), **changes)
            .execution_options(synchronize_session=False)
        )
    )
    session.refresh(order)
    if moved != 1:
        raise IllegalTransition(
            f"the order changed meanwhile; it is now {order.status.value}",
            code="illegal_transition",
        )
    _record_transition(session, order=order, from_status=current, actor_id=actor_id, note=note)
    if current in STOCK_HOLDING_STATES and to is OrderStatus.CANCELLED:
        _release_units(session, order=order, engine=engine)
    return order


def _release_units(session: Session, *, order: Order, engine: StockEngine | None) -> None:
    """Units of a cancelled order go back to the SKU, or to its flash sale; coupons
    go back to the wallet. An auction's unit stays with the auction: its closing job
    passes it straight to the runner-up's order, or back to the SKU when nobody is
    left (``auctions/closing.py``), so no other buyer can take it in between."""
    coupons.release_for_order(session, order_id=order.id)
    if order.origin is OrderOrigin.AUCTION:
        return
    items = session.scalars(select(OrderItem).where(OrderItem.order_id == order.id)).all()
    if order.flash_sale_id is None:
        for item in items:
            catalog.release_stock(session, sku_id=item.sku_id, quantity=item.quantity)
        return
    if engine is None:
        raise RuntimeError("cancelling a flash-sale order needs the stock engine")
    flash_sales.release_units(
        session,
        engine=engine,
        sale_id=order.flash_sale_id,
        user_id=order.buyer_id,
        order_id=order.id,
        quantity=sum(item.quantity for item in items),
    )


def _take_units_again(session: Session, *, order: Order) -> None:
    """A cancelled order's units, taken again from its SKUs (in id order: concurrent
    takers lock rows in one order). A flash sale's unit or a coupon's discount went
    back to the sale or the wallet and is not taken again: such an order stays
    cancelled (the buyer orders anew). So does an auction's: once it is cancelled the
    auction's closing job offers the item to the runner-up (``auctions/closing.py``),
    and reopening it would sell the one item twice."""
    if order.flash_sale_id is not None or order.discount_total:
        raise IllegalTransition(
            "a flash-sale or discounted order cannot be reopened", code="order_not_reopenable"
        )
    if order.origin is OrderOrigin.AUCTION:
        raise IllegalTransition(
            "an auction's cancelled order cannot be reopened: its item was offered to the"
            " runner-up, or went back to the shelf",
            code="auction_order_not_reopenable",
        )
    items = session.scalars(
        select(OrderItem).where(OrderItem.order_id == order.id).order_by(OrderItem.sku_id)
    ).all()
    for item in items:
        catalog.reserve_stock(session, sku_id=item.sku_id, quantity=item.quantity)


def mark_paid(session: Session, *, order_id: int, payment_ref: str) -> Order:
    """Called by payments when money was captured; paying twice is harmless.

    An order bought in a room shows there as a purchase line; every paid order is
    published as OrderPaid, with the facts its subscribers need.
    """
    order = get_order(session, order_id=order_id)
    if order.status is OrderStatus.PAID and order.payment_ref == payment_ref:
        return order
    if order.room_id is not None:
        publish_after_commit(session, _purchase_notice(session, order))
    transition(
        session,
        order=order,
        to=OrderStatus.PAID,
        actor_id=None,
        note="payment captured",
        payment_ref=payment_ref,
        expires_at=None,
    )
    publish_after_commit(session, order_paid(session, order=order))
    return order


def _purchase_notice(session: Session, order: Order) -> RoomNotice:
    assert order.room_id is not None  # only orders bought in a room
    buyer = session.get_one(User, order.buyer_id)
    first = session.scalars(select(OrderItem.title).where(OrderItem.order_id == order.id)).first()
    masked = mask_username(buyer.public_name)
    return RoomNotice(
        room_id=order.room_id,
        topic="purchase",
        payload={"order_total": order.total},
        line=f"{masked} 刚刚买了 {first or ''}".strip(),
        line_kind="purchase",
        says=says("purchase", buyer=masked, title=first or ""),
    )


def _managed_order(session: Session, *, actor: User, order_id: int) -> Order:
    order = order_for(session, user=actor, order_id=order_id)
    access.require_order_handler(session, actor=actor, order=order)
    return order


def ship_order(session: Session, *, actor: User, order_id: int, tracking_number: str) -> Order:
    order = _managed_order(session, actor=actor, order_id=order_id)
    return transition(
        session,
        order=order,
        to=OrderStatus.SHIPPED,
        actor_id=actor.id,
        note=f"tracking {tracking_number}",
        tracking_number=tracking_number,
    )


def confirm_delivery(session: Session, *, actor: User, order_id: int) -> Order:
    order = order_for(session, user=actor, order_id=order_id)
    access.require_buyer_or_admin(actor, order=order, doing="confirms delivery")
    return transition(session, order=order, to=OrderStatus.DELIVERED, actor_id=actor.id)


def complete_order(session: Session, *, actor: User, order_id: int) -> Order:
    order = order_for(session, user=actor, order_id=order_id)
    access.require_buyer_or_admin(actor, order=order, doing="completes the order")
    return transition(session, order=order, to=OrderStatus.COMPLETED, actor_id=actor.id)


def cancel_order(
    session: Session, *, actor: User, order_id: int, engine: StockEngine, reason: str = ""
) -> Order:
    """The buyer or the shop cancels an unpaid order; its stock returns."""
    order = order_for(session, user=actor, order_id=order_id)
    access.require_order_canceller(session, actor=actor, order=order)
    return transition(
        session,
        order=order,
        to=OrderStatus.CANCELLED,
        actor_id=actor.id,
        note=reason or "cancelled",
        engine=engine,
        expires_at=None,
    )


def expire_unpaid_orders(
    session: Session, *, engine: StockEngine, now: datetime | None = None, limit: int = 500
) -> int:
    """Cancel orders whose payment time ran out; safe to run in several workers at once.
    An order held for a risk review waits for the analyst (``risk_holds``)."""
    now = now or utcnow()
    due = session.scalars(
        select(Order)
        .where(
            Order.status == OrderStatus.PENDING_PAYMENT,
            Order.expires_at < now,
            Order.risk_hold.is_(False),
        )
        .order_by(Order.expires_at)
        .limit(limit)
    ).all()
    expired = 0
    for order in due:
        try:
            with session.begin_nested():
                transition(
                    session,
                    order=order,
                    to=OrderStatus.CANCELLED,
                    actor_id=None,
                    note="payment time ran out",
                    engine=engine,
                    expires_at=None,
                )
            expired += 1
        except IllegalTransition:
            continue  # paid or cancelled meanwhile
    return expired

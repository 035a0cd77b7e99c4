"""Orders: placement with reserved stock, idempotency, the state machine, addresses.

Functions take the session first and flush; the request (or job) commits.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

import orjson
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from liveshop.accounts.models import User
from liveshop.catalog import service as catalog
from liveshop.catalog.access import require_shopper
from liveshop.catalog.models import Product, Sku
from liveshop.core.bus import publish_after_commit
from liveshop.core.clock import utcnow
from liveshop.core.db import rows_changed
from liveshop.core.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from liveshop.core.rooms import RoomNotice
from liveshop.live import service as live
from liveshop.orders import access
from liveshop.orders.addresses import address_snapshot
from liveshop.orders.models import Order, OrderItem, OrderOrigin, OrderStatus, OrderTransition
from liveshop.orders.paid_facts import order_paid
from liveshop.orders.presentation import order_out as order_out
from liveshop.orders.presentation import order_out_of as order_out_of
from liveshop.orders.schemas import OrderIn, OrderItemIn, OrderOut
from liveshop.privacy.masking import mask_username
from liveshop.promotions import coupons, flash_sales
from liveshop.promotions.pricing import PriceBreakdown, PriceLine, price_lines
from liveshop.promotions.stock_engines import StockEngine

NEXT_STATES: dict[OrderStatus, frozenset[OrderStatus]] = {
    OrderStatus.PENDING_PAYMENT: frozenset({OrderStatus.PAID, OrderStatus.CANCELLED}),
    OrderStatus.PAID: frozenset({OrderStatus.SHIPPED, OrderStatus.REFUNDED}),
    OrderStatus.SHIPPED: frozenset({OrderStatus.DELIVERED, OrderStatus.REFUNDED}),
    OrderStatus.DELIVERED: frozenset({OrderStatus.COMPLETED, OrderStatus.REFUNDED}),
    OrderStatus.COMPLETED: frozenset({OrderStatus.REFUNDED}),
    OrderStatus.CANCELLED: frozenset(),
    OrderStatus.REFUNDED: frozenset(),
}
STOCK_HOLDING_STATES = frozenset({OrderStatus.PENDING_PAYMENT})


class IllegalTransition(Conflict):
    code = "illegal_transition"


# --- placing orders ---


def request_fingerprint(body: dict[str, Any]) -> str:
    return hashlib.sha256(orjson.dumps(body, option=orjson.OPT_SORT_KEYS)).hexdigest()


def _existing_for_key(
    session: Session, *, buyer: User, origin: OrderOrigin, key: str, fingerprint: str
) -> Order | None:
    """The buyer's order of this origin under ``key`` (a retry), or None."""
    order = session.scalars(
        select(Order).where(
            Order.buyer_id == buyer.id, Order.origin == origin, Order.idempotency_key == key
        )
    ).first()
    if order is not None and order.request_fingerprint != fingerprint:
        raise Conflict(
            "this Idempotency-Key was used with another request body", code="idempotency_conflict"
        )
    return order


def priced_lines(
    session: Session, items: Sequence[OrderItemIn], unit_price_override: int | None = None
) -> tuple[list[PriceLine], int, str]:
    """Price lines for the items; all must come from one shop (one order per shop)."""
    lines, shops, currencies = [], set(), set()
    for item in items:
        sku = catalog.get_sku(session, sku_id=item.sku_id)
        product = session.get(Product, sku.product_id)
        assert product is not None  # foreign key
        shops.add(product.shop_id)
        currencies.add(product.currency)
        unit_price = sku.price if unit_price_override is None else unit_price_override
        lines.append(
            PriceLine(
                sku_id=sku.id,
                product_id=product.id,
                title=_line_title(product, sku),
                unit_price=unit_price,
                quantity=item.quantity,
                subtotal=unit_price * item.quantity,
            )
        )
    if len(shops) != 1:
        raise InvalidInput("an order holds one shop's products; place one order per shop")
    return lines, shops.pop(), currencies.pop()


def _line_title(product: Product, sku: Sku) -> str:
    options = " ".join(str(value) for value in sku.options.values())
    return f"{product.title} {options}".strip()


def place_order(
    session: Session,
    *,
    buyer: User,
    body: OrderIn,
    idempotency_key: str,
    payment_minutes: int,
    origin: OrderOrigin = OrderOrigin.CHECKOUT,
    flash_sale_id: int | None = None,
    unit_price_override: int | None = None,
) -> tuple[Order, bool]:
    """Create an order in ``pending_payment`` with its stock reserved.

    Returns (order, created). The same key and body return the first order of
    the same origin; the same key with another body, or a key another of the
    buyer's orders holds, is a Conflict. Flash-sale orders pass the sale's price
    and take no SKU stock (the sale set its units aside).
    """
    fingerprint = request_fingerprint(body.model_dump(mode="json"))
    existing = _existing_for_key(
        session, buyer=buyer, origin=origin, key=idempotency_key, fingerprint=fingerprint
    )
    if existing is not None:
        return existing, False
    lines, shop_id, currency = priced_lines(session, body.items, unit_price_override)
    room_id, host_id = room_and_host(session, room_id=body.room_id)
    address = address_snapshot(session, user=buyer, address_id=body.address_id)
    require_shopper(buyer)
    try:
        with session.begin_nested():
            uses = coupons.discounts_for(
                session, buyer=buyer, codes=body.coupon_codes, lines=lines, shop_id=shop_id
            )
            order = _insert_order(
                session,
                buyer=buyer,
                shop_id=shop_id,
                breakdown=price_lines(
                    lines, currency=currency, discounts=[use.discount for use in uses]
                ),
                room_id=room_id,
                host_id=host_id,
                key=idempotency_key,
                fingerprint=fingerprint,
                address=address,
                expires_at=utcnow() + timedelta(minutes=payment_minutes),
                origin=origin,
                flash_sale_id=flash_sale_id,
            )
            coupons.attach_to_order(session, uses=uses, order_id=order.id)
            if flash_sale_id is None:
                for item in body.items:
                    catalog.reserve_stock(session, sku_id=item.sku_id, quantity=item.quantity)
    except IntegrityError as error:
        # A concurrent request with the same key won the race: answer with its order.
        existing = _existing_for_key(
            session, buyer=buyer, origin=origin, key=idempotency_key, fingerprint=fingerprint
        )
        if existing is None:
            raise Conflict(
                "another of your orders holds this Idempotency-Key", code="idempotency_conflict"
            ) from error
        return existing, False
    _record_transition(session, order=order, from_status=None, actor_id=buyer.id, note="placed")
    return order, True


def room_and_host(session: Session, *, room_id: int | None) -> tuple[int | None, int | None]:
    if room_id is None:
        return None, None
    room = live.get_room(session, room_id=room_id)
    return room.id, room.host_id


def _insert_order(
    session: Session,
    *,
    buyer: User,
    shop_id: int,
    breakdown: PriceBreakdown,
    room_id: int | None,
    host_id: int | None,
    key: str,
    fingerprint: str,
    address: dict[str, Any] | None,
    expires_at: datetime,
    origin: OrderOrigin,
    flash_sale_id: int | None,
) -> Order:
    order = Order(
        buyer_id=buyer.id,
        shop_id=shop_id,
        room_id=room_id,
        host_id=host_id,
        origin=origin,
        flash_sale_id=flash_sale_id,
        status=OrderStatus.PENDING_PAYMENT,
        currency=breakdown.currency,
        items_total=breakdown.items_total,
        discount_total=breakdown.discount_total,
        shipping_fee=breakdown.shipping_fee,
        total=breakdown.total,
        pricing=breakdown.model_dump(mode="json"),
        idempotency_key=key,
        request_fingerprint=fingerprint,
        address=address,
        expires_at=expires_at,
    )
    session.add(order)
    session.flush()
    for line in breakdown.lines:
        sku = catalog.get_sku(session, sku_id=line.sku_id)
        session.add(
            OrderItem(
                order_id=order.id,
                sku_id=line.sku_id,
                product_id=sku.product_id,
                title=line.title,
                unit_price=line.unit_price,
                quantity=line.quantity,
                discount=line.discount,
                total=line.total,
            )
        )
    session.flush()
    return order


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
    """
    current = order.status
    if to not in NEXT_STATES[current]:
        raise IllegalTransition(
            f"an order in {current.value} cannot become {to.value}", code="illegal_transition"
        )
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
    go back to the wallet."""
    coupons.release_for_order(session, order_id=order.id)
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
    masked = mask_username(buyer.username)
    return RoomNotice(
        room_id=order.room_id,
        topic="purchase",
        payload={"order_total": order.total},
        line=f"{masked} 刚刚买了 {first or ''}".strip(),
        line_kind="purchase",
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
    """Cancel orders whose payment time ran out; safe to run in several workers at once."""
    now = now or utcnow()
    due = session.scalars(
        select(Order)
        .where(Order.status == OrderStatus.PENDING_PAYMENT, Order.expires_at < now)
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

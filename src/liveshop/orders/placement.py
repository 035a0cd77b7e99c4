"""Placing orders: the one module that writes them, one at a time or many at once.

Every order starts here, in ``pending_payment``:

- ``place_order``: the cart, buy now in a room, a lucky draw's prize; it checks
  the request's idempotency key, prices the lines, applies coupons and takes
  the SKUs' stock;
- ``place_won_orders``: units won in a flash sale, priced at the sale's price
  (the sale set its units aside, so no SKU stock is taken), each logged in the
  sale's admissions (by promotions). One win when the SQL engine claimed it in
  the same transaction or claims recovery found it orphaned; many to a
  transaction when Redis claimed them (``orders.flash_order_batches``).

Both go through ``write_orders``, which writes any number of orders with their
lines and first transition in three multi-row statements: one by one, a
winner's order took about fifteen statements and 10 ms of a worker's CPU
(profiled under ``benchmarks/flash_sale.py``), more than the 10,000 sold-out
answers around the 300 winners. Functions flush; the caller commits.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import orjson
from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from liveshop.accounts.models import User
from liveshop.catalog import service as catalog
from liveshop.catalog.access import require_shopper
from liveshop.catalog.models import Product, Sku
from liveshop.core.clock import utcnow
from liveshop.core.errors import Conflict, InvalidInput
from liveshop.live import service as live
from liveshop.orders.addresses import address_snapshot, default_address_snapshots
from liveshop.orders.models import Order, OrderItem, OrderOrigin, OrderStatus, OrderTransition
from liveshop.orders.presentation import order_out_of
from liveshop.orders.risk_requests import check_placed_order
from liveshop.orders.schemas import OrderIn, OrderItemIn, OrderOut
from liveshop.promotions import coupons, flash_sales
from liveshop.promotions.flash_sales import Admission, SaleTerms
from liveshop.promotions.pricing import PriceBreakdown, PriceLine, price_lines
from liveshop.promotions.stock_engines import mirror_sold


class AttemptInProgress(Conflict):
    """A flash-sale attempt whose order another writer placed (or is placing) first."""

    code = "attempt_in_progress"


@dataclass(frozen=True)
class NewOrder:
    """An order priced and checked, ready to be written."""

    buyer_id: int
    shop_id: int
    room_id: int | None
    host_id: int | None
    origin: OrderOrigin
    flash_sale_id: int | None
    breakdown: PriceBreakdown
    idempotency_key: str
    fingerprint: str
    address: dict[str, Any] | None
    payment_minutes: int


@dataclass(frozen=True)
class Win:
    """Units a buyer claimed in a flash sale, whose order is still to be written."""

    buyer: User
    terms: SaleTerms
    quantity: int
    attempt_key: str
    payment_minutes: int


# --- the writer


def write_orders(session: Session, new_orders: Sequence[NewOrder]) -> list[OrderOut]:
    """Write the orders in ``pending_payment``, with their lines and their first
    transition ("placed", by the buyer): three statements however many orders.

    Returns each as the API shows it, in the order given. Takes no stock and no
    coupons (its callers do). Raises IntegrityError when a buyer already holds an
    order under one of the keys; the caller's transaction (or savepoint) must then
    roll back.
    """
    now = utcnow()
    rows = [_order_row(new_order, now) for new_order in new_orders]
    # Matched back by (buyer, key): SQLite returns multi-row RETURNING in no promised
    # order, and asking SQLAlchemy to sort it makes it send one INSERT per row.
    inserted = session.execute(
        insert(Order).returning(Order.buyer_id, Order.idempotency_key, Order.id), rows
    ).tuples()
    id_by_key = {(buyer_id, key): order_id for buyer_id, key, order_id in inserted}
    item_rows: list[dict[str, Any]] = []
    transition_rows: list[dict[str, Any]] = []
    outs: list[OrderOut] = []
    for new_order, row in zip(new_orders, rows, strict=True):
        order_id = id_by_key[(new_order.buyer_id, new_order.idempotency_key)]
        items = [_item_row(order_id, line) for line in new_order.breakdown.lines]
        transition = {
            "order_id": order_id,
            "from_status": None,
            "to_status": OrderStatus.PENDING_PAYMENT.value,
            "actor_id": new_order.buyer_id,
            "note": "placed",
            "at": now,
        }
        item_rows += items
        transition_rows.append(transition)
        outs.append(
            order_out_of(
                Order(id=order_id, **row),
                [OrderItem(**item) for item in items],
                [OrderTransition(**transition)],
            )
        )
    session.execute(insert(OrderItem), item_rows)
    session.execute(insert(OrderTransition), transition_rows)
    return outs


def _order_row(new_order: NewOrder, now: datetime) -> dict[str, Any]:
    breakdown = new_order.breakdown
    return {
        "buyer_id": new_order.buyer_id,
        "shop_id": new_order.shop_id,
        "room_id": new_order.room_id,
        "host_id": new_order.host_id,
        "flash_sale_id": new_order.flash_sale_id,
        "origin": new_order.origin,
        "status": OrderStatus.PENDING_PAYMENT,
        "currency": breakdown.currency,
        "items_total": breakdown.items_total,
        "discount_total": breakdown.discount_total,
        "shipping_fee": breakdown.shipping_fee,
        "total": breakdown.total,
        "pricing": breakdown.model_dump(mode="json"),
        "idempotency_key": new_order.idempotency_key,
        "request_fingerprint": new_order.fingerprint,
        "address": new_order.address,
        "expires_at": now + timedelta(minutes=new_order.payment_minutes),
        "created_at": now,
        "updated_at": now,
    }


def _item_row(order_id: int, line: PriceLine) -> dict[str, Any]:
    return {
        "order_id": order_id,
        "sku_id": line.sku_id,
        "product_id": line.product_id,
        "title": line.title,
        "unit_price": line.unit_price,
        "quantity": line.quantity,
        "discount": line.discount,
        "total": line.total,
    }


# --- one order from a request


def place_order(
    session: Session,
    *,
    buyer: User,
    body: OrderIn,
    idempotency_key: str,
    payment_minutes: int,
    origin: OrderOrigin = OrderOrigin.CHECKOUT,
    unit_price_override: int | None = None,
) -> tuple[Order, bool]:
    """Create an order in ``pending_payment`` with its stock reserved.

    Returns (order, created). The same key and body return the first order of
    the same origin; the same key with another body, or a key another of the
    buyer's orders holds, is a Conflict. ``unit_price_override`` prices every
    line (a lucky draw's prize is free).
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
            new_order = NewOrder(
                buyer_id=buyer.id,
                shop_id=shop_id,
                room_id=room_id,
                host_id=host_id,
                origin=origin,
                flash_sale_id=None,
                breakdown=price_lines(
                    lines, currency=currency, discounts=[use.discount for use in uses]
                ),
                idempotency_key=idempotency_key,
                fingerprint=fingerprint,
                address=address,
                payment_minutes=payment_minutes,
            )
            (placed,) = write_orders(session, [new_order])
            region = str((address or {}).get("region", ""))
            check_placed_order(
                session, buyer=buyer, placed=placed, address_id=body.address_id, region=region
            )
            coupons.attach_to_order(session, uses=uses, order_id=placed.id)
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
    return session.get_one(Order, placed.id), True


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
    """Price lines for the items; all must come from one shop (one order per shop).

    Every SKU must be on sale (``catalog.get_sku``: its product is published)."""
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


def room_and_host(session: Session, *, room_id: int | None) -> tuple[int | None, int | None]:
    if room_id is None:
        return None, None
    room = live.get_room(session, room_id=room_id)
    return room.id, room.host_id


# --- flash-sale wins


def order_key(sale_id: int, attempt_key: str) -> str:
    """The idempotency key of a flash-sale attempt's order."""
    return f"flash-{sale_id}-{attempt_key}"


def order_body(terms: SaleTerms, quantity: int) -> OrderIn:
    """The order a flash-sale attempt places (its fingerprint, whoever writes it)."""
    return OrderIn(
        items=[OrderItemIn(sku_id=terms.sku_id, quantity=quantity)], room_id=terms.room_id
    )


def place_won_orders(session: Session, wins: Sequence[Win], *, count_sold: bool) -> list[OrderOut]:
    """The orders of one sale's wins (at least one), and their admissions, in the
    caller's transaction.

    ``count_sold`` also adds the units to the sale's ``sold`` in the database (a
    Redis claim; a SQL claim counted them itself). The buyer's default address is
    copied; the room and host are the sale's. Raises AttemptInProgress when one
    of the attempts has its order already (another writer placed it first): the
    transaction must roll back, with whatever the claim wrote in it.
    """
    terms = wins[0].terms
    room_id, host_id = room_and_host(session, room_id=terms.room_id)
    addresses = default_address_snapshots(session, user_ids=[win.buyer.id for win in wins])
    priced: dict[int, tuple[PriceBreakdown, str]] = {}  # by quantity
    new_orders = []
    for win in wins:
        if win.quantity not in priced:
            priced[win.quantity] = _priced_win(session, terms, win.quantity)
        breakdown, fingerprint = priced[win.quantity]
        new_orders.append(
            NewOrder(
                buyer_id=win.buyer.id,
                shop_id=terms.shop_id,
                room_id=room_id,
                host_id=host_id,
                origin=OrderOrigin.FLASH_SALE,
                flash_sale_id=terms.id,
                breakdown=breakdown,
                idempotency_key=order_key(terms.id, win.attempt_key),
                fingerprint=fingerprint,
                address=addresses.get(win.buyer.id),
                payment_minutes=win.payment_minutes,
            )
        )
    try:
        outs = write_orders(session, new_orders)
        flash_sales.record_admissions(
            session,
            [
                Admission(terms.id, win.buyer.id, win.attempt_key, win.quantity, out.id)
                for win, out in zip(wins, outs, strict=True)
            ],
        )
    except IntegrityError as error:
        raise AttemptInProgress(
            "this attempt was already processed; retry to get its order"
        ) from error
    if count_sold:
        mirror_sold(session, sale_id=terms.id, change=sum(win.quantity for win in wins))
    return outs


def _priced_win(session: Session, terms: SaleTerms, quantity: int) -> tuple[PriceBreakdown, str]:
    """A win's price breakdown (the sale's price, no coupons) and its order's fingerprint."""
    body = order_body(terms, quantity)
    lines, _shop_id, currency = priced_lines(session, body.items, terms.price)
    breakdown = price_lines(lines, currency=currency, discounts=[])
    return breakdown, request_fingerprint(body.model_dump(mode="json"))

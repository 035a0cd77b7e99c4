"""The cart: add, change and remove SKUs, read it priced, and check it out as one order per
shop through ``placement.place_order``, in the request's one transaction.

Prices are the SKUs' prices now (integer minor units); the cart stores only SKUs and
quantities. Checkout with an ``Idempotency-Key`` is safe to retry: each shop's order is
placed under a key derived from it, and a retry returns the orders the first placed.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict

from pydantic import BaseModel
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from liveshop.accounts.models import User
from liveshop.catalog import service as catalog
from liveshop.catalog.access import require_shopper
from liveshop.catalog.models import Product, Sku
from liveshop.core.errors import InvalidInput
from liveshop.orders.addresses import address_snapshot
from liveshop.orders.cart_models import CartItem
from liveshop.orders.models import Order
from liveshop.orders.placement import place_order
from liveshop.orders.presentation import order_out
from liveshop.orders.schemas import MAX_QUANTITY, OrderIn, OrderItemIn, OrderOut

MAX_LINES = 50


class CartLineOut(BaseModel):
    sku_id: int
    product_id: int
    shop_id: int
    title: str
    options: dict[str, str]
    unit_price: int
    quantity: int
    stock: int
    line_total: int


class CartOut(BaseModel):
    """The cart priced now: ``total`` is the sum of the lines' totals (minor units)."""

    lines: list[CartLineOut]
    count: int
    total: int
    currency: str


def _row(session: Session, *, user: User, sku_id: int) -> CartItem | None:
    return session.scalars(
        select(CartItem).where(CartItem.user_id == user.id, CartItem.sku_id == sku_id)
    ).first()


def add_item(session: Session, *, user: User, sku_id: int, quantity: int) -> CartOut:
    """Adds ``quantity`` of a SKU on sale (raising a line already there, up to the limit)."""
    require_shopper(user)
    catalog.get_sku(session, sku_id=sku_id)
    row = _row(session, user=user, sku_id=sku_id)
    if row is None:
        lines = session.scalars(select(CartItem.id).where(CartItem.user_id == user.id)).all()
        if len(lines) >= MAX_LINES:
            raise InvalidInput(f"a cart holds at most {MAX_LINES} items", code="cart_full")
        session.add(CartItem(user_id=user.id, sku_id=sku_id, quantity=quantity))
    else:
        row.quantity = min(MAX_QUANTITY, row.quantity + quantity)
    session.flush()
    return cart_out(session, user=user)


def set_quantity(session: Session, *, user: User, sku_id: int, quantity: int) -> CartOut:
    """Sets the SKU's quantity in the cart (adding the line if it is not there)."""
    row = _row(session, user=user, sku_id=sku_id)
    if row is None:
        return add_item(session, user=user, sku_id=sku_id, quantity=quantity)
    row.quantity = quantity
    session.flush()
    return cart_out(session, user=user)


def remove_item(session: Session, *, user: User, sku_id: int) -> CartOut:
    session.execute(delete(CartItem).where(CartItem.user_id == user.id, CartItem.sku_id == sku_id))
    return cart_out(session, user=user)


def cart_out(session: Session, *, user: User) -> CartOut:
    rows = session.execute(
        select(CartItem, Sku, Product)
        .join(Sku, Sku.id == CartItem.sku_id)
        .join(Product, Product.id == Sku.product_id)
        .where(CartItem.user_id == user.id)
        .order_by(CartItem.id)
    ).tuples()
    lines = [
        CartLineOut(
            sku_id=sku.id,
            product_id=product.id,
            shop_id=product.shop_id,
            title=product.title,
            options={str(k): str(v) for k, v in sku.options.items()},
            unit_price=sku.price,
            quantity=item.quantity,
            stock=sku.stock,
            line_total=sku.price * item.quantity,
        )
        for item, sku, product in rows
    ]
    return CartOut(
        lines=lines,
        count=sum(line.quantity for line in lines),
        total=sum(line.line_total for line in lines),
        currency="CNY",
    )


def _shop_key(key: str, shop_id: int) -> str:
    """The order key of one shop's part of a checkout (under the column's 100 characters)."""
    return f"cart:{hashlib.sha256(key.encode()).hexdigest()[:40]}:{shop_id}"


def checkout(
    session: Session,
    *,
    user: User,
    idempotency_key: str,
    address_id: int | None,
    payment_minutes: int,
) -> list[OrderOut]:
    """The whole cart as one order per shop (stock reserved), then an empty cart.

    A retry with the same key returns the first checkout's orders."""
    prefix = _shop_key(idempotency_key, 0)[:-1]
    placed = session.scalars(
        select(Order)
        .where(Order.buyer_id == user.id, Order.idempotency_key.startswith(prefix))
        .order_by(Order.id)
    ).all()
    if placed:
        return [order_out(session, order) for order in placed]
    address_snapshot(session, user=user, address_id=address_id)  # another's address: 404 first
    cart = cart_out(session, user=user)
    if not cart.lines:
        raise InvalidInput("your cart is empty", code="cart_empty")
    by_shop: dict[int, list[OrderItemIn]] = defaultdict(list)
    for line in cart.lines:
        by_shop[line.shop_id].append(OrderItemIn(sku_id=line.sku_id, quantity=line.quantity))
    orders = []
    for shop_id, items in sorted(by_shop.items()):
        order, _created = place_order(
            session,
            buyer=user,
            body=OrderIn(items=items, address_id=address_id),
            idempotency_key=_shop_key(idempotency_key, shop_id),
            payment_minutes=payment_minutes,
        )
        orders.append(order_out(session, order))
    session.execute(delete(CartItem).where(CartItem.user_id == user.id))
    return orders

"""Factories for the reviews tests: a shop's product and a buyer's delivered order line,
made through the services (the order paid as payments would mark it)."""

from __future__ import annotations

from dataclasses import dataclass
from itertools import count

from liveshop.accounts.models import User
from liveshop.catalog import service as catalog
from liveshop.catalog.schemas import ProductIn
from liveshop.core.db import unit_of_work
from liveshop.orders import service as orders
from liveshop.orders.models import OrderItem
from liveshop.orders.schemas import OrderIn, OrderItemIn
from tests.conftest import Account

_keys = count(1)


@dataclass(frozen=True)
class Line:
    order_id: int
    item_id: int
    product_id: int
    shop_id: int


def make_product(
    database_url: str,
    merchant: Account,
    *,
    title: str = "Silk scarf",
    category: str = "scarves",
    price: int = 9_900,
    stock: int = 50,
    images: list[str] | None = None,
) -> tuple[int, int]:
    """(product id, shop id)."""
    with unit_of_work(database_url) as session:
        product = catalog.create_product(
            session,
            merchant=session.get_one(User, merchant.id),
            body=ProductIn(
                title=title, category=category, price=price, stock=stock, images=images or []
            ),
        )
        return product.id, product.shop_id


def order_line(
    database_url: str,
    *,
    buyer: Account,
    merchant: Account,
    product_id: int,
    state: str = "delivered",
) -> Line:
    """Buyer's order of one unit of the product's first SKU: paid, shipped or delivered."""
    with unit_of_work(database_url) as session:
        buyer_user = session.get_one(User, buyer.id)
        sku = catalog.skus_of(session, product_id=product_id)[0]
        order, _ = orders.place_order(
            session,
            buyer=buyer_user,
            body=OrderIn(items=[OrderItemIn(sku_id=sku.id, quantity=1)]),
            idempotency_key=f"review-test-{next(_keys)}",
            payment_minutes=15,
        )
        orders.mark_paid(session, order_id=order.id, payment_ref=f"ref-{order.id}")
        if state in ("shipped", "delivered"):
            orders.ship_order(
                session,
                actor=session.get_one(User, merchant.id),
                order_id=order.id,
                tracking_number=f"SF{order.id:08d}",
            )
        if state == "delivered":
            orders.confirm_delivery(session, actor=buyer_user, order_id=order.id)
        item = session.query(OrderItem).filter_by(order_id=order.id).one()
        return Line(order.id, item.id, product_id, order.shop_id)

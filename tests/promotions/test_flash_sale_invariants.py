"""Random buy, cancel and expire sequences keep sold + remaining == quantity."""

from __future__ import annotations

from datetime import timedelta
from itertools import count

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from liveshop.accounts.models import User
from liveshop.core.clock import utcnow
from liveshop.core.db import unit_of_work
from liveshop.core.errors import LiveShopError
from liveshop.orders import service as orders
from liveshop.orders.flash_purchase import buy_flash_sale
from liveshop.orders.models import Order, OrderItem, OrderStatus
from liveshop.promotions import flash_sales
from liveshop.promotions.models import FlashSale
from liveshop.promotions.stock_engines import StockEngine
from tests.promotions.conftest import Shelf, create_buyers, start_sale

QUANTITY = 5
BUYERS = 4
steps = st.lists(
    st.one_of(
        st.tuples(st.just("buy"), st.integers(0, BUYERS - 1), st.integers(1, 3)),
        st.tuples(st.just("cancel"), st.integers(0, 20), st.just(0)),
        st.tuples(st.just("expire"), st.just(0), st.just(0)),
    ),
    max_size=25,
)
runs = count()


def _apply(
    database_url: str,
    engine: StockEngine,
    sale_id: int,
    buyers: list[int],
    step: tuple[str, int, int],
) -> None:
    action, target, quantity = step
    try:
        with unit_of_work(database_url) as session:
            if action == "buy":
                buy_flash_sale(
                    session,
                    buyer=session.get_one(User, buyers[target]),
                    sale_id=sale_id,
                    quantity=quantity,
                    attempt_key=f"k-{next(runs)}",
                    engine=engine,
                    payment_minutes=5,
                )
            elif action == "cancel":
                order_ids = session.scalars(
                    select(Order.id).where(Order.flash_sale_id == sale_id).order_by(Order.id)
                ).all()
                if order_ids:
                    order = orders.get_order(session, order_id=order_ids[target % len(order_ids)])
                    buyer = session.get_one(User, order.buyer_id)
                    orders.cancel_order(session, actor=buyer, order_id=order.id, engine=engine)
            else:
                orders.expire_unpaid_orders(
                    session, engine=engine, now=utcnow() + timedelta(minutes=10)
                )
    except LiveShopError:
        pass  # sold out, over the limit, or already cancelled: the invariant must still hold


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(sequence=steps)
def test_sold_plus_remaining_is_always_the_quantity(
    database_url: str, shelf: Shelf, stock_engine: StockEngine, sequence: list[tuple[str, int, int]]
) -> None:
    sale_id = start_sale(database_url, shelf, stock_engine, quantity=QUANTITY, per_user_limit=3)
    buyers = create_buyers(database_url, BUYERS, prefix=f"b{sale_id}")
    for step in sequence:
        _apply(database_url, stock_engine, sale_id, buyers, step)
        with unit_of_work(database_url) as session:
            sale = session.get_one(FlashSale, sale_id)
            shown = flash_sales.sale_out(session, sale, stock_engine)
            held = session.scalar(
                select(func.coalesce(func.sum(OrderItem.quantity), 0))
                .join(Order, Order.id == OrderItem.order_id)
                .where(Order.flash_sale_id == sale_id, Order.status != OrderStatus.CANCELLED)
            )
            assert shown.sold + shown.remaining == QUANTITY
            assert shown.sold == sale.sold == held
            assert 0 <= shown.remaining <= QUANTITY

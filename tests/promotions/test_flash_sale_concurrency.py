"""A flash sale under a crowd: exactly the stock is sold, nobody over the limit, no duplicates."""

from __future__ import annotations

import random
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

from sqlalchemy import func, select

from liveshop.accounts.models import User
from liveshop.core.db import unit_of_work
from liveshop.core.errors import LiveShopError
from liveshop.orders.flash_purchase import buy_flash_sale
from liveshop.orders.models import Order
from liveshop.promotions import flash_sales
from liveshop.promotions.models import FlashSale, FlashSaleAdmission
from liveshop.promotions.stock_engines import RedisStockEngine, StockEngine
from tests.promotions.conftest import Shelf, create_buyers, start_sale

UNITS = 100
BUYERS = 500
ATTEMPTS = 2_000


def _attempt(database_url: str, engine: StockEngine, sale_id: int, user_id: int, key: str) -> str:
    try:
        with unit_of_work(database_url) as session:
            buy_flash_sale(
                session,
                buyer=session.get_one(User, user_id),
                sale_id=sale_id,
                quantity=1,
                attempt_key=key,
                engine=engine,
                payment_minutes=5,
            )
    except LiveShopError as error:
        return error.code
    return "bought"


def test_two_thousand_attempts_sell_exactly_the_units(
    database_url: str, shelf: Shelf, stock_engine: StockEngine
) -> None:
    sale_id = start_sale(database_url, shelf, stock_engine, quantity=UNITS, per_user_limit=1)
    buyers = create_buyers(database_url, BUYERS)
    attempts = [(buyers[i % BUYERS], f"attempt-{i}") for i in range(ATTEMPTS)]
    random.Random(2026).shuffle(attempts)

    with ThreadPoolExecutor(max_workers=16) as pool:
        outcomes = Counter(
            pool.map(
                lambda attempt: _attempt(database_url, stock_engine, sale_id, *attempt), attempts
            )
        )

    assert outcomes["bought"] == UNITS, outcomes
    assert outcomes["bought"] + outcomes["sold_out"] + outcomes["purchase_limit"] == ATTEMPTS
    with unit_of_work(database_url) as session:
        sale = session.get_one(FlashSale, sale_id)
        assert sale.sold == UNITS
        per_buyer = session.execute(
            select(Order.buyer_id, func.count())
            .where(Order.flash_sale_id == sale_id)
            .group_by(Order.buyer_id)
        ).all()
        assert len(per_buyer) == UNITS  # one unit each: nobody over the limit of one
        assert all(count == 1 for _buyer, count in per_buyer)
        admissions = session.scalar(
            select(func.count()).where(FlashSaleAdmission.sale_id == sale_id)
        )
        assert admissions == UNITS
        shown = flash_sales.sale_out(session, sale, stock_engine)
        assert (shown.sold, shown.remaining) == (UNITS, 0)
    if isinstance(stock_engine, RedisStockEngine):
        assert int(stock_engine.client.get(stock_engine.keys(sale_id)[0])) == 0


def test_a_retried_attempt_gets_the_same_order_and_one_unit(
    database_url: str, shelf: Shelf, stock_engine: StockEngine
) -> None:
    sale_id = start_sale(database_url, shelf, stock_engine, quantity=5, per_user_limit=3)
    (buyer,) = create_buyers(database_url, 1)
    results = []
    for _ in range(3):
        with unit_of_work(database_url) as session:
            order, created = buy_flash_sale(
                session,
                buyer=session.get_one(User, buyer),
                sale_id=sale_id,
                quantity=1,
                attempt_key="same-attempt-key",
                engine=stock_engine,
                payment_minutes=5,
            )
            results.append((order.id, created))
    assert [created for _id, created in results] == [True, False, False]
    assert len({order_id for order_id, _ in results}) == 1
    with unit_of_work(database_url) as session:
        shown = flash_sales.sale_out(session, session.get_one(FlashSale, sale_id), stock_engine)
        assert (shown.sold, shown.remaining) == (1, 4)

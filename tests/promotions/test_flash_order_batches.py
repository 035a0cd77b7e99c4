"""Winners' orders on the Redis engine: written many to a transaction, each as if alone
(also when buyers chose the same attempt key), and claims recovery: a claim whose
order can never be written gives its unit back, one whose request wrote it late keeps it."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import event, select, update

from liveshop.accounts.models import User
from liveshop.catalog.models import ListingStatus, Product
from liveshop.core.db import get_engine, unit_of_work
from liveshop.orders import service as orders
from liveshop.orders.claims_recovery import recover_claims
from liveshop.orders.flash_purchase import buy_flash_sale_in_loop
from liveshop.orders.models import Order
from liveshop.orders.placement import Win, order_key, place_order, place_won_orders
from liveshop.orders.schemas import OrderIn, OrderItemIn, OrderOut
from liveshop.promotions import flash_sales
from liveshop.promotions.flash_sales import SaleTerms
from liveshop.promotions.models import FlashSale, FlashSaleAdmission
from liveshop.promotions.stock_engines import ClaimOutcome, RedisStockEngine
from tests.promotions.conftest import Shelf, create_buyers, start_sale
from tests.promotions.test_flash_sale_fast_path import buyer, redis_engine

__all__ = ["redis_engine"]  # the fixture, shared with the fast-path tests


class OrderInserts:
    """Counts INSERT statements into ``orders`` (any thread)."""

    def __init__(self, database_url: str) -> None:
        self.engine = get_engine(database_url)
        self.count = 0

    def __enter__(self) -> OrderInserts:
        event.listen(self.engine, "before_cursor_execute", self._seen)
        return self

    def __exit__(self, *_exc: object) -> None:
        event.remove(self.engine, "before_cursor_execute", self._seen)

    def _seen(self, _conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if statement.lstrip().upper().startswith("INSERT INTO ORDERS"):
            self.count += 1


def buy_together(
    database_url: str,
    engine: RedisStockEngine,
    sale_id: int,
    buyers: list[User],
    *,
    attempt_key: Callable[[User], str],
) -> list[tuple[OrderOut, bool]]:
    """Every buyer taps buy for one unit at once, in one event loop: (order, created) each."""

    async def crowd() -> list[tuple[OrderOut, bool]]:
        return await asyncio.gather(
            *(
                buy_flash_sale_in_loop(
                    database_url=database_url,
                    buyer=user,
                    sale_id=sale_id,
                    quantity=1,
                    attempt_key=attempt_key(user),
                    engine=engine,
                    payment_minutes=5,
                )
                for user in buyers
            )
        )

    return asyncio.run(crowd())


def orphan_claim(
    database_url: str, shelf: Shelf, redis_engine: RedisStockEngine, attempt_key: str
) -> tuple[int, User]:
    """A sale of one unit, claimed in Redis by a buyer whose request then died."""
    sale_id = start_sale(database_url, shelf, redis_engine, quantity=1, per_user_limit=1)
    (user_id,) = create_buyers(database_url, 1)
    claim = asyncio.run(
        redis_engine.claim_units(
            sale_id=sale_id, per_user_limit=1, user_id=user_id, quantity=1, attempt_key=attempt_key
        )
    )
    assert claim.outcome is ClaimOutcome.CLAIMED
    return sale_id, buyer(database_url, user_id)


def recover_now(redis_engine: RedisStockEngine, database_url: str) -> int:
    """Run claims recovery without its grace period: the orders it wrote."""
    return recover_claims(
        redis_engine, database_url=database_url, payment_minutes=5, grace_milliseconds=0
    )


def units_left_and_pending(
    redis_engine: RedisStockEngine, sale_id: int
) -> tuple[bytes | str | None, int]:
    """The sale's units left in Redis and the order writers' claims not yet acknowledged."""
    left = redis_engine.client.get(redis_engine.keys(sale_id)[0])
    pending = redis_engine.client.xpending(redis_engine.stream, "order-writers")["pending"]
    return left, pending


def test_a_crowds_winners_share_transactions_and_get_the_orders_they_would_alone(
    database_url: str, shelf: Shelf, redis_engine: RedisStockEngine
) -> None:
    sale_id = start_sale(database_url, shelf, redis_engine, quantity=40, per_user_limit=1)
    buyers = [buyer(database_url, user_id) for user_id in create_buyers(database_url, 40)]

    with OrderInserts(database_url) as inserts:
        answers = buy_together(
            database_url, redis_engine, sale_id, buyers, attempt_key=lambda user: f"tap-{user.id}"
        )

    assert all(created for _out, created in answers)
    assert inserts.count < len(buyers) / 4, inserts.count  # batches, not one insert each
    with unit_of_work(database_url) as session:
        assert session.get_one(FlashSale, sale_id).sold == 40
        assert len(session.scalars(select(FlashSaleAdmission)).all()) == 40
        for out, _created in answers:
            stored = orders.order_out(session, session.get_one(Order, out.id))
            assert out.model_dump() == stored.model_dump()
            assert out.total == 9_900
            assert [t.to_status for t in out.transitions] == ["pending_payment"]
    assert Counter(out.buyer_id for out, _created in answers) == Counter(u.id for u in buyers)


def test_a_claim_whose_product_was_withdrawn_returns_its_unit(
    database_url: str, shelf: Shelf, redis_engine: RedisStockEngine
) -> None:
    sale_id, _user = orphan_claim(database_url, shelf, redis_engine, "orphan")
    with unit_of_work(database_url) as session:
        session.execute(
            update(Product)
            .where(Product.id == shelf.product_id)
            .values(listing_status=ListingStatus.HELD_FOR_REVIEW)
        )

    written = recover_now(redis_engine, database_url)

    assert written == 0
    assert units_left_and_pending(redis_engine, sale_id) == (b"1", 0)
    with unit_of_work(database_url) as session:
        assert session.get_one(FlashSale, sale_id).sold == 0
        assert session.scalars(select(Order)).all() == []


def test_buyers_who_chose_the_same_attempt_key_each_get_their_own_order(
    database_url: str, shelf: Shelf, redis_engine: RedisStockEngine
) -> None:
    sale_id = start_sale(database_url, shelf, redis_engine, quantity=6, per_user_limit=1)
    buyers = [buyer(database_url, user_id) for user_id in create_buyers(database_url, 6)]

    # a client's fixed key, the same for everyone
    answers = buy_together(database_url, redis_engine, sale_id, buyers, attempt_key=lambda _: "tap")

    assert len({out.id for out, _created in answers}) == 6
    with unit_of_work(database_url) as session:
        for out, created in answers:
            assert created
            assert session.get_one(Order, out.id).buyer_id == out.buyer_id
        admitted = session.scalars(select(FlashSaleAdmission)).all()
        assert sorted((row.user_id, row.order_id) for row in admitted) == sorted(
            (out.buyer_id, out.id) for out, _created in answers
        )


def test_a_claim_whose_order_key_the_buyer_used_for_a_checkout_returns_its_unit(
    database_url: str, shelf: Shelf, redis_engine: RedisStockEngine
) -> None:
    sale_id, user = orphan_claim(database_url, shelf, redis_engine, "tap")
    with unit_of_work(database_url) as session:
        checkout, _created = place_order(
            session,
            buyer=user,
            body=OrderIn(items=[OrderItemIn(sku_id=shelf.sku_id, quantity=1)]),
            idempotency_key=order_key(sale_id, "tap"),
            payment_minutes=5,
        )
        checkout_id = checkout.id

    written = recover_now(redis_engine, database_url)

    assert written == 0
    assert units_left_and_pending(redis_engine, sale_id) == (b"1", 0)
    with unit_of_work(database_url) as session:
        assert session.get_one(FlashSale, sale_id).sold == 0
        assert session.scalars(select(Order.id)).all() == [checkout_id]
        assert session.scalars(select(FlashSaleAdmission)).all() == []


def test_claims_recovery_keeps_the_unit_sold_when_the_request_wrote_the_order_meanwhile(
    database_url: str, shelf: Shelf, redis_engine: RedisStockEngine
) -> None:
    if database_url.startswith("sqlite"):
        pytest.skip("two writers at once: SQLite's write lock makes them take turns")
    sale_id, user = orphan_claim(database_url, shelf, redis_engine, "tap")
    late_request = LateRequest(
        database_url, Win(user, sale_terms_of(database_url, sale_id), 1, "tap", 5)
    )

    with late_request:
        written = recover_now(redis_engine, database_url)

    assert late_request.order_id is not None  # it did commit in between
    assert written == 0
    assert units_left_and_pending(redis_engine, sale_id) == (b"0", 0)  # not given back
    with unit_of_work(database_url) as session:
        assert session.get_one(FlashSale, sale_id).sold == 1
        assert session.scalars(select(Order.id)).all() == [late_request.order_id]


def sale_terms_of(database_url: str, sale_id: int) -> SaleTerms:
    with unit_of_work(database_url) as session:
        return flash_sales.sale_terms(session, sale_id=sale_id)


class LateRequest:
    """Commits a win's order, as its request would, from another connection just
    before the next INSERT into ``orders`` on the database (claims recovery's)."""

    def __init__(self, database_url: str, win: Win) -> None:
        self.database_url = database_url
        self.engine = get_engine(database_url)
        self.win = win
        self.order_id: int | None = None
        self.done = False

    def __enter__(self) -> LateRequest:
        event.listen(self.engine, "before_cursor_execute", self._seen)
        return self

    def __exit__(self, *_exc: object) -> None:
        event.remove(self.engine, "before_cursor_execute", self._seen)

    def _seen(self, _conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if self.done or not statement.lstrip().upper().startswith("INSERT INTO ORDERS"):
            return
        self.done = True  # its own INSERT comes through here too
        with unit_of_work(self.database_url) as session:
            (placed,) = place_won_orders(session, [self.win], count_sold=True)
        self.order_id = placed.id

"""Fixtures for commerce tests: a shop with a product, a live room, many buyers, stock engines."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta

import pytest
from sqlalchemy import insert, select

from liveshop.accounts.models import Role, User
from liveshop.catalog import service as catalog
from liveshop.catalog import staff
from liveshop.catalog.schemas import ProductIn
from liveshop.core.clock import utcnow
from liveshop.core.db import unit_of_work
from liveshop.core.security import hash_password
from liveshop.live import service as live
from liveshop.promotions import flash_sales
from liveshop.promotions.schemas import FlashSaleIn
from liveshop.promotions.stock_engines import RedisStockEngine, SqlStockEngine, StockEngine
from tests.conftest import REDIS_URL, Account, MakeAccount, require_service

TEST_REDIS_DB = 13
SHARED_HASH = hash_password("a buyer's password")  # hashing 500 passwords would take 25 s


@dataclass(frozen=True)
class Shelf:
    merchant: Account
    host: Account
    room_id: int
    product_id: int
    sku_id: int


@pytest.fixture
def shelf(database_url: str, make_account: MakeAccount) -> Shelf:
    """A merchant's product (¥299, 1,000 in stock) and a live room of a host who
    acts for the merchant's shop (invited and accepted)."""
    merchant = make_account(Role.MERCHANT, "merchant_mia")
    host = make_account(Role.HOST, "host_hu")
    with unit_of_work(database_url) as session:
        product = catalog.create_product(
            session,
            merchant=session.get_one(User, merchant.id),
            body=ProductIn(title="羽绒服", price=29_900, stock=1_000),
        )
        sku_id = catalog.skus_of(session, product_id=product.id)[0].id
        invitation = staff.invite_staff(
            session, owner=session.get_one(User, merchant.id), user_id=host.id
        )
        staff.accept_invitation(
            session, invitee=session.get_one(User, host.id), invitation_id=invitation.id
        )
        room = live.create_room(session, host=session.get_one(User, host.id), title="秒杀专场")
        live.start_room(session, actor=session.get_one(User, host.id), room_id=room.id)
        return Shelf(merchant, host, room.id, product.id, sku_id)


def create_buyers(database_url: str, count: int, prefix: str = "buyer") -> list[int]:
    """Many viewers at once, sharing one precomputed password hash."""
    with unit_of_work(database_url) as session:
        session.execute(
            insert(User),
            [
                {"username": f"{prefix}_{index}", "password_hash": SHARED_HASH, "role": Role.VIEWER}
                for index in range(count)
            ],
        )
        return list(session.scalars(select(User.id).where(User.username.like(f"{prefix}_%"))).all())


def start_sale(
    database_url: str,
    shelf: Shelf,
    engine: StockEngine,
    *,
    quantity: int,
    per_user_limit: int = 1,
    price: int = 9_900,
) -> int:
    now = utcnow()
    with unit_of_work(database_url) as session:
        sale = flash_sales.create_flash_sale(
            session,
            actor=session.get_one(User, shelf.host.id),
            body=FlashSaleIn(
                room_id=shelf.room_id,
                sku_id=shelf.sku_id,
                price=price,
                quantity=quantity,
                per_user_limit=per_user_limit,
                starts_at=now - timedelta(seconds=1),
                ends_at=now + timedelta(hours=1),
            ),
            engine=engine,
            reference_days=30,
        )
        return sale.id


@pytest.fixture(params=["sql", pytest.param("redis", marks=pytest.mark.redis)])
def stock_engine(request: pytest.FixtureRequest, database_url: str) -> Iterator[StockEngine]:
    """Each engine on each database; Redis keys under a namespace of this test's own."""
    flash_sales.forget_cached_sales()
    if request.param == "sql":
        yield SqlStockEngine()
        return
    require_service("Redis", REDIS_URL, 6379)
    engine = RedisStockEngine(f"{REDIS_URL}/{TEST_REDIS_DB}", namespace=f"test-{uuid.uuid4().hex}")
    yield engine
    stale = list(engine.client.scan_iter(f"{engine.namespace}:*"))
    if stale:
        engine.client.delete(*stale)
    engine.client.close()

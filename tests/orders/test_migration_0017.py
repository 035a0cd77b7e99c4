"""Migration 0017 on a database from before it: order origins, one shop per user."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from sqlalchemy import text

from liveshop.core.db import get_engine
from liveshop.core.migrations import alembic_config, upgrade_database
from tests.conftest import forget_engine

NOW = "CURRENT_TIMESTAMP"
BEFORE = [
    "INSERT INTO users (id, username, password_hash, role, created_at) VALUES"
    f" (1, 'owner_a', 'x', 'MERCHANT', {NOW}), (2, 'owner_b', 'x', 'MERCHANT', {NOW}),"
    f" (3, 'host_c', 'x', 'HOST', {NOW}), (4, 'buyer_d', 'x', 'VIEWER', {NOW})",
    "INSERT INTO shops (id, owner_id, name, created_at)"
    f" VALUES (1, 1, 'A', {NOW}), (2, 2, 'B', {NOW})",
    # owner_b made staff of A unasked; host_c staff of both
    "INSERT INTO shop_staff (id, shop_id, user_id) VALUES (1, 1, 2), (2, 1, 3), (3, 2, 3)",
    "INSERT INTO products (id, shop_id, title, description, category, brand, attributes, images,"
    f" currency, created_at, updated_at, listing_status, listing_findings) VALUES (1, 1, 'Tea', '',"
    f" '', '', '{{}}', '[]', 'CNY', {NOW}, {NOW}, 'PUBLISHED', '[]')",
    "INSERT INTO skus (id, product_id, code, options, price, stock, position)"
    " VALUES (1, 1, 'TEA-1', '{}', 1000, 5, 0)",
    f"INSERT INTO rooms (id, host_id, title, description, status, likes, viewers, peak_viewers,"
    f" comment_count, created_at) VALUES (1, 3, 'Live', '', 'LIVE', 0, 0, 0, 0, {NOW})",
    "INSERT INTO lucky_draws (id, room_id, created_by, title, prize_sku_id, winners_count, tasks,"
    f" commitment, seed, status, opens_at, deadline, claim_hours) VALUES (7, 1, 3, 'Bag', 1, 1,"
    f" '{{}}', 'c', 's', 'DRAWN', {NOW}, {NOW}, 24)",
]


def _order(order_id: int, key: str, total: int, flash_sale_id: str = "NULL") -> str:
    return (
        "INSERT INTO orders (id, buyer_id, shop_id, room_id, flash_sale_id, status, currency,"
        " items_total, discount_total, shipping_fee, total, pricing, idempotency_key,"
        f" request_fingerprint, created_at, updated_at) VALUES ({order_id}, 4, 1, 1,"
        f" {flash_sale_id}, 'PENDING_PAYMENT', 'CNY', {total}, 0, 0, {total}, '{{}}', '{key}',"
        f" 'f', {NOW}, {NOW})"
    )


ORDERS = [
    _order(1, "checkout-0001", 1000),
    _order(2, "flash-3-tap-0001", 500, flash_sale_id="3"),
    _order(3, "draw-7", 0),  # the draw's prize
    _order(4, "draw-anything", 1000),  # a buyer's order under a look-alike key
    "INSERT INTO order_items (id, order_id, sku_id, product_id, title, unit_price, quantity,"
    " discount, total) VALUES (1, 1, 1, 1, 'Tea', 1000, 1, 0, 1000)",
]


def test_origins_are_backfilled_and_each_user_keeps_one_shop(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'before.db'}"
    upgrade_database(url, "0016")
    with get_engine(url).begin() as connection:
        for statement in BEFORE + ORDERS:
            connection.execute(text(statement))

    upgrade_database(url)

    with get_engine(url).connect() as connection:
        origins = connection.execute(text("SELECT id, origin FROM orders ORDER BY id")).all()
        staff = connection.execute(text("SELECT shop_id, user_id FROM shop_staff")).all()
    assert [tuple(row) for row in origins] == [
        (1, "CHECKOUT"),
        (2, "FLASH_SALE"),
        (3, "LUCKY_DRAW"),
        (4, "CHECKOUT"),
    ]
    assert [tuple(row) for row in staff] == [(1, 3)]  # owner_b is nobody's staff again
    command.downgrade(alembic_config(url), "0016")
    with get_engine(url).connect() as connection:  # the order items survive the way back
        assert connection.scalar(text("SELECT count(*) FROM order_items")) == 1
    forget_engine(url)

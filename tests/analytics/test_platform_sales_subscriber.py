"""The platform-sales subscriber records paid orders and gifts from what the events
carry: no database is given to it, and no SQL runs while it handles them."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event
from sqlalchemy.engine import Engine

from liveshop.analytics.platform_events import RecordPlatformSales
from liveshop.events.recorder import EventRecorder, pseudonymous_id
from liveshop.events.store import read_events
from liveshop.orders.events import OrderPaid, PaidLine
from liveshop.payments.gifts import GiftSent

SECRET = "subscriber-test-secret"
PAID = OrderPaid(
    order_id=7,
    buyer_id=42,
    room_id=3,
    shop_id=5,
    flash_sale_id=None,
    paid_at=datetime(2026, 12, 6, 12, 0, tzinfo=UTC),
    total=23_500,
    lines=(
        PaidLine(
            product_id=11,
            sku_id=111,
            quantity=2,
            amount=18_800,
            discounted=True,
            category="shoes",
            brand="",
        ),
        PaidLine(
            product_id=12,
            sku_id=121,
            quantity=1,
            amount=4_700,
            discounted=False,
            category="",
            brand="acme",
        ),
    ),
)
GIFT = GiftSent(send_id=9, sender_id=42, room_id=3, host_id=8, gift="rose", count=2, coins=20)


@pytest.fixture
def statements() -> Iterator[list[str]]:
    """Every SQL statement any engine in this process runs meanwhile."""
    seen: list[str] = []

    def count(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        seen.append(statement)

    event.listen(Engine, "before_cursor_execute", count)
    yield seen
    event.remove(Engine, "before_cursor_execute", count)


def test_paid_lines_and_gifts_are_recorded_without_sql(
    tmp_path: Path, statements: list[str]
) -> None:
    loop = asyncio.new_event_loop()
    recorder = EventRecorder(tmp_path / "events.duckdb", SECRET)
    sales = RecordPlatformSales(recorder, loop=loop)
    try:
        sales.on_order_paid(PAID)
        sales.on_gift_sent(GIFT)
        loop.run_until_complete(asyncio.sleep(0))  # the handed-over records run
        assert statements == []
        loop.run_until_complete(recorder.flush())
    finally:
        sales.close()
        loop.close()

    stored = read_events(tmp_path / "events.duckdb")
    buyer = pseudonymous_id(42, SECRET)
    assert sorted(
        (e["event_type"], e["user_id"], e["room_id"], e["product_id"], e["properties"])
        for e in stored
    ) == sorted(
        [
            (
                "purchase",
                buyer,
                3,
                11,
                {
                    "amount": 18_800,
                    "order_id": 7,
                    "quantity": 2,
                    "coupon": True,
                    "flash_sale": False,
                    "category": "shoes",
                },
            ),
            (
                "purchase",
                buyer,
                3,
                12,
                {
                    "amount": 4_700,
                    "order_id": 7,
                    "quantity": 1,
                    "coupon": False,
                    "flash_sale": False,
                    "brand": "acme",
                },
            ),
            ("gift", buyer, 3, None, {"gift": "rose", "quantity": 2, "coins": 20}),
        ],
        key=repr,
    )


def test_nothing_is_recorded_after_close(tmp_path: Path) -> None:
    loop = asyncio.new_event_loop()
    recorder = EventRecorder(tmp_path / "events.duckdb", SECRET)
    sales = RecordPlatformSales(recorder, loop=loop)
    sales.close()
    sales.on_order_paid(PAID)
    sales.on_gift_sent(GIFT)
    loop.run_until_complete(recorder.flush())
    loop.close()

    assert read_events(tmp_path / "events.duckdb") == []

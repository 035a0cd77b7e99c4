"""Migration 0042 on a database with notices and scans kept as Chinese sentences: they
keep showing the words they were stored with, in any language (marked as Chinese),
while a notice and a scan written after it are worded in the reader's language."""

from __future__ import annotations

from alembic import command
from fastapi.testclient import TestClient
from sqlalchemy import select, text

from liveshop.accounts.models import Role
from liveshop.core.clock import utcnow
from liveshop.core.db import unit_of_work
from liveshop.core.migrations import alembic_config, upgrade_database
from liveshop.tracking.models import Shipment
from tests.conftest import MakeAccount
from tests.reviews.helpers import make_product, order_line

OLD_TITLE, OLD_BODY = "你的订单已发货", "订单 7 · 沙箱快递 SB1"
OLD_SCAN = "快递员已揽收"


def _reader(locale: str) -> dict[str, str]:
    return {"Accept-Language": locale}


def test_rows_from_before_keep_their_words_and_new_ones_are_worded_when_read(
    client: TestClient, database_url: str, make_account: MakeAccount
) -> None:
    merchant, buyer = make_account(Role.MERCHANT), make_account()
    product_id, _ = make_product(database_url, merchant)
    order_id = order_line(
        database_url, buyer=buyer, merchant=merchant, product_id=product_id, state="paid"
    ).order_id
    command.downgrade(alembic_config(database_url), "0041")
    with unit_of_work(database_url) as session:  # as the code before 0042 wrote them
        session.execute(
            text(
                "INSERT INTO notifications (user_id, kind, title, body, link, dedupe_key,"
                " created_at) VALUES (:user, 'ORDER_SHIPPED', :title, :body, '', 'old:1', :at)"
            ),
            {"user": buyer.id, "title": OLD_TITLE, "body": OLD_BODY, "at": utcnow()},
        )
        session.execute(
            text(
                "INSERT INTO shipments (order_id, carrier, tracking_number, status, created_at,"
                " updated_at) VALUES (:order, 'sandbox', 'SB1', 'PICKED_UP', :at, :at)"
            ),
            {"order": order_id, "at": utcnow()},
        )
        shipment_id = session.scalars(
            select(Shipment.id).where(Shipment.order_id == order_id)
        ).one()
        session.execute(
            text(
                "INSERT INTO carrier_events (shipment_id, event_id, status, location,"
                " description, occurred_at, received_at) VALUES (:shipment, 'SB1-1',"
                " 'PICKED_UP', '杭州 揽收网点', :description, :at, :at)"
            ),
            {"shipment": shipment_id, "description": OLD_SCAN, "at": utcnow()},
        )

    upgrade_database(database_url)

    for locale in ("en", "zh-CN"):
        notices = client.get("/api/notifications", headers=buyer.headers | _reader(locale))
        (old,) = notices.json()["items"]
        assert (old["title"], old["body"], old["lang"], old["params"]) == (
            OLD_TITLE,
            OLD_BODY,
            "zh-CN",
            None,
        )
        timeline = client.get(
            f"/api/orders/{order_id}/tracking", headers=buyer.headers | _reader(locale)
        ).json()
        (scan,) = timeline["events"]
        assert (scan["description"], scan["lang"], scan["scan"]) == (OLD_SCAN, "zh-CN", None)
    page = client.get("/notifications", headers=buyer.headers | _reader("en")).text
    assert f'<strong class="notice-title" lang="zh-CN">{OLD_TITLE}</strong>' in page

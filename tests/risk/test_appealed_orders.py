"""An appeal that clears a case the review had confirmed gives the buyer the order
back: the cancelled order returns to pending payment with a fresh window when its
units can be taken again; otherwise it stays cancelled and the buyer is told why."""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import select

from liveshop.catalog.models import Sku
from liveshop.core.clock import as_utc, utcnow
from liveshop.core.db import unit_of_work
from liveshop.orders.models import Order, OrderTransition
from tests.payments.money import Json
from tests.risk.test_held_orders import (
    People,
    _held_order,
    _label,
    _pay,
    _stock,
    people,
)

__all__ = ["people"]  # the cast's fixture, shared with the held orders' tests


def _refused_then_appealed(client: TestClient, people: People) -> tuple[Json, int]:
    order, case_id = _held_order(client, people)
    _label(client, people, case_id, "brushing_ring")
    appealed = client.post(
        f"/api/risk/cases/{case_id}/appeal",
        json={"text": "是我本人下的单"},
        headers=people.buyer.headers,
    )
    assert appealed.status_code == 200, appealed.text
    return order, case_id


def _notices(client: TestClient, people: People) -> list[tuple[str, str, str]]:
    page = client.get("/api/notifications", headers=people.buyer.headers).json()
    return [(item["kind"], item["title"], item["link"]) for item in page["items"]]


def _moves(database_url: str, order_id: int) -> list[tuple[str | None, str]]:
    with unit_of_work(database_url) as session:
        rows = session.scalars(
            select(OrderTransition)
            .where(OrderTransition.order_id == order_id)
            .order_by(OrderTransition.id)
        ).all()
        return [(row.from_status, row.to_status) for row in rows]


def test_an_order_cleared_on_appeal_is_reopened_with_a_fresh_window(
    client: TestClient, people: People, database_url: str
) -> None:
    order, case_id = _refused_then_appealed(client, people)
    sku_id = order["items"][0]["sku_id"]
    stock_while_cancelled = _stock(database_url, sku_id)

    _label(client, people, case_id, "legit")
    paid = _pay(client, people, order["id"], key="pay-after-appeal-0001")

    with unit_of_work(database_url) as session:
        reopened_at = session.get_one(Order, order["id"]).updated_at
    assert stock_while_cancelled == 5
    assert _stock(database_url, sku_id) == 3  # the two units taken again
    assert _moves(database_url, order["id"]) == [
        (None, "pending_payment"),
        ("pending_payment", "cancelled"),
        ("cancelled", "pending_payment"),
        ("pending_payment", "paid"),
    ]
    assert as_utc(reopened_at) > utcnow() - timedelta(minutes=1)
    assert (paid[0], paid[1]["status"]) == (201, "succeeded")
    assert _notices(client, people) == [
        ("order_appeal", "申诉通过，订单已恢复", f"/orders/{order['id']}")
    ]


def test_the_reopened_order_gets_the_whole_payment_window_from_now(
    client: TestClient, people: People, database_url: str
) -> None:
    order, case_id = _refused_then_appealed(client, people)

    _label(client, people, case_id, "legit")

    with unit_of_work(database_url) as session:
        reopened = session.get_one(Order, order["id"])
        assert reopened.expires_at is not None
        window = as_utc(reopened.expires_at) - utcnow()
        assert (reopened.status.value, reopened.risk_hold) == ("pending_payment", False)
    assert timedelta(minutes=14) < window <= timedelta(minutes=15)  # order_payment_minutes


def test_an_order_whose_stock_is_gone_stays_cancelled_and_the_buyer_is_told(
    client: TestClient, people: People, database_url: str
) -> None:
    order, case_id = _refused_then_appealed(client, people)
    sku_id = order["items"][0]["sku_id"]
    with unit_of_work(database_url) as session:
        session.get_one(Sku, sku_id).stock = 1  # others bought the rest meanwhile

    _label(client, people, case_id, "legit")
    refused = _pay(client, people, order["id"], key="pay-after-appeal-0002")

    shown = client.get(f"/api/orders/{order['id']}", headers=people.buyer.headers).json()
    assert shown["status"] == "cancelled"
    assert _stock(database_url, sku_id) == 1  # nothing taken
    assert (refused[0], refused[1]["code"]) == (409, "order_not_payable")
    assert _notices(client, people) == [
        ("order_appeal", "申诉通过，但订单未能恢复", f"/orders/{order['id']}")
    ]
    assert _moves(database_url, order["id"])[-1] == ("pending_payment", "cancelled")

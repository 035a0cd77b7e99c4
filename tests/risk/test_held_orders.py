"""An order the engine holds for review cannot be paid until an analyst releases
the case; a case found abusive cancels the order and returns its stock."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient

from liveshop.accounts.models import Role
from liveshop.catalog.models import Sku
from liveshop.core.clock import utcnow
from liveshop.core.db import unit_of_work
from liveshop.orders.models import Order
from liveshop.orders.service import expire_unpaid_orders
from liveshop.promotions import flash_sales
from tests.conftest import Account, MakeAccount
from tests.payments.money import Json, add_card

HELD_PRICE = 4_566  # 分: the test's rule holds orders of exactly this much


@dataclass(frozen=True)
class People:
    analyst: Account
    merchant: Account
    buyer: Account


@pytest.fixture
def people(client: TestClient, make_account: MakeAccount) -> People:
    """The cast, with an admin's rule that holds orders of HELD_PRICE for review."""
    rule = f"review if is_order and amount == {HELD_PRICE}"
    admin = make_account(Role.ADMIN)
    saved = client.post("/api/risk/rules", json={"source": rule}, headers=admin.headers)
    assert saved.status_code == 201, saved.text
    return People(
        make_account(Role.RISK_ANALYST), make_account(Role.MERCHANT), make_account(Role.VIEWER)
    )


def _held_order(client: TestClient, people: People) -> tuple[Json, int]:
    """An order of two units held for review, and its case's id."""
    product = client.post(
        "/api/products",
        json={"title": "围巾", "price": HELD_PRICE // 2, "stock": 5},
        headers=people.merchant.headers,
    ).json()
    placed = client.post(
        "/api/orders",
        json={"items": [{"sku_id": product["skus"][0]["id"], "quantity": 2}]},
        headers=people.buyer.headers | {"Idempotency-Key": f"held-order-{product['id']}"},
    )
    assert placed.status_code == 201, placed.text
    order: Json = placed.json()
    queue = client.get("/api/risk/cases", headers=people.analyst.headers).json()
    [case_id] = [case["id"] for case in queue if case["subject"] == f"order:{order['id']}"]
    return order, case_id


def _pay(client: TestClient, people: People, order_id: int, key: str) -> tuple[int, Json]:
    method_id = add_card(client, people.buyer)
    response = client.post(
        "/api/payments",
        json={"order_id": order_id, "payment_method_id": method_id},
        headers=people.buyer.headers | {"Idempotency-Key": key},
    )
    body: Json = response.json()
    return response.status_code, body


def _label(client: TestClient, people: People, case_id: int, label: str) -> None:
    labelled = client.post(
        f"/api/risk/cases/{case_id}/label", json={"label": label}, headers=people.analyst.headers
    )
    assert labelled.status_code == 200, labelled.text


def _stock(database_url: str, sku_id: int) -> int:
    with unit_of_work(database_url) as session:
        return session.get_one(Sku, sku_id).stock


def _expire_as_if(database_url: str, later: timedelta) -> int:
    """Run the unpaid orders' expiry as it would run ``later`` from now."""
    with unit_of_work(database_url) as session:
        engine = flash_sales.stock_engine_for(None, database_url)
        return expire_unpaid_orders(session, engine=engine, now=utcnow() + later)


def _age(database_url: str, order_id: int, by: timedelta) -> None:
    with unit_of_work(database_url) as session:
        order = session.get_one(Order, order_id)
        assert order.expires_at is not None
        order.created_at -= by
        order.expires_at -= by


def test_a_held_order_is_paid_only_once_the_analyst_releases_it(
    client: TestClient, people: People, database_url: str
) -> None:
    order, case_id = _held_order(client, people)
    assert order["total"] == HELD_PRICE

    held = _pay(client, people, order["id"], key="pay-held-0001")
    expired_while_held = _expire_as_if(database_url, timedelta(days=1))
    _age(database_url, order["id"], timedelta(hours=2))  # the review took its time
    _label(client, people, case_id, "legit")
    expired_soon_after = _expire_as_if(database_url, timedelta(minutes=10))
    released = _pay(client, people, order["id"], key="pay-released-0001")

    assert held == (
        409,
        {
            "detail": "this order is held for a security review; it can be paid once the "
            "review releases it",
            "code": "order_held_for_review",
        },
    )
    assert (expired_while_held, expired_soon_after) == (0, 0)  # a fresh payment window
    assert (released[0], released[1]["status"]) == (201, "succeeded")
    shown = client.get(f"/api/orders/{order['id']}", headers=people.buyer.headers).json()
    assert shown["status"] == "paid"


def test_an_order_found_abusive_is_cancelled_and_its_stock_returned(
    client: TestClient, people: People, database_url: str
) -> None:
    order, case_id = _held_order(client, people)
    sku_id = order["items"][0]["sku_id"]
    assert _stock(database_url, sku_id) == 3

    _label(client, people, case_id, "brushing_ring")
    refused = _pay(client, people, order["id"], key="pay-refused-0001")

    shown = client.get(f"/api/orders/{order['id']}", headers=people.buyer.headers).json()
    assert shown["status"] == "cancelled"
    assert _stock(database_url, sku_id) == 5
    assert (refused[0], refused[1]["code"]) == (409, "order_not_payable")

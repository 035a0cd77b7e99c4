"""The buyer's order detail (issue 18 §5): the API's figures and one dated history of
the order's states and its after-sale requests; nobody else reads it."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from liveshop.accounts.models import Role, User
from liveshop.core.db import unit_of_work
from liveshop.core.errors import NotFound, PermissionDenied
from liveshop.orders.service import mark_paid
from liveshop.orders.status_history import buyer_order_detail
from tests.conftest import Account, MakeAccount

ADDRESS = {"recipient": "李四", "phone": "13912345678", "region": "上海市", "line": "世纪大道 1 号"}


@pytest.fixture
def database_url(sqlite_url: str) -> str:
    return sqlite_url


def _shipped_order_with_a_return(
    client: TestClient, merchant: Account, buyer: Account, database_url: str
) -> dict[str, Any]:
    product = client.post(
        "/api/products",
        json={"title": "保温杯", "price": 5_000, "stock": 10},
        headers=merchant.headers,
    ).json()
    address = client.post("/api/addresses", json=ADDRESS, headers=buyer.headers).json()
    order: dict[str, Any] = client.post(
        "/api/orders",
        json={
            "items": [{"sku_id": product["skus"][0]["id"], "quantity": 2}],
            "address_id": address["id"],
        },
        headers=buyer.headers | {"Idempotency-Key": f"detail-{product['id']}"},
    ).json()
    with unit_of_work(database_url) as session:
        mark_paid(session, order_id=order["id"], payment_ref=f"pay-{order['id']}")
    client.post(
        f"/api/orders/{order['id']}/ship",
        json={"tracking_number": "SF3003"},
        headers=merchant.headers,
    )
    request = client.post(
        f"/api/orders/{order['id']}/after-sales",
        json={"kind": "return", "reason": "尺码不合适"},
        headers=buyer.headers,
    ).json()
    client.post(
        f"/api/after-sales/{request['id']}/decision",
        json={"approve": True},
        headers=merchant.headers,
    )
    return order


def test_the_detail_has_the_api_figures_and_the_history_in_order(
    client: TestClient, make_account: MakeAccount, database_url: str
) -> None:
    merchant, buyer = make_account(Role.MERCHANT), make_account(Role.VIEWER)
    order = _shipped_order_with_a_return(client, merchant, buyer, database_url)
    api = client.get(f"/api/orders/{order['id']}", headers=buyer.headers).json()
    with unit_of_work(database_url) as session:
        detail = buyer_order_detail(
            session, buyer=session.get_one(User, buyer.id), order_id=order["id"]
        )
    shown = detail.order.model_dump(mode="json")
    for figure in ("items_total", "discount_total", "shipping_fee", "total", "items"):
        assert shown[figure] == api[figure]
    assert shown["address"]["phone"] == "139****5678"
    assert [(step.kind, step.state) for step in detail.history] == [
        ("order", "pending_payment"),
        ("order", "paid"),
        ("order", "shipped"),
        ("after_sale", "requested"),
        ("after_sale", "awaiting_return"),
    ]
    assert [step.at for step in detail.history] == sorted(step.at for step in detail.history)


def test_only_the_buyer_reads_the_detail(
    client: TestClient, make_account: MakeAccount, database_url: str
) -> None:
    merchant, buyer = make_account(Role.MERCHANT), make_account(Role.VIEWER)
    stranger = make_account(Role.VIEWER)
    order = _shipped_order_with_a_return(client, merchant, buyer, database_url)
    with unit_of_work(database_url) as session:
        with pytest.raises(NotFound):
            buyer_order_detail(
                session, buyer=session.get_one(User, stranger.id), order_id=order["id"]
            )
        with pytest.raises(PermissionDenied):  # the shop sees the order, not the buyer's page
            buyer_order_detail(
                session, buyer=session.get_one(User, merchant.id), order_id=order["id"]
            )

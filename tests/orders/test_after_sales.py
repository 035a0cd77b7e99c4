"""After-sales: refunds before shipping, returns after, rejections, disputes, deadlines."""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient

from liveshop.accounts.models import Role
from liveshop.core.clock import utcnow
from liveshop.core.db import unit_of_work
from liveshop.orders import after_sales
from liveshop.orders.service import mark_paid
from tests.conftest import Account, MakeAccount


def _paid_order(
    client: TestClient, merchant: Account, buyer: Account, database_url: str, quantity: int = 2
) -> tuple[dict, dict]:
    product = client.post(
        "/api/products",
        json={"title": "保温杯", "price": 5_000, "stock": 10},
        headers=merchant.headers,
    ).json()
    order = client.post(
        "/api/orders",
        json={"items": [{"sku_id": product["skus"][0]["id"], "quantity": quantity}]},
        headers=buyer.headers | {"Idempotency-Key": f"aftersale-{product['id']}"},
    ).json()
    with unit_of_work(database_url) as session:
        mark_paid(session, order_id=order["id"], payment_ref=f"pay-{order['id']}")
    return product, order


def _stock(client: TestClient, product: dict) -> int:
    return int(client.get(f"/api/products/{product['id']}").json()["total_stock"])


def test_a_refund_before_shipping_is_immediate_and_returns_stock(
    client: TestClient, make_account: MakeAccount, database_url: str
) -> None:
    merchant, buyer = make_account(Role.MERCHANT), make_account(Role.VIEWER)
    product, order = _paid_order(client, merchant, buyer, database_url)
    assert _stock(client, product) == 8
    response = client.post(
        f"/api/orders/{order['id']}/after-sales", json={"reason": "拍错了"}, headers=buyer.headers
    )
    assert response.status_code == 201
    assert (response.json()["status"], response.json()["amount"]) == ("refunded", 10_000)
    assert (
        client.get(f"/api/orders/{order['id']}", headers=buyer.headers).json()["status"]
        == "refunded"
    )
    assert _stock(client, product) == 10


def test_a_return_after_shipping_goes_through_the_merchant(
    client: TestClient, make_account: MakeAccount, database_url: str
) -> None:
    merchant, buyer = make_account(Role.MERCHANT), make_account(Role.VIEWER)
    product, order = _paid_order(client, merchant, buyer, database_url)
    client.post(
        f"/api/orders/{order['id']}/ship",
        json={"tracking_number": "SF2002"},
        headers=merchant.headers,
    )
    request = client.post(
        f"/api/orders/{order['id']}/after-sales",
        json={
            "kind": "return",
            "reason": "尺码不合适",
            "items": [{"sku_id": product["skus"][0]["id"], "quantity": 1}],
        },
        headers=buyer.headers,
    ).json()
    assert (request["status"], request["amount"]) == ("requested", 5_000)
    stranger = make_account(Role.MERCHANT)
    denied = client.post(
        f"/api/after-sales/{request['id']}/decision",
        json={"approve": True},
        headers=stranger.headers,
    )
    assert denied.status_code == 403
    approved = client.post(
        f"/api/after-sales/{request['id']}/decision",
        json={"approve": True},
        headers=merchant.headers,
    ).json()
    assert approved["status"] == "awaiting_return"
    shipped = client.post(
        f"/api/after-sales/{request['id']}/return-shipment",
        json={"tracking_number": "YT3003"},
        headers=buyer.headers,
    ).json()
    assert shipped["status"] == "return_shipped"
    done = client.post(
        f"/api/after-sales/{request['id']}/return-received", headers=merchant.headers
    ).json()
    assert done["status"] == "refunded"
    assert _stock(client, product) == 9  # the returned unit is back
    assert (
        client.get(f"/api/orders/{order['id']}", headers=buyer.headers).json()["status"]
        == "shipped"
    )
    too_much = client.post(
        f"/api/orders/{order['id']}/after-sales",
        json={"reason": "again", "items": [{"sku_id": product["skus"][0]["id"], "quantity": 2}]},
        headers=buyer.headers,
    )
    assert too_much.status_code == 409
    assert too_much.json()["code"] == "refund_exceeds_total"


def test_a_rejection_can_be_disputed_and_decided_by_the_platform(
    client: TestClient, make_account: MakeAccount, database_url: str
) -> None:
    merchant, buyer = make_account(Role.MERCHANT), make_account(Role.VIEWER)
    moderator = make_account(Role.MODERATOR)
    _product, order = _paid_order(client, merchant, buyer, database_url)
    client.post(
        f"/api/orders/{order['id']}/ship",
        json={"tracking_number": "SF4004"},
        headers=merchant.headers,
    )
    request = client.post(
        f"/api/orders/{order['id']}/after-sales",
        json={"reason": "质量问题", "quality_complaint": True},
        headers=buyer.headers,
    ).json()
    no_reason = client.post(
        f"/api/after-sales/{request['id']}/decision",
        json={"approve": False},
        headers=merchant.headers,
    )
    assert no_reason.status_code == 422
    rejected = client.post(
        f"/api/after-sales/{request['id']}/decision",
        json={"approve": False, "reason": "人为损坏"},
        headers=merchant.headers,
    ).json()
    assert (rejected["status"], rejected["rejection_reason"]) == ("rejected", "人为损坏")
    assert (
        client.post(f"/api/after-sales/{request['id']}/escalate", headers=buyer.headers).json()[
            "status"
        ]
        == "disputed"
    )
    by_buyer = client.post(
        f"/api/after-sales/{request['id']}/resolution",
        json={"refund": True, "reason": "me"},
        headers=buyer.headers,
    )
    assert by_buyer.status_code == 403
    decided = client.post(
        f"/api/after-sales/{request['id']}/resolution",
        json={"refund": True, "reason": "照片显示出厂瑕疵"},
        headers=moderator.headers,
    ).json()
    assert decided["status"] == "refunded"
    assert (
        client.get(f"/api/orders/{order['id']}", headers=buyer.headers).json()["status"]
        == "refunded"
    )
    rates = client.get("/api/complaint-rates", headers=moderator.headers).json()
    assert [(r["complaints"], r["units_sold"]) for r in rates] == [(1, 2)]


def test_a_merchant_who_does_not_answer_is_deemed_to_approve(
    client: TestClient, make_account: MakeAccount, database_url: str
) -> None:
    merchant, buyer = make_account(Role.MERCHANT), make_account(Role.VIEWER)
    _product, order = _paid_order(client, merchant, buyer, database_url)
    client.post(
        f"/api/orders/{order['id']}/ship",
        json={"tracking_number": "SF5005"},
        headers=merchant.headers,
    )
    request = client.post(
        f"/api/orders/{order['id']}/after-sales", json={"reason": "未收到"}, headers=buyer.headers
    ).json()
    with unit_of_work(database_url) as session:
        assert after_sales.approve_overdue(session, now=utcnow() + timedelta(hours=47)) == 0
        assert after_sales.approve_overdue(session, now=utcnow() + timedelta(hours=49)) == 1
    shown = client.get(f"/api/after-sales/{request['id']}", headers=buyer.headers).json()
    assert shown["status"] == "refunded"


def test_no_after_sales_for_an_unpaid_order(client: TestClient, make_account: MakeAccount) -> None:
    merchant, buyer = make_account(Role.MERCHANT), make_account(Role.VIEWER)
    product = client.post(
        "/api/products", json={"title": "x", "price": 100, "stock": 1}, headers=merchant.headers
    ).json()
    order = client.post(
        "/api/orders",
        json={"items": [{"sku_id": product["skus"][0]["id"], "quantity": 1}]},
        headers=buyer.headers | {"Idempotency-Key": "unpaid-0001"},
    ).json()
    response = client.post(
        f"/api/orders/{order['id']}/after-sales", json={"reason": "x"}, headers=buyer.headers
    )
    assert response.status_code == 409
    assert response.json()["code"] == "no_after_sales"

"""Catalog and orders through the HTTP API: ownership, idempotency, stock, the state machine."""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import select

from liveshop.accounts.models import Role
from liveshop.core.clock import utcnow
from liveshop.core.db import unit_of_work
from liveshop.orders.models import OrderTransition
from liveshop.orders.service import expire_unpaid_orders, mark_paid
from liveshop.promotions.stock_engines import SqlStockEngine
from tests.conftest import Account, MakeAccount


def _product(client: TestClient, merchant: Account, price: int = 29_900, stock: int = 10) -> dict:
    response = client.post(
        "/api/products",
        json={"title": "羽绒服", "price": price, "stock": stock},
        headers=merchant.headers,
    )
    assert response.status_code == 201, response.text
    return response.json()


def _order(client: TestClient, buyer: Account, body: dict, key: str) -> tuple[int, dict]:
    response = client.post(
        "/api/orders", json=body, headers=buyer.headers | {"Idempotency-Key": key}
    )
    return response.status_code, response.json()


def test_the_shortest_body_makes_one_sku_and_a_shop(
    client: TestClient, make_account: MakeAccount
) -> None:
    merchant = make_account(Role.MERCHANT)
    product = _product(client, merchant)
    assert [(sku["price"], sku["stock"]) for sku in product["skus"]] == [(29_900, 10)]
    listed = client.get(f"/api/shops/{product['shop_id']}/products").json()
    assert [item["id"] for item in listed] == [product["id"]]


def test_a_merchant_cannot_edit_another_shops_product(
    client: TestClient, make_account: MakeAccount
) -> None:
    owner, other = make_account(Role.MERCHANT), make_account(Role.MERCHANT)
    product = _product(client, owner)
    response = client.patch(
        f"/api/products/{product['id']}", json={"title": "偷改"}, headers=other.headers
    )
    assert response.status_code == 403
    assert response.json()["code"] == "not_your_shop"
    assert client.get(f"/api/products/{product['id']}").json()["title"] == "羽绒服"
    viewer = make_account(Role.VIEWER)
    denied = client.post(
        "/api/products", json={"title": "x", "price": 1, "stock": 1}, headers=viewer.headers
    )
    assert denied.status_code == 403


def test_idempotent_orders_reserve_stock_once(
    client: TestClient, make_account: MakeAccount
) -> None:
    merchant, buyer = make_account(Role.MERCHANT), make_account(Role.VIEWER)
    product = _product(client, merchant, stock=5)
    body = {"items": [{"sku_id": product["skus"][0]["id"], "quantity": 2}]}
    first_status, first = _order(client, buyer, body, "order-key-0001")
    again_status, again = _order(client, buyer, body, "order-key-0001")
    other_status, other = _order(
        client,
        buyer,
        body
        | {"coupon_codes": []}
        | {"items": [{"sku_id": product["skus"][0]["id"], "quantity": 3}]},
        "order-key-0001",
    )
    assert (first_status, again_status, other_status) == (201, 200, 409)
    assert again["id"] == first["id"]
    assert other["code"] == "idempotency_conflict"
    assert (first["status"], first["total"]) == ("pending_payment", 59_800)
    assert client.get(f"/api/products/{product['id']}").json()["total_stock"] == 3


def test_stock_never_goes_below_zero(client: TestClient, make_account: MakeAccount) -> None:
    merchant, buyer = make_account(Role.MERCHANT), make_account(Role.VIEWER)
    product = _product(client, merchant, stock=1)
    status, body = _order(
        client,
        buyer,
        {"items": [{"sku_id": product["skus"][0]["id"], "quantity": 2}]},
        "order-key-0002",
    )
    assert status == 409
    assert body["code"] == "insufficient_stock"
    assert client.get(f"/api/products/{product['id']}").json()["total_stock"] == 1
    assert client.get("/api/orders", headers=buyer.headers).json() == []


def test_the_state_machine_refuses_illegal_moves_and_records_legal_ones(
    client: TestClient, make_account: MakeAccount, database_url: str
) -> None:
    merchant, buyer = make_account(Role.MERCHANT), make_account(Role.VIEWER)
    product = _product(client, merchant)
    _status, order = _order(
        client,
        buyer,
        {"items": [{"sku_id": product["skus"][0]["id"], "quantity": 1}]},
        "order-key-0003",
    )
    early = client.post(
        f"/api/orders/{order['id']}/ship",
        json={"tracking_number": "SF1001"},
        headers=merchant.headers,
    )
    assert early.status_code == 409
    assert "pending_payment" in early.json()["detail"]
    with unit_of_work(database_url) as session:
        mark_paid(session, order_id=order["id"], payment_ref="pay-1")
        mark_paid(session, order_id=order["id"], payment_ref="pay-1")  # a repeated webhook
    not_buyer = client.post(
        f"/api/orders/{order['id']}/ship", json={"tracking_number": "SF1001"}, headers=buyer.headers
    )
    assert not_buyer.status_code == 403
    shipped = client.post(
        f"/api/orders/{order['id']}/ship",
        json={"tracking_number": "SF1001"},
        headers=merchant.headers,
    )
    assert shipped.json()["status"] == "shipped"
    client.post(f"/api/orders/{order['id']}/confirm-delivery", headers=buyer.headers)
    done = client.post(f"/api/orders/{order['id']}/complete", headers=buyer.headers).json()
    assert [(t["from_status"], t["to_status"]) for t in done["transitions"]] == [
        (None, "pending_payment"),
        ("pending_payment", "paid"),
        ("paid", "shipped"),
        ("shipped", "delivered"),
        ("delivered", "completed"),
    ]
    assert done["transitions"][2]["actor_id"] == merchant.id


def test_orders_are_private_to_buyer_shop_and_admin(
    client: TestClient, make_account: MakeAccount
) -> None:
    merchant, buyer = make_account(Role.MERCHANT), make_account(Role.VIEWER)
    stranger, admin = make_account(Role.VIEWER), make_account(Role.ADMIN)
    other_merchant = make_account(Role.MERCHANT)
    _product(client, other_merchant)
    product = _product(client, merchant)
    _status, order = _order(
        client,
        buyer,
        {"items": [{"sku_id": product["skus"][0]["id"], "quantity": 1}]},
        "order-key-0004",
    )
    url = f"/api/orders/{order['id']}"
    assert client.get(url, headers=stranger.headers).status_code == 404
    assert client.get(url, headers=other_merchant.headers).status_code == 404
    assert client.get(url, headers=merchant.headers).status_code == 200
    assert client.get(url, headers=admin.headers).status_code == 200
    shop_orders = client.get("/api/orders?scope=shop", headers=merchant.headers).json()
    assert [o["id"] for o in shop_orders] == [order["id"]]
    assert client.get("/api/orders?scope=all", headers=buyer.headers).status_code == 403


def test_unpaid_orders_expire_and_give_their_stock_back(
    client: TestClient, make_account: MakeAccount, database_url: str
) -> None:
    merchant, buyer = make_account(Role.MERCHANT), make_account(Role.VIEWER)
    product = _product(client, merchant, stock=4)
    _status, order = _order(
        client,
        buyer,
        {"items": [{"sku_id": product["skus"][0]["id"], "quantity": 3}]},
        "order-key-0005",
    )
    with unit_of_work(database_url) as session:
        assert expire_unpaid_orders(session, engine=SqlStockEngine()) == 0
        later = utcnow() + timedelta(minutes=16)
        assert expire_unpaid_orders(session, engine=SqlStockEngine(), now=later) == 1
        notes = session.scalars(
            select(OrderTransition.note).where(OrderTransition.order_id == order["id"])
        ).all()
    assert notes[-1] == "payment time ran out"
    assert client.get(f"/api/orders/{order['id']}", headers=buyer.headers).json()["status"] == (
        "cancelled"
    )
    assert client.get(f"/api/products/{product['id']}").json()["total_stock"] == 4


def test_an_order_in_a_room_records_room_and_host_and_the_default_address(
    client: TestClient, make_account: MakeAccount, host: Account
) -> None:
    merchant, buyer = make_account(Role.MERCHANT), make_account(Role.VIEWER)
    product = _product(client, merchant)
    room = client.post("/api/rooms", json={"title": "直播间"}, headers=host.headers).json()
    client.post(
        "/api/addresses",
        json={"recipient": "王小明", "phone": "13800000000", "region": "上海市", "line": "1号"},
        headers=buyer.headers,
    )
    _status, order = _order(
        client,
        buyer,
        {"items": [{"sku_id": product["skus"][0]["id"], "quantity": 1}], "room_id": room["id"]},
        "order-key-0006",
    )
    assert (order["room_id"], order["host_id"]) == (room["id"], host.id)
    assert order["address"]["recipient"] == "王小明"

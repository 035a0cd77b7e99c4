"""The cart (issue 18, §5): kept per user, priced in minor units, checked out as one order
per shop in one transaction, and a retried checkout places nothing twice."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import select

from liveshop.accounts.models import Role
from liveshop.core.db import unit_of_work
from liveshop.orders.cart_models import CartItem
from tests.conftest import PASSWORD, Account, MakeAccount


def _sku(client: TestClient, merchant: Account, price: int, stock: int = 5) -> int:
    response = client.post(
        "/api/products",
        json={"title": f"商品{price}", "price": price, "stock": stock},
        headers=merchant.headers,
    )
    assert response.status_code == 201, response.text
    sku_id: int = response.json()["skus"][0]["id"]
    return sku_id


def _add(client: TestClient, buyer: Account, sku_id: int, quantity: int) -> dict:
    response = client.post(
        "/api/cart/items", json={"sku_id": sku_id, "quantity": quantity}, headers=buyer.headers
    )
    assert response.status_code == 200, response.text
    cart: dict = response.json()
    return cart


def test_the_cart_adds_changes_removes_and_totals_in_minor_units(
    client: TestClient, make_account: MakeAccount
) -> None:
    merchant, buyer, other = (make_account(r) for r in (Role.MERCHANT, Role.VIEWER, Role.VIEWER))
    scarf, hat = _sku(client, merchant, 5_990), _sku(client, merchant, 1_250)
    _add(client, buyer, scarf, 1)
    _add(client, buyer, scarf, 2)
    cart = _add(client, buyer, hat, 1)
    assert [(line["sku_id"], line["quantity"]) for line in cart["lines"]] == [(scarf, 3), (hat, 1)]
    assert (cart["count"], cart["total"]) == (4, 3 * 5_990 + 1_250)
    changed = client.put(f"/api/cart/items/{hat}", json={"quantity": 4}, headers=buyer.headers)
    assert changed.json()["total"] == 3 * 5_990 + 4 * 1_250
    removed = client.delete(f"/api/cart/items/{scarf}", headers=buyer.headers).json()
    assert [line["sku_id"] for line in removed["lines"]] == [hat]
    assert client.get("/api/cart", headers=other.headers).json()["lines"] == []
    added = client.put(f"/api/cart/items/{scarf}", json={"quantity": 2}, headers=other.headers)
    assert [(line["sku_id"], line["quantity"]) for line in added.json()["lines"]] == [(scarf, 2)]


def test_checkout_places_one_order_per_shop_once_and_empties_the_cart(
    client: TestClient, make_account: MakeAccount
) -> None:
    first_shop, second_shop = make_account(Role.MERCHANT), make_account(Role.MERCHANT)
    buyer = make_account(Role.VIEWER)
    scarf, hat = _sku(client, first_shop, 5_990), _sku(client, first_shop, 1_250)
    coat = _sku(client, second_shop, 29_900)
    for sku_id, quantity in ((scarf, 2), (hat, 1), (coat, 1)):
        _add(client, buyer, sku_id, quantity)
    headers = buyer.headers | {"Idempotency-Key": "cart-checkout-0001"}
    response = client.post("/api/cart/checkout", json={}, headers=headers)
    assert response.status_code == 201, response.text
    orders = response.json()["orders"]
    assert sorted(order["total"] for order in orders) == [2 * 5_990 + 1_250, 29_900]
    assert {order["status"] for order in orders} == {"pending_payment"}
    assert client.get("/api/cart", headers=buyer.headers).json()["lines"] == []
    again = client.post("/api/cart/checkout", json={}, headers=headers).json()["orders"]
    assert [order["id"] for order in again] == [order["id"] for order in orders]
    stock = client.get(f"/api/products/{orders[0]['items'][0]['product_id']}").json()
    assert stock["skus"][0]["stock"] == 3  # 5 less the 2 reserved
    empty = client.post(
        "/api/cart/checkout", json={}, headers=buyer.headers | {"Idempotency-Key": "cart-9999"}
    )
    assert empty.json()["code"] == "cart_empty"


def test_a_failing_shop_order_places_none_and_keeps_the_cart(
    client: TestClient, make_account: MakeAccount
) -> None:
    first_shop, second_shop = make_account(Role.MERCHANT), make_account(Role.MERCHANT)
    buyer = make_account(Role.VIEWER)
    scarf, coat = _sku(client, first_shop, 5_990), _sku(client, second_shop, 29_900, stock=1)
    _add(client, buyer, scarf, 1)
    _add(client, buyer, coat, 2)  # more than the stock
    headers = buyer.headers | {"Idempotency-Key": "cart-checkout-0002"}
    response = client.post("/api/cart/checkout", json={}, headers=headers)
    assert response.status_code == 409, response.text
    assert client.get("/api/orders", headers=buyer.headers).json() == []
    assert len(client.get("/api/cart", headers=buyer.headers).json()["lines"]) == 2


def test_the_cart_is_in_the_export_and_goes_with_erasure(
    client: TestClient, make_account: MakeAccount, database_url: str
) -> None:
    merchant, buyer = make_account(Role.MERCHANT), make_account(Role.VIEWER)
    scarf = _sku(client, merchant, 5_990)
    _add(client, buyer, scarf, 2)
    exported = client.get("/api/me/export", headers=buyer.headers).json()
    assert [(item["sku_id"], item["quantity"]) for item in exported["orders"]["cart"]] == [
        (scarf, 2)
    ]
    erased = client.post("/api/me/erase", json={"password": PASSWORD}, headers=buyer.headers)
    assert erased.json()["erased"]["cart"] == {"cart_items": 1}
    with unit_of_work(database_url) as session:
        assert session.scalars(select(CartItem).where(CartItem.user_id == buyer.id)).all() == []

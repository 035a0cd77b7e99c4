"""Orders a page at a time for the merchant's and the host's consoles (issue 18, §4)."""

from __future__ import annotations

from fastapi.testclient import TestClient

from liveshop.accounts.models import Role
from tests.conftest import Account, MakeAccount
from tests.live.helpers import live_room


def _place(client: TestClient, buyer: Account, body: dict, count: int) -> list[int]:
    ids = []
    for index in range(count):
        response = client.post(
            "/api/orders",
            json=body,
            headers=buyer.headers | {"Idempotency-Key": f"page-{index:04}"},
        )
        assert response.status_code == 201, response.text
        ids.append(response.json()["id"])
    return ids


def _product(client: TestClient, merchant: Account) -> dict:
    response = client.post(
        "/api/products",
        json={"title": "围巾", "price": 1_000, "stock": 100},
        headers=merchant.headers,
    )
    assert response.status_code == 201, response.text
    return response.json()


def test_a_shop_pages_its_orders_newest_first_with_the_total(
    client: TestClient, make_account: MakeAccount
) -> None:
    merchant, buyer = make_account(Role.MERCHANT), make_account(Role.VIEWER)
    sku_id = _product(client, merchant)["skus"][0]["id"]
    ids = _place(client, buyer, {"items": [{"sku_id": sku_id, "quantity": 1}]}, 25)
    client.post(f"/api/orders/{ids[0]}/cancel", json={"reason": "不要了"}, headers=buyer.headers)
    first = client.get("/api/shop-orders", headers=merchant.headers).json()
    last = client.get("/api/shop-orders?page=2", headers=merchant.headers).json()
    assert (first["total"], first["pages"], first["per_page"]) == (25, 2, 20)
    assert [order["id"] for order in first["orders"] + last["orders"]] == ids[::-1]
    assert (first["counted"], first["amount"]) == (24, 24_000)
    cancelled = client.get("/api/shop-orders?status=cancelled", headers=merchant.headers).json()
    assert ([order["id"] for order in cancelled["orders"]], cancelled["total"]) == ([ids[0]], 1)
    assert client.get("/api/shop-orders", headers=buyer.headers).json()["code"] == "no_shop"


def test_shops_are_found_by_name(client: TestClient, make_account: MakeAccount) -> None:
    merchant = make_account(Role.MERCHANT)
    shop_id = _product(client, merchant)["shop_id"]
    name = client.get("/api/shops/mine", headers=merchant.headers).json()["name"]
    found = client.get("/api/shops", params={"q": name[1:4]}).json()
    assert [(shop["id"], shop["name"]) for shop in found] == [(shop_id, name)]
    assert client.get("/api/shops", params={"q": "没有这家店_%"}).json() == []


def test_a_room_pages_its_orders_for_its_host_only(
    client: TestClient, make_account: MakeAccount, host: Account
) -> None:
    merchant, buyer = make_account(Role.MERCHANT), make_account(Role.VIEWER)
    product = _product(client, merchant)
    room_id = live_room(client, host)
    shelf = client.put(
        f"/api/rooms/{room_id}/shelf", json={"product_ids": [product["id"]]}, headers=host.headers
    )
    assert shelf.status_code == 200, shelf.text
    body = {"items": [{"sku_id": product["skus"][0]["id"], "quantity": 2}], "room_id": room_id}
    ids = _place(client, buyer, body, 3)
    page = client.get(
        f"/api/rooms/{room_id}/order-pages?per_page=2&page=2", headers=host.headers
    ).json()
    assert [order["id"] for order in page["orders"]] == ids[:1]
    assert (page["total"], page["pages"], page["amount"]) == (3, 2, 6_000)
    denied = client.get(f"/api/rooms/{room_id}/order-pages", headers=buyer.headers)
    assert denied.status_code == 403

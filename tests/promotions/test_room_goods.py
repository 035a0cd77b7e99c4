"""Whose goods a room may sell or give away: the host's own shop's (one they staff),
or a shop's that runs the promotion itself on a room whose shelf carries its product.

A host once created a flash sale at 1 分 for another shop's SKU (reserving that
shop's stock) and lucky draws whose prize was another shop's SKU or coupon.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from liveshop.accounts.models import Role
from liveshop.core.clock import utcnow
from tests.catalog.staffing import hire
from tests.conftest import Account, MakeAccount


@dataclass(frozen=True)
class Scene:
    """A merchant's product and shop coupon, and a host's live room with no tie to the shop."""

    merchant: Account
    host: Account
    room_id: int
    product_id: int
    sku_id: int
    coupon_id: int


def _window() -> dict[str, str]:
    now = utcnow()
    return {
        "starts_at": (now + timedelta(minutes=1)).isoformat(),
        "ends_at": (now + timedelta(hours=1)).isoformat(),
    }


@pytest.fixture
def scene(client: TestClient, make_account: MakeAccount, host: Account) -> Scene:
    merchant = make_account(Role.MERCHANT, "merchant_victim")
    product = client.post(
        "/api/products",
        json={"title": "羽绒服", "price": 29_900, "stock": 10},
        headers=merchant.headers,
    ).json()
    coupon = client.post(
        "/api/coupons",
        json={"code": "SHOP50", "name": "立减50", "kind": "fixed", "amount": 5_000}
        | {"total_quantity": 100, **_window()},
        headers=merchant.headers,
    )
    assert coupon.status_code == 201, coupon.text
    room = client.post("/api/rooms", json={"title": "秒杀"}, headers=host.headers).json()
    client.post(f"/api/rooms/{room['id']}/start", headers=host.headers)
    return Scene(
        merchant, host, room["id"], product["id"], product["skus"][0]["id"], coupon.json()["id"]
    )


def _flash_sale(client: TestClient, caller: Account, scene: Scene, price: int = 1) -> Any:
    return client.post(
        "/api/flash-sales",
        json={"room_id": scene.room_id, "sku_id": scene.sku_id, "price": price, "quantity": 5}
        | _window(),
        headers=caller.headers,
    )


def _draw(client: TestClient, caller: Account, room_id: int, **prize: int) -> Any:
    return client.post(
        "/api/draws",
        json={
            "room_id": room_id,
            "title": "福袋",
            "winners_count": 1,
            "deadline": (utcnow() + timedelta(minutes=5)).isoformat(),
            **prize,
        },
        headers=caller.headers,
    )


def _stock(client: TestClient, scene: Scene) -> int:
    stock: int = client.get(f"/api/products/{scene.product_id}").json()["total_stock"]
    return stock


def _shelve(client: TestClient, scene: Scene) -> None:
    shelved = client.put(
        f"/api/rooms/{scene.room_id}/shelf",
        json={"product_ids": [scene.product_id]},
        headers=scene.host.headers,
    )
    assert shelved.status_code == 200, shelved.text


NOT_YOUR_GOODS = {
    "detail": "a room sells or gives away the goods of its host's own shop, or of a shop "
    "whose merchant runs the promotion on a room that shelves the product",
    "code": "not_your_goods",
}


def test_a_host_cannot_sell_another_shops_sku_in_a_flash_sale(
    client: TestClient, scene: Scene
) -> None:
    _shelve(client, scene)  # the host shelves any product: that is no consent of the shop

    refused = _flash_sale(client, scene.host, scene)

    assert (refused.status_code, refused.json()) == (403, NOT_YOUR_GOODS)
    assert client.get(f"/api/rooms/{scene.room_id}/flash-sales").json() == []
    assert _stock(client, scene) == 10  # nothing set aside


def test_a_host_cannot_give_away_another_shops_sku_or_coupon_in_a_draw(
    client: TestClient, scene: Scene
) -> None:
    _shelve(client, scene)
    for prize in ({"prize_sku_id": scene.sku_id}, {"prize_coupon_id": scene.coupon_id}):
        refused = _draw(client, scene.host, scene.room_id, **prize)
        assert (refused.status_code, refused.json()) == (403, NOT_YOUR_GOODS), prize
    assert client.get(f"/api/rooms/{scene.room_id}/draws").json() == []


def test_a_host_who_staffs_the_shop_sells_and_gives_away_its_goods(
    client: TestClient, scene: Scene
) -> None:
    hire(client, scene.merchant, scene.host)

    sale = _flash_sale(client, scene.host, scene, price=9_900)
    by_sku = _draw(client, scene.host, scene.room_id, prize_sku_id=scene.sku_id)
    by_coupon = _draw(client, scene.host, scene.room_id, prize_coupon_id=scene.coupon_id)

    assert [r.status_code for r in (sale, by_sku, by_coupon)] == [201, 201, 201]
    assert _stock(client, scene) == 5


def test_a_merchant_runs_a_flash_sale_only_in_a_room_that_shelves_the_product(
    client: TestClient, scene: Scene
) -> None:
    refused = _flash_sale(client, scene.merchant, scene, price=9_900)
    assert (refused.status_code, refused.json()) == (403, NOT_YOUR_GOODS)
    assert _stock(client, scene) == 10

    _shelve(client, scene)
    created = _flash_sale(client, scene.merchant, scene, price=9_900)
    assert created.status_code == 201, created.text
    assert _stock(client, scene) == 5


def test_coupons_are_dropped_in_a_room_by_its_host_or_a_shop_on_its_shelf(
    client: TestClient, make_account: MakeAccount, scene: Scene
) -> None:
    drop = {"name": "直播券", "kind": "fixed", "amount": 1_000, "room_id": scene.room_id}
    drop |= {"total_quantity": 10, **_window()}
    unshelved = client.post(
        "/api/coupons", json=drop | {"code": "DROP-A1"}, headers=scene.merchant.headers
    )
    assert (unshelved.status_code, unshelved.json()) == (403, NOT_YOUR_GOODS)
    shopless_host = client.post(
        "/api/coupons", json=drop | {"code": "DROP-A2"}, headers=scene.host.headers
    )
    assert (shopless_host.status_code, shopless_host.json()["code"]) == (403, "no_shop")
    assert client.get(f"/api/rooms/{scene.room_id}/coupons").json() == []

    _shelve(client, scene)
    by_merchant = client.post(
        "/api/coupons", json=drop | {"code": "DROP-B1"}, headers=scene.merchant.headers
    )
    hire(client, scene.merchant, scene.host)
    by_host = client.post(
        "/api/coupons", json=drop | {"code": "DROP-B2"}, headers=scene.host.headers
    )
    assert [by_merchant.status_code, by_host.status_code] == [201, 201]
    listed = client.get(f"/api/rooms/{scene.room_id}/coupons").json()
    assert sorted(c["code"] for c in listed) == ["DROP-B1", "DROP-B2"]


def test_a_draw_gives_no_platform_coupon_and_no_other_rooms_drop(
    client: TestClient, make_account: MakeAccount, scene: Scene
) -> None:
    admin = make_account(Role.ADMIN)
    hire(client, scene.merchant, scene.host)
    platform = client.post(
        "/api/coupons",
        json={"code": "PLAT20", "name": "平台券", "kind": "fixed", "amount": 2_000}
        | {"platform": True, "total_quantity": 10, **_window()},
        headers=admin.headers,
    ).json()
    other_room = client.post("/api/rooms", json={"title": "别的"}, headers=scene.host.headers)
    elsewhere = client.post(
        "/api/coupons",
        json={"code": "ELSEWHERE", "name": "别处券", "kind": "fixed", "amount": 500}
        | {"room_id": other_room.json()["id"], "total_quantity": 10, **_window()},
        headers=scene.host.headers,
    ).json()

    platform_prize = _draw(client, scene.host, scene.room_id, prize_coupon_id=platform["id"])
    other_drop = _draw(client, scene.host, scene.room_id, prize_coupon_id=elsewhere["id"])

    assert (platform_prize.status_code, platform_prize.json()["code"]) == (403, "wrong_role")
    assert (other_drop.status_code, other_drop.json()) == (
        422,
        {"detail": "that coupon is another room's drop", "code": "coupon_of_another_room"},
    )
    assert client.get(f"/api/rooms/{scene.room_id}/draws").json() == []

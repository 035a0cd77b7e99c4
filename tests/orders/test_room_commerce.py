"""Commerce shows in the room: flash-sale counts, coupon drops, purchase lines."""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient

from liveshop.accounts.models import Role
from liveshop.core.clock import utcnow
from liveshop.core.db import unit_of_work
from liveshop.orders.service import mark_paid
from tests.catalog.staffing import hire
from tests.conftest import Account, MakeAccount
from tests.live.helpers import live_room, receive, receive_until, ws_path


def test_a_flash_sale_counts_down_in_the_room_and_purchases_show(
    client: TestClient, make_account: MakeAccount, host: Account, database_url: str
) -> None:
    merchant, buyer = make_account(Role.MERCHANT), make_account(Role.VIEWER, "buyer_lin")
    product = client.post(
        "/api/products",
        json={"title": "羽绒服", "price": 29_900, "stock": 20},
        headers=merchant.headers,
    ).json()
    hire(client, merchant, host)  # the host sells for the shop
    room_id = live_room(client, host)
    with client.websocket_connect(ws_path(room_id)) as ws:
        assert receive(ws)["type"] == "snapshot"
        now = utcnow()
        sale = client.post(
            "/api/flash-sales",
            json={
                "room_id": room_id,
                "sku_id": product["skus"][0]["id"],
                "price": 9_900,
                "quantity": 3,
                "per_user_limit": 1,
                "starts_at": (now - timedelta(seconds=1)).isoformat(),
                "ends_at": (now + timedelta(hours=1)).isoformat(),
            },
            headers=host.headers,
        ).json()
        topic = f"flash_sale:{sale['id']}"
        shown, _ = receive_until(ws, lambda f: topic in f.get("notices", {}))
        assert shown["notices"][topic]["remaining"] == 3
        assert any("限时秒杀" in line["text"] for line in shown["comments"])

        order = client.post(
            f"/api/flash-sales/{sale['id']}/buy", json={}, headers=buyer.headers
        ).json()
        after_buy, _ = receive_until(
            ws, lambda f: f.get("notices", {}).get(topic, {}).get("remaining") == 2
        )
        assert after_buy["notices"][topic]["sold"] == 1

        with unit_of_work(database_url) as session:
            mark_paid(session, order_id=order["id"], payment_ref="pay-room-1")
        purchase, _ = receive_until(
            ws, lambda f: any(line["kind"] == "purchase" for line in f.get("comments", []))
        )
        line = next(line for line in purchase["comments"] if line["kind"] == "purchase")
        assert line["text"] == "b** 刚刚买了 羽绒服"  # the buyer's name is masked


def test_buy_now_takes_the_pinned_product_and_the_host_sees_the_order(
    client: TestClient, make_account: MakeAccount, host: Account
) -> None:
    merchant, buyer = make_account(Role.MERCHANT), make_account(Role.VIEWER)
    product = client.post(
        "/api/products",
        json={
            "title": "卫衣",
            "skus": [
                {"options": {"尺码": "S"}, "price": 8_800, "stock": 0},
                {"options": {"尺码": "M"}, "price": 9_900, "stock": 3},
            ],
        },
        headers=merchant.headers,
    ).json()
    room_id = live_room(client, host)
    nothing = client.post(
        f"/api/rooms/{room_id}/buy-now",
        json={},
        headers=buyer.headers | {"Idempotency-Key": "buy-now-0000"},
    )
    assert nothing.json()["code"] == "nothing_pinned"
    client.put(
        f"/api/rooms/{room_id}/pinned", json={"product_id": product["id"]}, headers=host.headers
    )
    client.post(
        "/api/addresses",
        json={"recipient": "李雷", "phone": "13900000000", "region": "北京市", "line": "2号"},
        headers=buyer.headers,
    )
    bought = client.post(
        f"/api/rooms/{room_id}/buy-now",
        json={},
        headers=buyer.headers | {"Idempotency-Key": "buy-now-0001"},
    )
    assert bought.status_code == 201, bought.text
    order = bought.json()
    assert [item["sku_id"] for item in order["items"]] == [
        product["skus"][1]["id"]
    ]  # S is sold out
    assert (order["room_id"], order["host_id"], order["address"]["recipient"]) == (
        room_id,
        host.id,
        "李雷",
    )
    seen_by_host = client.get(f"/api/rooms/{room_id}/orders", headers=host.headers).json()
    assert [o["id"] for o in seen_by_host] == [order["id"]]
    assert client.get(f"/api/rooms/{room_id}/orders", headers=buyer.headers).status_code == 403


def test_a_viewer_joining_later_sees_the_running_sale_and_drop_in_the_snapshot(
    client: TestClient, make_account: MakeAccount, host: Account
) -> None:
    merchant = make_account(Role.MERCHANT)
    product = client.post(
        "/api/products",
        json={"title": "围巾", "price": 12_800, "stock": 9},
        headers=merchant.headers,
    ).json()
    hire(client, merchant, host)
    room_id = live_room(client, host)
    now = utcnow()
    window = {
        "starts_at": (now + timedelta(minutes=1)).isoformat(),
        "ends_at": (now + timedelta(hours=1)).isoformat(),
    }
    sale = client.post(
        "/api/flash-sales",
        json={
            "room_id": room_id,
            "sku_id": product["skus"][0]["id"],
            "price": 6_800,
            "quantity": 4,
            "per_user_limit": 1,
            **window,
        },
        headers=host.headers,
    ).json()
    drop = client.post(
        "/api/coupons",
        json={
            "code": "LATE10",
            "name": "立减10",
            "kind": "fixed",
            "amount": 1_000,
            "room_id": room_id,
            "total_quantity": 5,
            **window,
        },
        headers=host.headers,
    )
    assert drop.status_code == 201, drop.text
    with client.websocket_connect(ws_path(room_id)) as ws:
        snapshot = receive(ws)
    assert snapshot["notices"][f"flash_sale:{sale['id']}"]["remaining"] == 4
    assert snapshot["notices"][f"coupon:{drop.json()['id']}"]["remaining"] == 5

"""Commerce shows in the room: flash-sale counts, coupon drops, purchase lines."""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient

from liveshop.accounts.models import Role
from liveshop.core.clock import utcnow
from liveshop.core.db import unit_of_work
from liveshop.orders.service import mark_paid
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

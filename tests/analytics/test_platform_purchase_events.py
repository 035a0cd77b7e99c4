"""Paid orders and gifts reach the behaviour log, and a platform room's session report
shows its real sales: GMV, orders, buyers, conversion and each product's line."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from liveshop.accounts.models import Role
from liveshop.core.clock import utcnow
from liveshop.core.settings import Settings
from liveshop.events.recorder import pseudonymous_id
from liveshop.events.store import read_events
from liveshop.payments.models import TopUpKind
from liveshop.payments.wallets import COIN_VALUE
from tests.conftest import SECRET_KEY, Account, MakeAccount
from tests.live.helpers import live_room, receive, shop_product, ws_path
from tests.payments.money import credit

OK_CARD = "4242424242424242"


def _stored(client: TestClient) -> None:
    """Every sale handed to the subscriber is in the store."""
    app: Any = client.app
    app.state.platform_sales.drain()
    client.portal.call(app.state.recorder.flush)  # type: ignore[union-attr]


def _order(
    client: TestClient, buyer: Account, items: list[tuple[int, int]], key: str, **more: Any
) -> dict[str, Any]:
    body = {"items": [{"sku_id": sku, "quantity": quantity} for sku, quantity in items], **more}
    response = client.post(
        "/api/orders", json=body, headers=buyer.headers | {"Idempotency-Key": key}
    )
    assert response.status_code == 201, response.text
    order: dict[str, Any] = response.json()
    return order


def _pay(client: TestClient, buyer: Account, order_id: int) -> dict[str, Any]:
    card = client.post(
        "/api/payment-methods",
        json={
            "card_number": OK_CARD,
            "exp_month": 12,
            "exp_year": utcnow().year + 2,
            "cvc": "123",
            "save_consent": True,
        },
        headers=buyer.headers,
    )
    assert card.status_code in (200, 201), card.text
    paid = client.post(
        "/api/payments",
        json={"order_id": order_id, "payment_method_id": card.json()["id"]},
        headers=buyer.headers | {"Idempotency-Key": f"pay-order-{order_id}"},
    )
    assert paid.status_code in (200, 201), paid.text
    payment: dict[str, Any] = paid.json()
    assert payment["status"] == "succeeded"
    return payment


def _report(client: TestClient, who: Account, room_id: int) -> dict[str, Any]:
    response = client.get(f"/api/analytics/rooms/{room_id}/report", headers=who.headers)
    assert response.status_code == 200, response.text
    report: dict[str, Any] = response.json()
    return report


def _watch_and_click(client: TestClient, viewer: Account, room_id: int, product_id: int) -> None:
    with client.websocket_connect(ws_path(room_id, viewer)) as ws:
        assert receive(ws)["type"] == "snapshot"
        ws.send_json({"type": "click", "product_id": product_id})
        ws.send_json({"type": "ping"})
        while receive(ws).get("type") != "pong":  # the click was handled before the pong
            pass


def test_a_paid_room_order_shows_in_the_rooms_session_report(
    client: TestClient, make_account: MakeAccount, host: Account, viewer: Account
) -> None:
    merchant = make_account(Role.MERCHANT)
    product = shop_product(client, merchant, price=12_900)
    room_id = live_room(client, host)
    shelf = client.put(
        f"/api/rooms/{room_id}/shelf", json={"product_ids": [product["id"]]}, headers=host.headers
    )
    assert shelf.status_code == 200, shelf.text
    _watch_and_click(client, viewer, room_id, product["id"])
    order = _order(
        client, viewer, [(product["skus"][0]["id"], 1)], "room-order-0001", room_id=room_id
    )
    payment = _pay(client, viewer, order["id"])
    _stored(client)

    report = _report(client, host, room_id)
    assert payment["amount"] == order["total"] == 12_900
    assert (report["gmv_minor_units"], report["orders"], report["buyers"]) == (12_900, 1, 1)
    assert (report["unique_viewers"], report["conversion"]) == (1, 1.0)
    assert report["products"] == [
        {
            "product_id": str(product["id"]),
            "card_clicks": 1,
            "click_through": 1.0,
            "orders": 1,
            "gmv_minor_units": 12_900,
            "title": product["title"],
        }
    ]
    assert sum(minute["gmv_minor_units"] for minute in report["timeline"]) == 12_900
    assert _report(client, merchant, room_id)["products"] == report["products"]


def test_each_line_is_a_purchase_of_its_paid_amount_under_a_pseudonym(
    client: TestClient,
    make_account: MakeAccount,
    host: Account,
    viewer: Account,
    settings: Settings,
) -> None:
    """A ¥15 coupon on two of A (¥100) and one B (¥50) is spread 12:3 over the lines."""
    merchant = make_account(Role.MERCHANT)
    first = shop_product(client, merchant, title="A", price=10_000)
    second = shop_product(client, merchant, title="B", price=5_000)
    now = utcnow()
    coupon = client.post(
        "/api/coupons",
        json={
            "code": "SPRING15",
            "name": "spring",
            "kind": "fixed",
            "amount": 1_500,
            "starts_at": (now - timedelta(minutes=1)).isoformat(),
            "ends_at": (now + timedelta(hours=1)).isoformat(),
            "total_quantity": 10,
        },
        headers=merchant.headers,
    )
    assert coupon.status_code == 201, coupon.text
    room_id = live_room(client, host)
    skus = [(first["skus"][0]["id"], 2), (second["skus"][0]["id"], 1)]
    order = _order(
        client, viewer, skus, "two-lines-0001", room_id=room_id, coupon_codes=["SPRING15"]
    )
    _pay(client, viewer, order["id"])
    _stored(client)

    purchases = read_events(settings.event_store_path(), event_type="purchase")
    assert [(e["product_id"], e["properties"]["amount"]) for e in purchases] == [
        (first["id"], 18_800),
        (second["id"], 4_700),
    ]
    assert sum(e["properties"]["amount"] for e in purchases) == order["total"] == 23_500
    assert {e["user_id"] for e in purchases} == {pseudonymous_id(viewer.id, SECRET_KEY)}
    assert all(e["room_id"] == room_id for e in purchases)
    assert purchases[0]["properties"] == {
        "amount": 18_800,
        "order_id": order["id"],
        "quantity": 2,
        "coupon": True,
        "flash_sale": False,
    }
    report = _report(client, host, room_id)
    # Two lines, one order: the room sold one order, each product one order.
    assert (report["gmv_minor_units"], report["orders"], report["buyers"]) == (23_500, 1, 1)
    assert sorted(
        (p["product_id"], p["orders"], p["gmv_minor_units"]) for p in report["products"]
    ) == sorted([(str(first["id"]), 1, 18_800), (str(second["id"]), 1, 4_700)])


def test_an_order_never_paid_records_no_purchase(
    client: TestClient,
    make_account: MakeAccount,
    host: Account,
    viewer: Account,
    settings: Settings,
) -> None:
    product = shop_product(client, make_account(Role.MERCHANT))
    room_id = live_room(client, host)
    order = _order(
        client, viewer, [(product["skus"][0]["id"], 1)], "unpaid-order-0001", room_id=room_id
    )
    cancelled = client.post(
        f"/api/orders/{order['id']}/cancel",
        json={"reason": "changed my mind"},
        headers=viewer.headers,
    )
    assert cancelled.status_code == 200, cancelled.text
    _stored(client)

    assert read_events(settings.event_store_path(), event_type="purchase") == []
    report = _report(client, host, room_id)
    assert (report["gmv_minor_units"], report["orders"], report["buyers"], report["products"]) == (
        0,
        0,
        0,
        [],
    )


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_a_gift_is_recorded_with_its_coins(
    client: TestClient, host: Account, viewer: Account, database_url: str, settings: Settings
) -> None:
    room_id = live_room(client, host)
    credit(database_url, viewer.id, kind=TopUpKind.COINS, amount=50 * COIN_VALUE)
    sent = client.post(
        f"/api/rooms/{room_id}/gifts",
        json={"gift": "rose", "count": 2},
        headers=viewer.headers | {"Idempotency-Key": "gift-key-0001"},
    )
    assert sent.status_code == 201, sent.text
    _stored(client)

    gifts = read_events(settings.event_store_path(), event_type="gift")
    assert [(g["user_id"], g["room_id"], g["product_id"]) for g in gifts] == [
        (pseudonymous_id(viewer.id, SECRET_KEY), room_id, None)
    ]
    assert gifts[0]["properties"] == {"gift": "rose", "quantity": 2, "coins": 20}
    report = _report(client, host, room_id)
    assert (report["gifts"], report["gmv_minor_units"]) == (1, 0)

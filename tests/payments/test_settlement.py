"""One click in the room, settlement after the after-sales window, and payouts."""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient

from liveshop.accounts.models import Role
from liveshop.core.clock import utcnow
from liveshop.core.db import unit_of_work
from liveshop.core.settings import Settings
from liveshop.payments import ledger
from liveshop.payments.cash_on_delivery import capture_delivered_cash
from liveshop.payments.ledger import AccountKind
from liveshop.payments.order_ledger import FeeRates
from liveshop.payments.settlement import settle_due_orders
from liveshop.payments.verify import verify_ledger
from tests.conftest import Account, MakeAccount
from tests.live.helpers import live_room
from tests.payments.test_payments_flow import CARDS, _card

PRICE = 10_000
AFTER_SALE_DAYS = 7


def _pinned_room(client: TestClient, merchant: Account, host: Account) -> tuple[int, dict]:
    product = client.post(
        "/api/products",
        json={"title": "保温杯", "price": PRICE, "stock": 5},
        headers=merchant.headers,
    ).json()
    room_id = live_room(client, host)
    client.put(
        f"/api/rooms/{room_id}/pinned", json={"product_id": product["id"]}, headers=host.headers
    )
    return room_id, product


def _address(client: TestClient, buyer: Account) -> None:
    client.post(
        "/api/addresses",
        json={"recipient": "韩梅梅", "phone": "13900000001", "region": "上海市", "line": "1号"},
        headers=buyer.headers,
    )


def _one_click(client: TestClient, buyer: Account, room_id: int, key: str) -> dict:
    response = client.post(
        f"/api/rooms/{room_id}/buy-now/pay",
        json={},
        headers=buyer.headers | {"Idempotency-Key": key},
    )
    assert response.status_code == 201, response.text
    answer: dict = response.json()
    return answer


def _balance(database_url: str, kind: AccountKind, shop_id: int) -> int:
    with unit_of_work(database_url) as session:
        return ledger.balance_of(session, ledger.shop_account(kind, shop_id, "CNY"))


def _deliver(client: TestClient, merchant: Account, buyer: Account, order_id: int) -> None:
    shipped = client.post(
        f"/api/orders/{order_id}/ship", json={"tracking_number": "SF9001"}, headers=merchant.headers
    )
    assert shipped.status_code == 200, shipped.text
    delivered = client.post(f"/api/orders/{order_id}/confirm-delivery", headers=buyer.headers)
    assert delivered.json()["status"] == "delivered", delivered.text


def test_one_click_orders_the_pinned_product_and_pays_with_the_default_card(
    client: TestClient, make_account: MakeAccount, database_url: str
) -> None:
    merchant, host, buyer = (make_account(r) for r in (Role.MERCHANT, Role.HOST, Role.VIEWER))
    room_id, _product = _pinned_room(client, merchant, host)
    _address(client, buyer)
    no_card = client.post(
        f"/api/rooms/{room_id}/buy-now/pay",
        json={},
        headers=buyer.headers | {"Idempotency-Key": "one-click-0000"},
    )
    assert (no_card.status_code, no_card.json()["code"]) == (409, "no_card")
    assert client.get("/api/orders", headers=buyer.headers).json() == []  # nothing half-made

    _card(client, buyer, CARDS["ok"])
    first = _one_click(client, buyer, room_id, "one-click-0001")
    again = _one_click(client, buyer, room_id, "one-click-0001")
    assert first["order"]["status"] == "paid"
    assert (first["payment"]["status"], first["payment"]["amount"]) == ("succeeded", PRICE)
    assert (again["order"]["id"], again["payment"]["id"]) == (
        first["order"]["id"],
        first["payment"]["id"],
    )
    assert first["order"]["room_id"] == room_id
    with unit_of_work(database_url) as session:
        assert verify_ledger(session).ok


def test_an_order_settles_to_the_shop_after_the_after_sales_window(
    client: TestClient, make_account: MakeAccount, database_url: str
) -> None:
    merchant, host, buyer = (make_account(r) for r in (Role.MERCHANT, Role.HOST, Role.VIEWER))
    room_id, product = _pinned_room(client, merchant, host)
    _address(client, buyer)
    _card(client, buyer, CARDS["ok"])
    order = _one_click(client, buyer, room_id, "one-click-0002")["order"]
    shop_id = product["shop_id"]
    share = PRICE - PRICE * 500 // 10_000 - PRICE * 1_000 // 10_000  # minus fee and commission
    assert _balance(database_url, AccountKind.MERCHANT_PENDING, shop_id) == share
    _deliver(client, merchant, buyer, order["id"])

    with unit_of_work(database_url) as session:
        early = settle_due_orders(session, after_sale_days=AFTER_SALE_DAYS)
    assert early == 0  # still inside the window
    later = utcnow() + timedelta(days=AFTER_SALE_DAYS, minutes=1)
    with unit_of_work(database_url) as session:
        assert settle_due_orders(session, after_sale_days=AFTER_SALE_DAYS, now=later) == 1
    with unit_of_work(database_url) as session:
        assert settle_due_orders(session, after_sale_days=AFTER_SALE_DAYS, now=later) == 0
        assert verify_ledger(session).ok
    assert _balance(database_url, AccountKind.MERCHANT_PENDING, shop_id) == 0
    assert _balance(database_url, AccountKind.MERCHANT_PAYABLE, shop_id) == share

    mine = client.get("/api/payouts/mine", headers=merchant.headers).json()
    assert [(line["owner_type"], line["pending"], line["payable"]) for line in mine] == [
        ("shop", 0, share)
    ]
    hosts = client.get("/api/payouts/mine", headers=host.headers).json()
    assert [(line["owner_type"], line["payable"]) for line in hosts] == [
        ("user", PRICE * 1_000 // 10_000)
    ]
    assert client.get("/api/payouts", headers=merchant.headers).status_code == 403


def test_an_open_after_sale_holds_settlement_back(
    client: TestClient, make_account: MakeAccount, database_url: str
) -> None:
    merchant, host, buyer = (make_account(r) for r in (Role.MERCHANT, Role.HOST, Role.VIEWER))
    room_id, product = _pinned_room(client, merchant, host)
    _address(client, buyer)
    _card(client, buyer, CARDS["ok"])
    order = _one_click(client, buyer, room_id, "one-click-0003")["order"]
    _deliver(client, merchant, buyer, order["id"])
    requested = client.post(
        f"/api/orders/{order['id']}/after-sales",
        json={
            "kind": "return",
            "reason": "坏了",
            "items": [{"sku_id": product["skus"][0]["id"], "quantity": 1}],
        },
        headers=buyer.headers,
    )
    assert requested.json()["status"] == "requested", requested.text
    later = utcnow() + timedelta(days=AFTER_SALE_DAYS + 1)
    with unit_of_work(database_url) as session:
        assert settle_due_orders(session, after_sale_days=AFTER_SALE_DAYS, now=later) == 0
    assert _balance(database_url, AccountKind.MERCHANT_PAYABLE, product["shop_id"]) == 0


def test_cash_on_delivery_ships_unpaid_and_is_captured_on_delivery(
    client: TestClient, make_account: MakeAccount, database_url: str, settings: Settings
) -> None:
    merchant, host, buyer = (make_account(r) for r in (Role.MERCHANT, Role.HOST, Role.VIEWER))
    room_id, product = _pinned_room(client, merchant, host)
    _address(client, buyer)
    order = client.post(
        f"/api/rooms/{room_id}/buy-now",
        json={},
        headers=buyer.headers | {"Idempotency-Key": "cod-order-1"},
    ).json()
    paid = client.post(
        "/api/payments",
        json={"order_id": order["id"], "method": "cash_on_delivery"},
        headers=buyer.headers | {"Idempotency-Key": "cod-pay-0001"},
    )
    assert paid.status_code == 201, paid.text
    assert (paid.json()["status"], paid.json()["method"]) == ("pending", "cash_on_delivery")
    assert (
        client.get(f"/api/orders/{order['id']}", headers=buyer.headers).json()["status"] == "paid"
    )
    rates = FeeRates.from_settings(settings)
    with unit_of_work(database_url) as session:
        assert capture_delivered_cash(session, rates=rates) == 0  # not delivered: no cash yet
        assert verify_ledger(session).ok
    assert _balance(database_url, AccountKind.MERCHANT_PENDING, product["shop_id"]) == 0

    _deliver(client, merchant, buyer, order["id"])
    with unit_of_work(database_url) as session:
        assert capture_delivered_cash(session, rates=rates) == 1
    with unit_of_work(database_url) as session:
        assert capture_delivered_cash(session, rates=rates) == 0
        report = verify_ledger(session)
        cash = ledger.balance_of(session, ledger.platform_account(AccountKind.COD_CLEARING, "CNY"))
    assert report.ok, report.breaches
    assert cash == -PRICE  # the couriers hold the buyer's cash for the platform
    payment = client.get(f"/api/payments/{paid.json()['id']}", headers=buyer.headers).json()
    assert payment["status"] == "succeeded"


def test_a_device_never_paid_from_asks_for_the_second_factor(
    client: TestClient, make_account: MakeAccount
) -> None:
    merchant, buyer = make_account(Role.MERCHANT), make_account(Role.VIEWER)
    card = _card(client, buyer, CARDS["ok"])

    def pay(device: str, key: str) -> dict:
        product = client.post(
            "/api/products",
            json={"title": "手套", "price": 1_990, "stock": 5},
            headers=merchant.headers,
        ).json()
        order = client.post(
            "/api/orders",
            json={"items": [{"sku_id": product["skus"][0]["id"], "quantity": 1}]},
            headers=buyer.headers | {"Idempotency-Key": f"order-{key}"},
        ).json()
        response = client.post(
            "/api/payments",
            json={"order_id": order["id"], "payment_method_id": card},
            headers=buyer.headers | {"Idempotency-Key": key, "X-Device-Id": device},
        )
        assert response.status_code == 201, response.text
        payment: dict = response.json()
        return payment

    first = pay("phone-aaaa1111", "device-pay-01")
    assert (first["status"], first["challenge"]["method"]) == ("requires_action", "sandbox_otp")
    confirmed = client.post(
        f"/api/payments/{first['id']}/challenge",
        json={"code": first["challenge"]["sandbox_code"]},
        headers=buyer.headers,
    )
    assert confirmed.json()["status"] == "succeeded"
    second = pay("phone-aaaa1111", "device-pay-02")
    assert second["status"] == "succeeded", (second, confirmed.json())  # known now
    assert pay("laptop-bbbb2222", "device-pay-03")["status"] == "requires_action"

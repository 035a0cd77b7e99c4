"""Paying orders through the sandbox gateway: outcomes, challenges, notifications, refunds."""

from __future__ import annotations

import dataclasses
import time
from datetime import timedelta

import orjson
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from liveshop.accounts.models import Role, User
from liveshop.core.clock import utcnow
from liveshop.core.db import unit_of_work
from liveshop.core.settings import Settings
from liveshop.orders.service import expire_unpaid_orders, get_order
from liveshop.payments import charges
from liveshop.payments.context import payment_context, webhook_secret
from liveshop.payments.gateway import SIGNATURE_HEADER, SandboxGateway, sign
from liveshop.payments.models import GatewayRefund, LedgerTransaction, PaymentStatus
from liveshop.payments.verify import verify_ledger
from liveshop.promotions.stock_engines import SqlStockEngine
from tests.conftest import Account, MakeAccount

CARDS = {
    "ok": "4242424242424242",
    "declined": "4000000000000002",
    "challenge": "4000002760003184",
    "timeout": "4000000000000119",
}


@pytest.fixture
def database_url(sqlite_url: str) -> str:
    return sqlite_url


def _card(client: TestClient, buyer: Account, number: str) -> int:
    response = client.post(
        "/api/payment-methods",
        json={
            "card_number": number,
            "exp_month": 12,
            "exp_year": utcnow().year + 2,
            "cvc": "123",
            "save_consent": True,
        },
        headers=buyer.headers,
    )
    assert response.status_code in (200, 201), response.text
    method_id: int = response.json()["id"]
    return method_id


def _order(client: TestClient, merchant: Account, buyer: Account, price: int = 29_900) -> dict:
    product = client.post(
        "/api/products",
        json={"title": "羽绒服", "price": price, "stock": 5},
        headers=merchant.headers,
    ).json()
    order: dict = client.post(
        "/api/orders",
        json={"items": [{"sku_id": product["skus"][0]["id"], "quantity": 1}]},
        headers=buyer.headers | {"Idempotency-Key": f"order-key-{product['id']}"},
    ).json()
    return order


def _pay(client: TestClient, buyer: Account, order_id: int, method_id: int, key: str) -> dict:
    response = client.post(
        "/api/payments",
        json={"order_id": order_id, "payment_method_id": method_id},
        headers=buyer.headers | {"Idempotency-Key": key},
    )
    assert response.status_code in (200, 201), response.text
    payment: dict = response.json()
    return payment


def _captures(database_url: str, order_id: int) -> int:
    with unit_of_work(database_url) as session:
        return int(
            session.scalar(
                select(func.count()).where(
                    LedgerTransaction.kind == "order_paid",
                    LedgerTransaction.reference == str(order_id),
                )
            )
            or 0
        )


def test_a_good_card_pays_once_and_the_ledger_balances(
    client: TestClient, make_account: MakeAccount, database_url: str
) -> None:
    merchant, buyer = make_account(Role.MERCHANT), make_account(Role.VIEWER)
    order = _order(client, merchant, buyer)
    method = _card(client, buyer, CARDS["ok"])
    paid = _pay(client, buyer, order["id"], method, "pay-key-0001")
    again = _pay(client, buyer, order["id"], method, "pay-key-0001")
    other = client.post(
        "/api/payments",
        json={"order_id": order["id"], "payment_method_id": method + 1},
        headers=buyer.headers | {"Idempotency-Key": "pay-key-0001"},
    )
    assert (paid["status"], paid["amount"], again["id"]) == ("succeeded", 29_900, paid["id"])
    assert other.status_code == 409
    assert (
        client.get(f"/api/orders/{order['id']}", headers=buyer.headers).json()["status"] == "paid"
    )
    time.sleep(0.5)  # the sandbox's own notification arrives too, and changes nothing
    assert _captures(database_url, order["id"]) == 1
    with unit_of_work(database_url) as session:
        report = verify_ledger(session)
    assert report.breaches == []


def test_a_declined_card_fails_with_its_reason_and_the_order_stays_payable(
    client: TestClient, make_account: MakeAccount, database_url: str
) -> None:
    merchant, buyer = make_account(Role.MERCHANT), make_account(Role.VIEWER)
    order = _order(client, merchant, buyer)
    declined = _pay(
        client, buyer, order["id"], _card(client, buyer, CARDS["declined"]), "pay-key-0002"
    )
    assert (declined["status"], declined["decline_code"]) == ("failed", "card_declined")
    assert client.get(f"/api/orders/{order['id']}", headers=buyer.headers).json()["status"] == (
        "pending_payment"
    )
    retry = _pay(client, buyer, order["id"], _card(client, buyer, CARDS["ok"]), "pay-key-0003")
    assert retry["status"] == "succeeded"


def test_a_challenge_takes_the_right_code_once(
    client: TestClient, make_account: MakeAccount, database_url: str
) -> None:
    merchant, buyer = make_account(Role.MERCHANT), make_account(Role.VIEWER)
    order = _order(client, merchant, buyer)
    payment = _pay(
        client, buyer, order["id"], _card(client, buyer, CARDS["challenge"]), "pay-key-0004"
    )
    assert payment["status"] == "requires_action"
    code = payment["challenge"]["sandbox_code"]
    wrong = client.post(
        f"/api/payments/{payment['id']}/challenge",
        json={"code": f"{(int(code) + 1) % 1_000_000:06d}"},
        headers=buyer.headers,
    )
    assert wrong.status_code == 422
    assert client.get(f"/api/orders/{order['id']}", headers=buyer.headers).json()["status"] == (
        "pending_payment"
    )
    right = client.post(
        f"/api/payments/{payment['id']}/challenge", json={"code": code}, headers=buyer.headers
    )
    assert right.json()["status"] == "succeeded"
    replay = client.post(
        f"/api/payments/{payment['id']}/challenge", json={"code": code}, headers=buyer.headers
    )
    assert replay.status_code == 409


def test_a_large_amount_steps_up_and_five_wrong_codes_fail_the_payment(
    client: TestClient, make_account: MakeAccount
) -> None:
    merchant, buyer = make_account(Role.MERCHANT), make_account(Role.VIEWER)
    order = _order(client, merchant, buyer, price=500_000)
    payment = _pay(client, buyer, order["id"], _card(client, buyer, CARDS["ok"]), "pay-key-0005")
    assert payment["status"] == "requires_action"
    code = payment["challenge"]["sandbox_code"]
    wrong = f"{(int(code) + 7) % 1_000_000:06d}"
    statuses = [
        client.post(
            f"/api/payments/{payment['id']}/challenge", json={"code": wrong}, headers=buyer.headers
        ).json()["payment"]["status"]
        for _ in range(5)
    ]
    assert statuses == ["requires_action"] * 4 + ["failed"]


def _notification(
    settings: Settings, payment_id: int, amount: int, event_id: str
) -> tuple[bytes, str]:
    body = orjson.dumps(
        {
            "id": event_id,
            "type": "payment.succeeded",
            "reference": "sbx_ch_test",
            "payment_id": payment_id,
            "amount": amount,
            "data": {},
        }
    )
    return body, sign(webhook_secret(settings), body)


def test_one_notification_delivered_a_hundred_times_pays_once(
    client: TestClient, make_account: MakeAccount, database_url: str, settings: Settings
) -> None:
    merchant, buyer = make_account(Role.MERCHANT), make_account(Role.VIEWER)
    order = _order(client, merchant, buyer)
    method = _card(client, buyer, CARDS["timeout"])
    quiet = dataclasses.replace(
        payment_context(settings), gateway=SandboxGateway(webhook_secret(settings))
    )  # a sandbox whose notifications nobody delivers
    with unit_of_work(database_url) as session:
        payment = charges.pay_order(
            session,
            buyer=session.get_one(User, buyer.id),
            order_id=order["id"],
            method=charges.MethodChoice(method_id=method),
            idempotency_key="pay-key-0006",
            context=quiet,
        )
        payment_id, status = payment.id, payment.status
    assert status is PaymentStatus.PENDING
    body, signature = _notification(settings, payment_id, order["total"], "evt_once")
    outcomes = [
        client.post(
            "/api/webhooks/sandbox", content=body, headers={SIGNATURE_HEADER: signature}
        ).json()["outcome"]
        for _ in range(100)
    ]
    assert outcomes == ["applied"] + ["duplicate"] * 99
    assert _captures(database_url, order["id"]) == 1
    forged = client.post(
        "/api/webhooks/sandbox",
        content=body.replace(b"evt_once", b"evt_other"),
        headers={SIGNATURE_HEADER: signature},
    )
    stale_body, _ = _notification(settings, payment_id, order["total"], "evt_stale")
    stale = client.post(
        "/api/webhooks/sandbox",
        content=stale_body,
        headers={
            SIGNATURE_HEADER: sign(webhook_secret(settings), stale_body, int(time.time()) - 301)
        },
    )
    assert (forged.status_code, stale.status_code) == (401, 401)


def test_a_late_success_for_an_expired_order_is_refunded(
    client: TestClient, make_account: MakeAccount, database_url: str, settings: Settings
) -> None:
    merchant, buyer = make_account(Role.MERCHANT), make_account(Role.VIEWER)
    order = _order(client, merchant, buyer)
    method = _card(client, buyer, CARDS["timeout"])
    quiet = dataclasses.replace(
        payment_context(settings), gateway=SandboxGateway(webhook_secret(settings))
    )
    with unit_of_work(database_url) as session:
        payment_id = charges.pay_order(
            session,
            buyer=session.get_one(User, buyer.id),
            order_id=order["id"],
            method=charges.MethodChoice(method_id=method),
            idempotency_key="pay-key-0007",
            context=quiet,
        ).id
        expire_unpaid_orders(session, engine=SqlStockEngine(), now=utcnow() + timedelta(minutes=16))
    body, signature = _notification(settings, payment_id, order["total"], "evt_late")
    assert (
        client.post(
            "/api/webhooks/sandbox", content=body, headers={SIGNATURE_HEADER: signature}
        ).status_code
        == 200
    )
    with unit_of_work(database_url) as session:
        assert get_order(session, order_id=order["id"]).status.value == "cancelled"
        refunds = session.scalars(select(GatewayRefund.amount)).all()
    assert list(refunds) == [order["total"]]
    assert _captures(database_url, order["id"]) == 0


def test_an_after_sale_refund_goes_back_to_the_card_and_the_ledger(
    client: TestClient, make_account: MakeAccount, database_url: str
) -> None:
    merchant, buyer = make_account(Role.MERCHANT), make_account(Role.VIEWER)
    order = _order(client, merchant, buyer)
    _pay(client, buyer, order["id"], _card(client, buyer, CARDS["ok"]), "pay-key-0008")
    refund = client.post(
        f"/api/orders/{order['id']}/after-sales", json={"reason": "不要了"}, headers=buyer.headers
    )
    assert refund.json()["status"] == "refunded"
    with unit_of_work(database_url) as session:
        amounts = session.scalars(select(GatewayRefund.amount)).all()
        kinds = sorted(session.scalars(select(LedgerTransaction.kind)).all())
        report = verify_ledger(session)
    assert list(amounts) == [order["total"]]
    assert kinds == ["order_paid", "order_refund"]
    assert report.breaches == []

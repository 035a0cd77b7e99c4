"""The app with the privacy and regulator routers and the privacy wiring (until
app.py includes them), and a buyer's journey through the HTTP API."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from liveshop.accounts.models import Role
from liveshop.app import create_app
from liveshop.core.clock import utcnow
from liveshop.core.settings import Settings
from liveshop.governance.regulator_api import router as regulator_router
from liveshop.privacy.api import router as privacy_router
from tests.conftest import PASSWORD, Account, MakeAccount

PHONE = "13812345678"
CARD = "4242424242424242"
ADDRESS = {"recipient": "王小明", "phone": PHONE, "region": "上海市", "line": "1号"}


@pytest.fixture
def app(settings: Settings) -> FastAPI:
    application = create_app(settings)
    paths = {getattr(route, "path", "") for route in application.routes}
    if "/api/me/consents" not in paths:
        application.include_router(privacy_router)
    if "/api/regulator/audit" not in paths:
        application.include_router(regulator_router)
    return application


def ok(response: Any, *statuses: int) -> Any:
    assert response.status_code in (statuses or (200, 201)), response.text
    return response.json() if response.content else None


@dataclass(frozen=True)
class Journey:
    buyer: Account
    merchant: Account
    address: dict[str, Any]
    method: dict[str, Any]
    order: dict[str, Any]
    payment: dict[str, Any]


def register(client: TestClient, username: str) -> Account:
    user = ok(client.post("/api/auth/register", json={"username": username, "password": PASSWORD}))
    login = ok(client.post("/api/auth/login", json={"username": username, "password": PASSWORD}))
    return Account(id=user["id"], username=username, role=Role.VIEWER, token=login["token"])


def buy_and_pay(
    client: TestClient, make_account: MakeAccount, username: str = "buyer_li"
) -> Journey:
    """Register, add an address with a phone, add a card, order, pay."""
    buyer = register(client, username)
    merchant = make_account(Role.MERCHANT)
    address = ok(client.post("/api/addresses", json=ADDRESS, headers=buyer.headers))
    method = ok(
        client.post(
            "/api/payment-methods",
            json={
                "card_number": CARD,
                "exp_month": 12,
                "exp_year": utcnow().year + 2,
                "cvc": "123",
                "holder": "WANG XIAOMING",
                "save_consent": True,
            },
            headers=buyer.headers,
        )
    )
    product = ok(
        client.post(
            "/api/products",
            json={"title": "羽绒服", "price": 29_900, "stock": 5},
            headers=merchant.headers,
        )
    )
    order = ok(
        client.post(
            "/api/orders",
            json={"items": [{"sku_id": product["skus"][0]["id"], "quantity": 1}]},
            headers=buyer.headers | {"Idempotency-Key": f"order-{username}"},
        )
    )
    payment = ok(
        client.post(
            "/api/payments",
            json={"order_id": order["id"], "payment_method_id": method["id"]},
            headers=buyer.headers | {"Idempotency-Key": f"pay-{username}"},
        )
    )
    assert payment["status"] == "succeeded", payment
    return Journey(buyer, merchant, address, method, order, payment)


def finish_order(client: TestClient, journey: Journey) -> None:
    """Ship, deliver and complete the order, so that nothing is in flight."""
    order_id = journey.order["id"]
    ok(
        client.post(
            f"/api/orders/{order_id}/ship",
            json={"tracking_number": "SF1234567890"},
            headers=journey.merchant.headers,
        )
    )
    ok(client.post(f"/api/orders/{order_id}/confirm-delivery", headers=journey.buyer.headers))
    ok(client.post(f"/api/orders/{order_id}/complete", headers=journey.buyer.headers))

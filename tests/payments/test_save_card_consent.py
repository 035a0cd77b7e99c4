"""Saving a card needs the stored_cards consent (issue 18 §3): given with the save (the
pay sheet's ticked 保存此卡) or earlier; a card added without it pays once and is not kept,
and the API refuses a save that asks for neither."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from liveshop.accounts.models import Role
from liveshop.core.db import unit_of_work
from liveshop.payments.models import PaymentMethod, VaultCard
from tests.conftest import Account, MakeAccount

CARD = {"card_number": "4242424242424242", "exp_month": 12, "exp_year": 2034, "cvc": "123"}


@pytest.fixture
def database_url(sqlite_url: str) -> str:
    return sqlite_url


def _consent(client: TestClient, buyer: Account) -> dict[str, Any]:
    statuses = client.get("/api/me/consents", headers=buyer.headers).json()
    status: dict[str, Any] = next(s for s in statuses if s["purpose"] == "stored_cards")
    return status


def _listed(client: TestClient, buyer: Account) -> list[dict[str, Any]]:
    listed: list[dict[str, Any]] = client.get("/api/payment-methods", headers=buyer.headers).json()
    return listed


def _order_id(client: TestClient, merchant: Account, buyer: Account) -> int:
    product = client.post(
        "/api/products",
        json={"title": "围巾", "price": 5_900, "stock": 5},
        headers=merchant.headers,
    ).json()
    order = client.post(
        "/api/orders",
        json={"items": [{"sku_id": product["skus"][0]["id"], "quantity": 1}]},
        headers=buyer.headers | {"Idempotency-Key": f"consent-order-{product['id']}"},
    )
    assert order.status_code == 201, order.text
    order_id: int = order.json()["id"]
    return order_id


def test_saving_without_the_consent_is_refused(
    client: TestClient, make_account: MakeAccount
) -> None:
    buyer = make_account(Role.VIEWER)
    refused = client.post("/api/payment-methods", json=CARD, headers=buyer.headers)
    assert refused.status_code == 403
    assert refused.json()["code"] == "save_card_consent_required"
    assert _listed(client, buyer) == []
    assert _consent(client, buyer)["granted"] is False


def test_saving_with_the_consent_flag_keeps_the_card_and_grants_the_consent(
    client: TestClient, make_account: MakeAccount
) -> None:
    buyer = make_account(Role.VIEWER)
    saved = client.post(
        "/api/payment-methods", json=CARD | {"save_consent": True}, headers=buyer.headers
    )
    assert saved.status_code == 201, saved.text
    assert saved.json()["saved"] is True
    assert [card["last4"] for card in _listed(client, buyer)] == ["4242"]
    assert _consent(client, buyer)["granted"] is True
    # With the consent open, a later save needs no flag; withdrawn, it is refused again.
    again = client.post(
        "/api/payment-methods",
        json=CARD | {"card_number": "5555555555554444"},
        headers=buyer.headers,
    )
    assert again.status_code == 201, again.text
    client.delete("/api/me/consents/stored_cards", headers=buyer.headers)
    assert _listed(client, buyer) == []
    refused = client.post("/api/payment-methods", json=CARD, headers=buyer.headers)
    assert refused.status_code == 403


def test_a_card_not_saved_pays_once_and_is_not_kept(
    client: TestClient, make_account: MakeAccount, database_url: str
) -> None:
    merchant, buyer = make_account(Role.MERCHANT), make_account(Role.VIEWER)
    once = client.post("/api/payment-methods", json=CARD | {"save": False}, headers=buyer.headers)
    assert once.status_code == 201, once.text
    assert once.json()["saved"] is False
    assert _listed(client, buyer) == []
    default = client.post(
        f"/api/payment-methods/{once.json()['id']}/default", headers=buyer.headers
    )
    assert default.status_code == 403

    paid = client.post(
        "/api/payments",
        json={
            "order_id": _order_id(client, merchant, buyer),
            "payment_method_id": once.json()["id"],
        },
        headers=buyer.headers | {"Idempotency-Key": "consent-pay-0001"},
    )
    assert paid.json()["status"] == "succeeded", paid.text
    assert _listed(client, buyer) == []
    assert _consent(client, buyer)["granted"] is False
    with unit_of_work(database_url) as session:
        method = session.get_one(PaymentMethod, once.json()["id"])
        assert method.removed_at is not None  # gone once paid, its number shredded
        assert (
            session.scalar(select(VaultCard).where(VaultCard.token == method.vault_token)) is None
        )

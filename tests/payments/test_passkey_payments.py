"""Paying with a passkey over HTTP: the step-up confirmed by an assertion bound to its
payment (one payment's assertion never confirms another), the seamless daily limit
for a trusted device, and the buyer's own passkeys only."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from liveshop.accounts.models import Role
from liveshop.core.settings import Settings
from tests.accounts.soft_authenticator import SoftAuthenticator
from tests.conftest import Account
from tests.payments.money import add_card, new_account, place_order

ORIGIN = "http://testserver"  # the test client's: the relying party is derived from it
PHONE = "phone-trusted-01"
LAPTOP = "laptop-never-01"
STEP_UP_FROM = 500  # 分: every order here asks for the step-up, unless seamless


@pytest.fixture
def database_url(sqlite_url: str) -> str:
    return sqlite_url


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.model_copy(update={"step_up_amount": STEP_UP_FROM})


def device(account: Account, device_id: str) -> dict[str, str]:
    return account.headers | {"X-Device-Id": device_id}


def register(
    client: TestClient, buyer: Account, key: SoftAuthenticator, *, trusted: bool
) -> dict[str, Any]:
    options = client.post("/api/me/passkeys/registration-options", headers=buyer.headers)
    assert options.status_code == 200, options.text
    answer = {"credential": key.register(options.json()), "name": "我的手机", "trusted": trusted}
    created = client.post("/api/me/passkeys", json=answer, headers=device(buyer, PHONE))
    assert created.status_code == 201, created.text
    body: dict[str, Any] = created.json()
    return body


def pay(
    client: TestClient, merchant: Account, buyer: Account, card: int, price: int, device_id: str
) -> dict[str, Any]:
    order = place_order(client, merchant, buyer, price=price)
    response = client.post(
        "/api/payments",
        json={"order_id": order["id"], "method": "card", "payment_method_id": card},
        headers=device(buyer, device_id) | {"Idempotency-Key": f"payment-{order['id']}"},
    )
    assert response.status_code == 201, response.text
    payment: dict[str, Any] = response.json()
    return payment


def passkey_options(client: TestClient, buyer: Account, payment_id: int) -> dict[str, Any]:
    response = client.post(f"/api/payments/{payment_id}/passkey-options", headers=buyer.headers)
    assert response.status_code == 200, response.text
    options: dict[str, Any] = response.json()
    return options


def confirm(client: TestClient, buyer: Account, payment_id: int, credential: dict[str, Any]) -> Any:
    return client.post(
        f"/api/payments/{payment_id}/passkey",
        json={"credential": credential},
        headers=buyer.headers,
    )


@pytest.fixture
def people(database_url: str) -> tuple[Account, Account]:
    return new_account(database_url), new_account(database_url, Role.MERCHANT)


def test_a_step_up_is_confirmed_by_the_assertion_for_its_own_payment_only(
    client: TestClient, people: tuple[Account, Account]
) -> None:
    buyer, merchant = people
    card = add_card(client, buyer)
    key = SoftAuthenticator(origin=ORIGIN)
    register(client, buyer, key, trusted=False)
    first = pay(client, merchant, buyer, card, 1_000, LAPTOP)
    second = pay(client, merchant, buyer, card, 99_000, LAPTOP)
    assert (first["status"], second["status"]) == ("requires_action", "requires_action")

    for_first = key.sign(passkey_options(client, buyer, first["id"]))
    passkey_options(client, buyer, second["id"])
    swapped = confirm(client, buyer, second["id"], for_first)
    assert swapped.status_code == 422, swapped.text  # signed for 10.00 to one payee, not this
    assert swapped.json()["payment"]["status"] == "requires_action"

    confirmed = confirm(client, buyer, first["id"], for_first)
    assert confirmed.status_code == 200, confirmed.text
    assert confirmed.json()["status"] == "succeeded"
    again = confirm(client, buyer, first["id"], for_first)
    assert (again.status_code, again.json()["code"]) == (409, "no_challenge")


def test_a_passkey_challenge_is_single_use(
    client: TestClient, people: tuple[Account, Account]
) -> None:
    buyer, merchant = people
    card = add_card(client, buyer)
    key = SoftAuthenticator(origin=ORIGIN)
    register(client, buyer, key, trusted=False)
    payment = pay(client, merchant, buyer, card, 1_000, LAPTOP)
    options = passkey_options(client, buyer, payment["id"])
    wrong = SoftAuthenticator(origin=ORIGIN, credential_id=key.credential_id).sign(options)
    assert confirm(client, buyer, payment["id"], wrong).status_code == 422  # another key
    late = confirm(client, buyer, payment["id"], key.sign(options))  # the challenge is spent
    assert (late.status_code, late.json()["code"]) == (409, "no_passkey_challenge")


def test_a_trusted_device_pays_within_the_daily_limit_without_a_step_up(
    client: TestClient, people: tuple[Account, Account]
) -> None:
    buyer, merchant = people
    card = add_card(client, buyer)
    passkey = register(client, buyer, SoftAuthenticator(origin=ORIGIN), trusted=True)
    off = pay(client, merchant, buyer, card, 1_000, PHONE)
    assert off["status"] == "requires_action"  # the limit is 0 until the buyer sets it

    too_high = client.put(
        "/api/me/seamless-limit", json={"daily_limit": 50_001}, headers=buyer.headers
    )
    assert (too_high.status_code, too_high.json()["code"]) == (422, "seamless_limit_too_high")
    limit = client.put("/api/me/seamless-limit", json={"daily_limit": 3_000}, headers=buyer.headers)
    assert limit.json() == {
        "daily_limit": 3_000,
        "platform_max": 50_000,
        "spent_today": 0,
        "remaining": 3_000,
    }

    assert pay(client, merchant, buyer, card, 1_000, PHONE)["status"] == "succeeded"
    assert pay(client, merchant, buyer, card, 1_000, LAPTOP)["status"] == "requires_action"
    assert pay(client, merchant, buyer, card, 2_500, PHONE)["status"] == "requires_action"
    assert pay(client, merchant, buyer, card, 2_000, PHONE)["status"] == "succeeded"
    spent = client.get("/api/me/seamless-limit", headers=buyer.headers).json()
    assert (spent["spent_today"], spent["remaining"]) == (3_000, 0)

    client.put("/api/me/seamless-limit", json={"daily_limit": 10_000}, headers=buyer.headers)
    revoked = client.delete(f"/api/me/passkeys/{passkey['id']}", headers=buyer.headers)
    assert revoked.status_code == 204
    assert pay(client, merchant, buyer, card, 1_000, PHONE)["status"] == "requires_action"


def test_a_buyer_sees_and_changes_their_own_passkeys_only(
    client: TestClient, people: tuple[Account, Account], database_url: str
) -> None:
    buyer, merchant = people
    stranger = new_account(database_url)
    passkey = register(client, buyer, SoftAuthenticator(origin=ORIGIN), trusted=True)
    mine = client.get("/api/me/passkeys", headers=device(buyer, PHONE)).json()
    assert [(p["id"], p["trusted"], p["this_device"]) for p in mine] == [
        (passkey["id"], True, True)
    ]
    assert client.get("/api/me/passkeys", headers=stranger.headers).json() == []
    for method in ("PATCH", "DELETE"):
        response = client.request(
            method,
            f"/api/me/passkeys/{passkey['id']}",
            json={"trusted": False},
            headers=stranger.headers,
        )
        assert (response.status_code, response.json()["code"]) == (404, "passkey_not_found")
    card = add_card(client, buyer)
    payment = pay(client, merchant, buyer, card, 1_000, LAPTOP)
    peek = client.post(f"/api/payments/{payment['id']}/passkey-options", headers=stranger.headers)
    assert peek.status_code == 404
    none = client.post(f"/api/payments/{payment['id']}/passkey-options", headers=merchant.headers)
    assert none.status_code == 404
    distrusted = client.patch(
        f"/api/me/passkeys/{passkey['id']}", json={"trusted": False}, headers=buyer.headers
    )
    assert distrusted.json()["trusted"] is False


@pytest.mark.parametrize(
    "credential",
    [
        {},
        {"id": "!!", "rawId": 5},
        {"id": "AAAA", "response": "x"},
        {"id": "AAAA", "rawId": "AAAA", "type": "public-key", "response": {}},
    ],
)
def test_a_malformed_credential_is_refused_as_input(
    client: TestClient, people: tuple[Account, Account], credential: dict[str, Any]
) -> None:
    buyer, merchant = people
    client.post("/api/me/passkeys/registration-options", headers=buyer.headers)
    refused = client.post(
        "/api/me/passkeys", json={"credential": credential}, headers=buyer.headers
    )
    assert (refused.status_code, refused.json()["code"]) == (422, "passkey_invalid")

    register(client, buyer, SoftAuthenticator(origin=ORIGIN), trusted=False)
    payment = pay(client, merchant, buyer, add_card(client, buyer), 1_000, LAPTOP)
    passkey_options(client, buyer, payment["id"])
    wrong = confirm(client, buyer, payment["id"], credential)
    assert (wrong.status_code, wrong.json()["code"]) == (422, "wrong_code")

"""Wallets and coins: top-ups, paying from the wallet and through a third-party wallet,
refunds back to the wallet, step-up with the buyer's TOTP, idempotent replays."""

from __future__ import annotations

import dataclasses
import time
from datetime import timedelta

import pyotp
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select, update

from liveshop.accounts import totp
from liveshop.accounts.models import Role, User
from liveshop.core.clock import utcnow
from liveshop.core.db import unit_of_work
from liveshop.core.errors import Conflict
from liveshop.core.settings import Settings
from liveshop.orders.models import Order
from liveshop.payments import challenges, charges
from liveshop.payments.context import payment_context, webhook_secret
from liveshop.payments.gateway import SandboxGateway
from liveshop.payments.jobs import deliver_notifications
from liveshop.payments.models import GatewayRefund, MethodKind, Payment, TopUpKind
from tests.conftest import SECRET_KEY, Account
from tests.payments.money import (
    Json,
    add_card,
    assert_ledger_verifies,
    balances,
    credit,
    deliver_gateway_notifications,
    new_account,
    place_order,
    post_top_up,
    sqlite_only,
    transaction_count,
    transaction_kinds,
)

pytestmark = sqlite_only

NOTHING = {"wallet": 0, "coins": 0, "host_earnings": 0}
STEP_UP_PRICE = 300_000  # above settings.step_up_amount (200,000 分)


def sandbox(settings: Settings) -> SandboxGateway:
    gateway = payment_context(settings).gateway
    assert isinstance(gateway, SandboxGateway)
    return gateway


@pytest.fixture(autouse=True)
def empty_outbox(settings: Settings) -> None:
    """The sandbox lives as long as the process: drop what earlier tests left in it,
    lest their notifications name payments of this test's database."""
    sandbox(settings).take_notifications()


def pay(client: TestClient, buyer: Account, body: Json, key: str) -> Json:
    response = client.post(
        "/api/payments", json=body, headers=buyer.headers | {"Idempotency-Key": key}
    )
    assert response.status_code == 201, response.text
    payment: Json = response.json()
    return payment


def order_status(client: TestClient, buyer: Account, order_id: int) -> str:
    status: str = client.get(f"/api/orders/{order_id}", headers=buyer.headers).json()["status"]
    return status


def payment_of(client: TestClient, buyer: Account, payment_id: int) -> Json:
    response = client.get(f"/api/payments/{payment_id}", headers=buyer.headers)
    assert response.status_code == 200, response.text
    payment: Json = response.json()
    return payment


def enrol_totp(database_url: str, user_id: int) -> pyotp.TOTP:
    """An authenticator confirmed ten minutes ago (its current code is unused)."""
    earlier = utcnow() - timedelta(minutes=10)
    with unit_of_work(database_url) as session:
        user = session.get_one(User, user_id)
        enrolment = totp.start_enrolment(session, user=user, secret_key=SECRET_KEY)
        authenticator = pyotp.TOTP(enrolment.secret)
        codes = totp.confirm_enrolment(
            session,
            user=user,
            code=authenticator.at(earlier),
            secret_key=SECRET_KEY,
            now=earlier,
        )
    assert codes is not None
    return authenticator


def test_top_ups_credit_the_wallet_and_coins_exactly(
    client: TestClient, database_url: str, settings: Settings
) -> None:
    buyer = new_account(database_url)
    card = add_card(client, buyer)
    assert balances(client, buyer) == NOTHING

    to_wallet = post_top_up(
        client, buyer, kind="wallet", amount=5_000, method="card", method_id=card, key="top-up-01"
    )
    assert (to_wallet["status"], to_wallet["amount"], to_wallet["order_id"]) == (
        "succeeded",
        5_000,
        None,
    )
    assert balances(client, buyer) == {"wallet": 5_000, "coins": 0, "host_earnings": 0}
    coins_by_card = post_top_up(
        client, buyer, kind="coins", amount=1_000, method="card", method_id=card, key="top-up-02"
    )
    coins_from_wallet = post_top_up(
        client, buyer, kind="coins", amount=2_000, method="wallet", key="top-up-03"
    )
    assert (coins_by_card["status"], coins_from_wallet["status"]) == ("succeeded", "succeeded")
    assert balances(client, buyer) == {"wallet": 3_000, "coins": 300, "host_earnings": 0}

    # The gateway's own notifications of the card charges arrive too, and change nothing.
    deliver_notifications(settings, sandbox(settings).take_notifications())
    time.sleep(0.3)  # and whatever the app's background delivery took meanwhile
    assert balances(client, buyer) == {"wallet": 3_000, "coins": 300, "host_earnings": 0}
    history = client.get("/api/wallet/history", headers=buyer.headers).json()
    assert [(m["account"], m["kind"], m["amount"]) for m in history] == [
        ("buyer_wallet", "top_up", -2_000),
        ("buyer_coins", "top_up", 2_000),
        ("buyer_coins", "top_up", 1_000),
        ("buyer_wallet", "top_up", 5_000),
    ]
    assert_ledger_verifies(database_url)


def test_top_ups_the_wallet_cannot_make_are_refused_and_move_nothing(
    client: TestClient, database_url: str
) -> None:
    buyer = new_account(database_url)
    credit(database_url, buyer.id, kind=TopUpKind.WALLET, amount=1_000)
    refusals = [
        ({"kind": "wallet", "amount": 500, "method": "wallet"}, "method_not_allowed"),
        ({"kind": "coins", "amount": 505, "method": "wallet"}, "partial_coin"),
        ({"kind": "coins", "amount": 50, "method": "wallet"}, "top_up_out_of_range"),
        ({"kind": "coins", "amount": 500, "method": "cash_on_delivery"}, "method_not_allowed"),
    ]
    for index, (body, code) in enumerate(refusals):
        response = client.post(
            "/api/top-ups",
            json=body,
            headers=buyer.headers | {"Idempotency-Key": f"bad-{index:04d}"},
        )
        assert (response.status_code, response.json()["code"]) == (422, code), body
    short = post_top_up(client, buyer, kind="coins", amount=2_000, method="wallet", key="top-up-04")
    assert (short["status"], short["decline_code"]) == ("failed", "insufficient_funds")
    assert balances(client, buyer) == {"wallet": 1_000, "coins": 0, "host_earnings": 0}
    assert transaction_kinds(database_url) == ["top_up"]
    assert_ledger_verifies(database_url)


def test_a_wallet_too_small_fails_the_payment_and_nothing_moves(
    client: TestClient, database_url: str
) -> None:
    merchant, buyer = new_account(database_url, Role.MERCHANT), new_account(database_url)
    credit(database_url, buyer.id, kind=TopUpKind.WALLET, amount=29_899)
    order = place_order(client, merchant, buyer, price=29_900)
    failed = pay(client, buyer, {"order_id": order["id"], "method": "wallet"}, "pay-wallet-01")
    assert (failed["status"], failed["decline_code"], failed["amount"]) == (
        "failed",
        "insufficient_funds",
        29_900,
    )
    assert order_status(client, buyer, order["id"]) == "pending_payment"
    assert balances(client, buyer) == {"wallet": 29_899, "coins": 0, "host_earnings": 0}
    assert transaction_kinds(database_url) == ["top_up"]
    assert_ledger_verifies(database_url)


def test_an_order_paid_from_the_wallet_is_refunded_to_the_wallet(
    client: TestClient, database_url: str
) -> None:
    merchant, buyer = new_account(database_url, Role.MERCHANT), new_account(database_url)
    credit(database_url, buyer.id, kind=TopUpKind.WALLET, amount=50_000)
    order = place_order(client, merchant, buyer, price=29_900)
    paid = pay(client, buyer, {"order_id": order["id"], "method": "wallet"}, "pay-wallet-02")
    assert (paid["status"], paid["method"], paid["amount"]) == ("succeeded", "wallet", 29_900)
    assert order_status(client, buyer, order["id"]) == "paid"
    assert balances(client, buyer) == {"wallet": 20_100, "coins": 0, "host_earnings": 0}
    assert transaction_kinds(database_url) == ["order_paid", "top_up"]
    assert_ledger_verifies(database_url)

    refund = client.post(
        f"/api/orders/{order['id']}/after-sales", json={"reason": "不要了"}, headers=buyer.headers
    )
    assert refund.json()["status"] == "refunded", refund.text
    assert balances(client, buyer) == {"wallet": 50_000, "coins": 0, "host_earnings": 0}
    assert transaction_kinds(database_url) == ["order_paid", "order_refund", "top_up"]
    with unit_of_work(database_url) as session:
        # The original method was the wallet: nothing goes through the gateway.
        assert session.scalar(select(func.count(GatewayRefund.id))) == 0
    assert_ledger_verifies(database_url)


def _third_party_payment(client: TestClient, buyer: Account, order: Json, key: str) -> Json:
    payment = pay(client, buyer, {"order_id": order["id"], "method": "third_party"}, key)
    assert (payment["status"], payment["challenge"]) == ("requires_action", None)
    assert payment["redirect_url"].startswith("/sandbox/wallet/sbx_tp_")
    return payment


def _decide(client: TestClient, buyer: Account, payment: Json, *, approve: bool) -> Json:
    reference = payment["redirect_url"].removeprefix("/sandbox/wallet/")
    response = client.post(
        f"/api/sandbox/wallet/{reference}", json={"approve": approve}, headers=buyer.headers
    )
    body: Json = response.json()
    body["http_status"] = response.status_code
    return body


def test_a_third_party_wallet_payment_is_paid_once_approved_and_notified(
    client: TestClient, database_url: str, settings: Settings
) -> None:
    merchant, buyer, stranger = (
        new_account(database_url, Role.MERCHANT),
        new_account(database_url),
        new_account(database_url, Role.VIEWER, "stranger"),
    )
    order = place_order(client, merchant, buyer)
    payment = _third_party_payment(client, buyer, order, "pay-third-01")
    assert order_status(client, buyer, order["id"]) == "pending_payment"
    assert transaction_count(database_url) == 0

    # Nobody else approves my payment.
    assert _decide(client, stranger, payment, approve=True)["http_status"] == 404
    approved = _decide(client, buyer, payment, approve=True)
    # Decided at the provider: pending until its notification settles it.
    assert (approved["http_status"], approved["status"]) == (200, "pending")
    deliver_gateway_notifications(
        settings, lambda: payment_of(client, buyer, payment["id"])["status"] == "succeeded"
    )
    assert order_status(client, buyer, order["id"]) == "paid"
    assert transaction_kinds(database_url) == ["order_paid"]

    again = _decide(client, buyer, payment, approve=True)
    cancel = _decide(client, buyer, payment, approve=False)
    assert [(r["http_status"], r["code"]) for r in (again, cancel)] == [
        (409, "not_awaiting_approval"),
        (409, "not_awaiting_approval"),
    ]
    deliver_notifications(settings, sandbox(settings).take_notifications())
    assert payment_of(client, buyer, payment["id"])["status"] == "succeeded"
    assert transaction_kinds(database_url) == ["order_paid"]
    assert_ledger_verifies(database_url)


def test_a_cancelled_third_party_payment_fails_and_the_order_stays_payable(
    client: TestClient, database_url: str, settings: Settings
) -> None:
    merchant, buyer = new_account(database_url, Role.MERCHANT), new_account(database_url)
    order = place_order(client, merchant, buyer)
    payment = _third_party_payment(client, buyer, order, "pay-third-02")
    cancelled = _decide(client, buyer, payment, approve=False)
    assert cancelled["http_status"] == 200
    deliver_gateway_notifications(
        settings, lambda: payment_of(client, buyer, payment["id"])["status"] == "failed"
    )
    failed = payment_of(client, buyer, payment["id"])
    assert (failed["status"], failed["decline_code"]) == ("failed", "cancelled_by_buyer")
    assert order_status(client, buyer, order["id"]) == "pending_payment"
    assert transaction_count(database_url) == 0


def test_a_third_party_payment_takes_one_decision(
    client: TestClient, database_url: str, settings: Settings
) -> None:
    """Approving and then cancelling (or approving twice) at the provider before its
    notification arrives: the second decision is refused, and one outcome is sent."""
    merchant, buyer = new_account(database_url, Role.MERCHANT), new_account(database_url)
    order = place_order(client, merchant, buyer)
    # A sandbox whose notifications nobody delivers, so the payment stays undecided here.
    quiet_sandbox = SandboxGateway(webhook_secret(settings))
    quiet = dataclasses.replace(payment_context(settings), gateway=quiet_sandbox)
    with unit_of_work(database_url) as session:
        user = session.get_one(User, buyer.id)
        payment = charges.pay_order(
            session,
            buyer=user,
            order_id=order["id"],
            method=charges.MethodChoice(MethodKind.THIRD_PARTY),
            idempotency_key="pay-third-03",
            context=quiet,
        )
        reference = payment.gateway_reference
    assert reference is not None
    with unit_of_work(database_url) as session:
        user = session.get_one(User, buyer.id)
        charges.decide_wallet_payment(
            session, buyer=user, reference=reference, approve=True, context=quiet
        )
    for approve in (True, False):
        with pytest.raises(Conflict), unit_of_work(database_url) as session:
            charges.decide_wallet_payment(
                session,
                buyer=session.get_one(User, buyer.id),
                reference=reference,
                approve=approve,
                context=quiet,
            )
    assert len(quiet_sandbox.take_notifications()) == 1


def test_step_up_asks_an_enrolled_buyer_for_their_totp_code(
    client: TestClient, database_url: str
) -> None:
    merchant, buyer = new_account(database_url, Role.MERCHANT), new_account(database_url)
    authenticator = enrol_totp(database_url, buyer.id)
    order = place_order(client, merchant, buyer, price=STEP_UP_PRICE)
    card = add_card(client, buyer)
    payment = pay(
        client, buyer, {"order_id": order["id"], "payment_method_id": card}, "pay-step-up-01"
    )
    assert (payment["status"], payment["challenge"]) == (
        "requires_action",
        {"method": "totp", "sandbox_code": None},
    )
    with unit_of_work(database_url) as session:
        sandbox_code = challenges.sandbox_code(session.get_one(Payment, payment["id"]))
    challenge = f"/api/payments/{payment['id']}/challenge"
    # What the sandbox would have shown is no answer to the buyer's own factor.
    refused = client.post(challenge, json={"code": sandbox_code}, headers=buyer.headers)
    assert (refused.status_code, refused.json()["payment"]["status"]) == (422, "requires_action")
    assert order_status(client, buyer, order["id"]) == "pending_payment"
    assert transaction_count(database_url) == 0

    passed = client.post(challenge, json={"code": authenticator.now()}, headers=buyer.headers)
    assert passed.status_code == 200, passed.text
    assert (passed.json()["status"], passed.json()["challenge"]) == ("succeeded", None)
    assert order_status(client, buyer, order["id"]) == "paid"
    assert transaction_kinds(database_url) == ["order_paid"]
    assert_ledger_verifies(database_url)


def test_a_buyer_without_totp_gets_the_sandbox_code(client: TestClient, database_url: str) -> None:
    merchant, buyer = new_account(database_url, Role.MERCHANT), new_account(database_url)
    order = place_order(client, merchant, buyer, price=STEP_UP_PRICE)
    payment = pay(
        client,
        buyer,
        {"order_id": order["id"], "payment_method_id": add_card(client, buyer)},
        "pay-step-up-02",
    )
    assert payment["challenge"]["method"] == "sandbox_otp"
    assert len(payment["challenge"]["sandbox_code"]) == 6


def test_the_challenge_is_void_once_the_order_total_changed(
    client: TestClient, database_url: str
) -> None:
    merchant, buyer = new_account(database_url, Role.MERCHANT), new_account(database_url)
    authenticator = enrol_totp(database_url, buyer.id)
    order = place_order(client, merchant, buyer, price=STEP_UP_PRICE)
    card = add_card(client, buyer)
    payment = pay(
        client, buyer, {"order_id": order["id"], "payment_method_id": card}, "pay-step-up-03"
    )
    assert payment["status"] == "requires_action"
    with unit_of_work(database_url) as session:
        session.execute(update(Order).where(Order.id == order["id"]).values(total=250_000))
    challenge = f"/api/payments/{payment['id']}/challenge"
    void = client.post(challenge, json={"code": authenticator.now()}, headers=buyer.headers)
    assert (void.status_code, void.json()["code"]) == (409, "challenge_void")
    assert order_status(client, buyer, order["id"]) == "pending_payment"
    assert transaction_count(database_url) == 0
    # Void for good: a later answer, even with the order back as it was, pays nothing,
    # and the payment has failed.
    with unit_of_work(database_url) as session:
        session.execute(update(Order).where(Order.id == order["id"]).values(total=STEP_UP_PRICE))
    later = authenticator.at(utcnow() + timedelta(seconds=30))
    again = client.post(challenge, json={"code": later}, headers=buyer.headers)
    assert (again.status_code, order_status(client, buyer, order["id"])) == (
        409,
        "pending_payment",
    )
    assert transaction_count(database_url) == 0
    assert payment_of(client, buyer, payment["id"])["status"] == "failed"


def test_an_idempotency_key_replays_the_same_payment_and_refuses_another_body(
    client: TestClient, database_url: str
) -> None:
    merchant, buyer = new_account(database_url, Role.MERCHANT), new_account(database_url)
    credit(database_url, buyer.id, kind=TopUpKind.WALLET, amount=50_000)
    order = place_order(client, merchant, buyer, price=29_900)
    body = {"order_id": order["id"], "method": "wallet"}
    first = pay(client, buyer, body, "pay-replay-01")
    again = pay(client, buyer, body, "pay-replay-01")
    assert again == first
    assert first["status"] == "succeeded"
    other = client.post(
        "/api/payments",
        json={"order_id": order["id"], "method": "third_party"},
        headers=buyer.headers | {"Idempotency-Key": "pay-replay-01"},
    )
    assert (other.status_code, other.json()["code"]) == (409, "idempotency_conflict")

    coins = post_top_up(
        client, buyer, kind="coins", amount=1_000, method="wallet", key="coin-key-01"
    )
    coins_again = post_top_up(
        client, buyer, kind="coins", amount=1_000, method="wallet", key="coin-key-01"
    )
    assert coins_again == coins
    more = client.post(
        "/api/top-ups",
        json={"kind": "coins", "amount": 2_000, "method": "wallet"},
        headers=buyer.headers | {"Idempotency-Key": "coin-key-01"},
    )
    assert (more.status_code, more.json()["code"]) == (409, "idempotency_conflict")
    assert balances(client, buyer) == {"wallet": 19_100, "coins": 100, "host_earnings": 0}
    assert transaction_kinds(database_url) == ["order_paid", "top_up", "top_up"]
    with unit_of_work(database_url) as session:
        assert session.scalar(select(func.count(Payment.id))) == 2
    assert_ledger_verifies(database_url)


def test_step_up_starts_at_the_threshold_and_covers_wallet_payments(
    client: TestClient, database_url: str, settings: Settings
) -> None:
    merchant, buyer = new_account(database_url, Role.MERCHANT), new_account(database_url)
    authenticator = enrol_totp(database_url, buyer.id)
    credit(database_url, buyer.id, kind=TopUpKind.WALLET, amount=100_000)
    at_threshold = place_order(client, merchant, buyer, price=29_900)
    below = place_order(client, merchant, buyer, price=29_899)
    context = dataclasses.replace(payment_context(settings), step_up_amount=29_900)
    outcomes = []
    for order, key in ((at_threshold, "pay-threshold-1"), (below, "pay-threshold-2")):
        with unit_of_work(database_url) as session:
            payment = charges.pay_order(
                session,
                buyer=session.get_one(User, buyer.id),
                order_id=order["id"],
                method=charges.MethodChoice(MethodKind.WALLET),
                idempotency_key=key,
                context=context,
            )
            outcomes.append((payment.id, payment.status.value, payment.challenge_method))
    assert [outcome[1:] for outcome in outcomes] == [
        ("requires_action", "totp"),
        ("succeeded", None),
    ]
    challenged = outcomes[0][0]
    assert balances(client, buyer)["wallet"] == 100_000 - 29_899
    passed = client.post(
        f"/api/payments/{challenged}/challenge",
        json={"code": authenticator.now()},
        headers=buyer.headers,
    )
    assert passed.json()["status"] == "succeeded", passed.text
    assert balances(client, buyer)["wallet"] == 100_000 - 29_899 - 29_900
    assert order_status(client, buyer, at_threshold["id"]) == "paid"
    assert_ledger_verifies(database_url)


def test_five_wrong_codes_fail_the_payment_and_lock_the_buyers_factor(
    client: TestClient, database_url: str
) -> None:
    merchant, buyer = new_account(database_url, Role.MERCHANT), new_account(database_url)
    authenticator = enrol_totp(database_url, buyer.id)
    order = place_order(client, merchant, buyer, price=STEP_UP_PRICE)
    card = add_card(client, buyer)
    body = {"order_id": order["id"], "payment_method_id": card}
    first = pay(client, buyer, body, "pay-locked-01")
    right = authenticator.now()
    wrong = f"{(int(right) + 1) % 1_000_000:06d}"
    answers = [
        client.post(
            f"/api/payments/{first['id']}/challenge", json={"code": wrong}, headers=buyer.headers
        )
        for _ in range(5)
    ]
    assert [(a.status_code, a.json()["payment"]["status"]) for a in answers] == [
        (422, "requires_action")
    ] * 4 + [(422, "failed")]
    late = client.post(
        f"/api/payments/{first['id']}/challenge", json={"code": right}, headers=buyer.headers
    )
    assert (late.status_code, late.json()["code"]) == (409, "no_challenge")

    second = pay(client, buyer, body, "pay-locked-02")
    locked = client.post(
        f"/api/payments/{second['id']}/challenge", json={"code": right}, headers=buyer.headers
    )
    assert (locked.status_code, locked.json()["code"]) == (423, "second_factor_locked")
    assert locked.json()["payment"]["status"] == "requires_action"
    assert order_status(client, buyer, order["id"]) == "pending_payment"
    assert transaction_count(database_url) == 0

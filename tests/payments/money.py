"""Helpers for the money tests: cards, orders, top-ups, notifications, ledger checks."""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from liveshop.accounts import service as accounts
from liveshop.accounts.models import Role, User
from liveshop.core.clock import utcnow
from liveshop.core.db import unit_of_work
from liveshop.core.settings import Settings
from liveshop.live import service as live
from liveshop.payments import wallets
from liveshop.payments.context import payment_context
from liveshop.payments.jobs import deliver_notifications
from liveshop.payments.models import LedgerTransaction, MethodKind, TopUp, TopUpKind
from liveshop.payments.verify import verify_ledger
from tests.conftest import Account

GOOD_CARD = "4242424242424242"

# Tests that prove no concurrency property run on SQLite only: each PostgreSQL
# test costs seconds of schema truncation, and the concurrent ones run on both.
sqlite_only = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)

Json = dict[str, Any]
UNUSABLE_PASSWORD_HASH = "!"  # these users act through tokens; hashing costs a second each
_names = itertools.count(1)


def new_account(database_url: str, role: Role = Role.VIEWER, username: str = "") -> Account:
    """A committed user with a live token, made without hashing a password."""
    with unit_of_work(database_url) as session:
        name = username or f"{role.value}_{next(_names)}"
        user = User(username=name, password_hash=UNUSABLE_PASSWORD_HASH, role=role)
        session.add(user)
        session.flush()
        token = accounts.issue_token(session, user=user)
        return Account(id=user.id, username=user.username, role=user.role, token=token)


def new_accounts(database_url: str, count: int, role: Role = Role.VIEWER) -> list[int]:
    """``count`` users at once (ids only), for the crowds of the concurrency tests."""
    with unit_of_work(database_url) as session:
        users = [
            User(
                username=f"{role.value}_{next(_names)}",
                password_hash=UNUSABLE_PASSWORD_HASH,
                role=role,
            )
            for _ in range(count)
        ]
        session.add_all(users)
        session.flush()
        return [user.id for user in users]


def add_card(client: TestClient, account: Account, number: str = GOOD_CARD) -> int:
    response = client.post(
        "/api/payment-methods",
        json={
            "card_number": number,
            "exp_month": 12,
            "exp_year": utcnow().year + 2,
            "cvc": "123",
            "save_consent": True,
        },
        headers=account.headers,
    )
    assert response.status_code in (200, 201), response.text
    method_id: int = response.json()["id"]
    return method_id


def place_order(
    client: TestClient, merchant: Account, buyer: Account, price: int = 29_900, key: str = ""
) -> Json:
    product = client.post(
        "/api/products",
        json={"title": "羽绒服", "price": price, "stock": 5},
        headers=merchant.headers,
    ).json()
    response = client.post(
        "/api/orders",
        json={"items": [{"sku_id": product["skus"][0]["id"], "quantity": 1}]},
        headers=buyer.headers | {"Idempotency-Key": key or f"order-key-{product['id']}"},
    )
    assert response.status_code == 201, response.text
    order: Json = response.json()
    return order


def post_top_up(
    client: TestClient,
    account: Account,
    *,
    kind: str,
    amount: int,
    method: str,
    key: str,
    method_id: int | None = None,
) -> Json:
    response = client.post(
        "/api/top-ups",
        json={"kind": kind, "amount": amount, "method": method, "payment_method_id": method_id},
        headers=account.headers | {"Idempotency-Key": key},
    )
    assert response.status_code == 201, response.text
    payment: Json = response.json()
    return payment


def balances(client: TestClient, account: Account) -> Json:
    response = client.get("/api/wallet", headers=account.headers)
    assert response.status_code == 200, response.text
    body: Json = response.json()
    return body


def credit(database_url: str, user_id: int, *, kind: TopUpKind, amount: int) -> None:
    """A paid card top-up, booked the way a succeeded top-up payment books it."""
    with unit_of_work(database_url) as session:
        top_up = TopUp(user_id=user_id, kind=kind, amount=amount, currency=wallets.CURRENCY)
        session.add(top_up)
        session.flush()
        wallets.record_top_up(session, top_up=top_up, source=MethodKind.CARD)


def deliver_gateway_notifications(
    settings: Settings, done: Callable[[], bool], timeout: float = 3.0
) -> None:
    """Deliver what the sandbox sent, until ``done()`` (the app's background loop
    may take some of the notifications first, and deliver them itself)."""
    deadline = time.monotonic() + timeout
    while not done():
        assert time.monotonic() < deadline, "the gateway's notification never arrived"
        deliver_notifications(settings, payment_context(settings).gateway.take_notifications())
        time.sleep(0.02)


def assert_ledger_verifies(database_url: str) -> None:
    with unit_of_work(database_url) as session:
        report = verify_ledger(session)
    assert report.breaches == []
    assert report.ok


def transaction_kinds(database_url: str) -> list[str]:
    with unit_of_work(database_url) as session:
        return sorted(session.scalars(select(LedgerTransaction.kind)).all())


def transaction_count(database_url: str) -> int:
    with unit_of_work(database_url) as session:
        return int(session.scalar(select(func.count(LedgerTransaction.id))) or 0)


def new_room(database_url: str, host_id: int, *, started: bool = True) -> int:
    """A host's room, live unless ``started`` is False (then only scheduled)."""
    with unit_of_work(database_url) as session:
        host = session.get_one(User, host_id)
        room = live.create_room(session, host=host, title="今晚福利")
        if started:
            live.start_room(session, actor=host, room_id=room.id)
        return room.id

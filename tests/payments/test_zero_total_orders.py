"""Orders that cost the buyer nothing: paid at 0 without the gateway, and the ledger
balances (``liveshop ledger verify``).

An order whose coupon covered the whole price could not be paid (``422
unbalanced_transaction``), and a claimed lucky-draw prize failed the ledger check.
"""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from typer.testing import CliRunner

from liveshop.accounts.models import Role
from liveshop.cli import app as cli_app
from liveshop.core.clock import utcnow
from liveshop.core.db import unit_of_work
from liveshop.core.settings import get_settings
from liveshop.payments import ledger
from liveshop.payments.ledger import AccountKind
from liveshop.payments.models import LedgerPosting, LedgerTransaction
from liveshop.payments.verify import verify_ledger
from tests.conftest import Account, MakeAccount

DECLINED_CARD = "4000000000000002"  # the sandbox declines every charge to it


def _window() -> dict[str, str]:
    now = utcnow()
    return {
        "starts_at": (now - timedelta(minutes=1)).isoformat(),
        "ends_at": (now + timedelta(hours=1)).isoformat(),
    }


def _free_order(
    client: TestClient, merchant: Account, buyer: Account, issuer: Account, **coupon: Any
) -> dict[str, Any]:
    """A ¥100 product bought with a coupon of ¥100 off."""
    product = client.post(
        "/api/products",
        json={"title": "围巾", "price": 10_000, "stock": 5},
        headers=merchant.headers,
    ).json()
    body = {"code": "ALLFREE", "name": "全免", "kind": "fixed", "amount": 10_000}
    created = client.post(
        "/api/coupons",
        json=body | {"total_quantity": 5, **_window(), **coupon},
        headers=issuer.headers,
    )
    assert created.status_code == 201, created.text
    placed = client.post(
        "/api/orders",
        json={
            "items": [{"sku_id": product["skus"][0]["id"], "quantity": 1}],
            "coupon_codes": ["ALLFREE"],
        },
        headers=buyer.headers | {"Idempotency-Key": "free-order-0001"},
    )
    assert placed.status_code == 201, placed.text
    order: dict[str, Any] = placed.json()
    assert (order["items_total"], order["discount_total"], order["total"]) == (10_000, 10_000, 0)
    return order


def _declined_card(client: TestClient, buyer: Account) -> int:
    card = client.post(
        "/api/payment-methods",
        json={"card_number": DECLINED_CARD, "exp_month": 12, "exp_year": utcnow().year + 2}
        | {"cvc": "123", "save_consent": True},
        headers=buyer.headers,
    )
    assert card.status_code == 201, card.text
    card_id: int = card.json()["id"]
    return card_id


def _verify_with_the_cli(database_url: str, home: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    monkeypatch.setenv("LIVESHOP_DATABASE_URL", database_url)
    monkeypatch.setenv("LIVESHOP_HOME", str(home))
    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(cli_app, ["ledger", "verify", "--format", "json"])
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def _capture_postings(database_url: str, order_id: int) -> list[tuple[str, int, int]]:
    with unit_of_work(database_url) as session:
        capture = ledger.get_transaction(session, kind="order_paid", reference=str(order_id))
        return sorted(
            (key.kind.value, key.owner_id, amount)
            for key, amount in ledger.postings_of(session, capture)
        )


def test_an_order_its_shop_coupon_covers_is_paid_at_zero_without_a_charge(
    client: TestClient,
    make_account: MakeAccount,
    database_url: str,
    home: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    merchant, buyer = make_account(Role.MERCHANT), make_account(Role.VIEWER)
    order = _free_order(client, merchant, buyer, merchant)
    card_id = _declined_card(client, buyer)

    paid = client.post(
        "/api/payments",
        json={"order_id": order["id"], "payment_method_id": card_id},
        headers=buyer.headers | {"Idempotency-Key": "free-pay-0001"},
    )

    assert paid.status_code == 201, paid.text
    payment = paid.json()
    # The declined card was never charged: a charge would have failed.
    assert (payment["status"], payment["amount"], payment["decline_code"]) == (
        "succeeded",
        0,
        None,
    )
    assert (payment["challenge"], payment["redirect_url"]) == (None, None)
    seen = client.get(f"/api/orders/{order['id']}", headers=buyer.headers).json()
    assert (seen["status"], seen["payment_ref"]) == ("paid", f"payment:{payment['id']}")
    assert _capture_postings(database_url, order["id"]) == []  # nothing moved, and it says so
    report = _verify_with_the_cli(database_url, home, monkeypatch)
    assert (report["ok"], report["paid_orders"], report["breaches"]) == (True, 1, [])
    again = client.post(
        "/api/payments",
        json={"order_id": order["id"], "payment_method_id": card_id},
        headers=buyer.headers | {"Idempotency-Key": "free-pay-0001"},
    )
    assert again.json()["id"] == payment["id"]


def test_an_order_a_platform_coupon_covers_books_the_subsidy(
    client: TestClient,
    make_account: MakeAccount,
    host: Account,
    database_url: str,
    home: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    merchant, buyer, admin = (make_account(r) for r in (Role.MERCHANT, Role.VIEWER, Role.ADMIN))
    order = _free_order(client, merchant, buyer, admin, platform=True)

    paid = client.post(
        "/api/payments",
        json={"order_id": order["id"]},  # nothing to pay: no card needed
        headers=buyer.headers | {"Idempotency-Key": "free-pay-0002"},
    )

    assert paid.status_code == 201, paid.text
    assert (paid.json()["status"], paid.json()["amount"]) == ("succeeded", 0)
    shop_id = client.get(f"/api/orders/{order['id']}", headers=buyer.headers).json()["shop_id"]
    fee = 10_000 * get_settings().platform_fee_bps // 10_000
    assert _capture_postings(database_url, order["id"]) == sorted(
        [
            (AccountKind.PLATFORM_COUPON_SUBSIDY.value, 0, -10_000),
            (AccountKind.PLATFORM_FEES.value, 0, fee),
            (AccountKind.MERCHANT_PENDING.value, shop_id, 10_000 - fee),
        ]
    )
    report = _verify_with_the_cli(database_url, home, monkeypatch)
    assert (report["ok"], report["paid_orders"]) == (True, 1)


def test_a_free_order_refunded_before_shipping_still_balances(
    client: TestClient, make_account: MakeAccount, database_url: str
) -> None:
    merchant, buyer = make_account(Role.MERCHANT), make_account(Role.VIEWER)
    order = _free_order(client, merchant, buyer, merchant)
    client.post(
        "/api/payments",
        json={"order_id": order["id"]},
        headers=buyer.headers | {"Idempotency-Key": "free-pay-0003"},
    )

    refunded = client.post(
        f"/api/orders/{order['id']}/after-sales", json={"reason": "不要了"}, headers=buyer.headers
    )

    assert (refunded.status_code, refunded.json()["status"]) == (201, "refunded")
    assert refunded.json()["amount"] == 0
    seen = client.get(f"/api/orders/{order['id']}", headers=buyer.headers).json()
    assert seen["status"] == "refunded"
    with unit_of_work(database_url) as session:
        assert verify_ledger(session).breaches == []
        assert session.scalar(select(func.count()).select_from(LedgerPosting)) == 0
        kinds = session.scalars(select(LedgerTransaction.kind).order_by(LedgerTransaction.id))
        assert kinds.all() == ["order_paid", "order_refund"]  # both with nothing to book

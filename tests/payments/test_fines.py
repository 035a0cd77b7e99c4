"""Moderation's fines reach the ledger: a fine is taken from what the platform owes
the fined shop (or, for a host who owns no shop, the host's earnings) into the
platform's penalty income, and an appeal that overturns it gives it back."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select

from liveshop.accounts.models import Role
from liveshop.core.db import unit_of_work
from liveshop.payments.fines import FINE, FINE_RETURNED, book_fine
from liveshop.payments.ledger import AccountKind
from liveshop.payments.models import LedgerAccount, OwnerType
from tests.conftest import Account, MakeAccount
from tests.live.helpers import shop_product
from tests.payments.money import assert_ledger_verifies, transaction_kinds

FINE_AMOUNT = 50_000


def _fine(client: TestClient, moderator: Account, subject: dict[str, Any]) -> dict[str, Any]:
    response = client.post(
        "/api/moderation/actions",
        json={"kind": "fine", "rule": "虚假宣传", "amount": FINE_AMOUNT, **subject},
        headers=moderator.headers,
    )
    assert response.status_code == 201, response.text
    penalty: dict[str, Any] = response.json()
    return penalty


def _payouts(client: TestClient, account: Account) -> list[tuple[str, int, int]]:
    response = client.get("/api/payouts/mine", headers=account.headers)
    assert response.status_code == 200, response.text
    return [(line["owner_type"], line["pending"], line["payable"]) for line in response.json()]


def _platform_penalties(database_url: str) -> int:
    with unit_of_work(database_url, writes=False) as session:
        balance = session.scalar(
            select(LedgerAccount.balance).where(
                LedgerAccount.kind == AccountKind.PLATFORM_PENALTIES.value,
                LedgerAccount.owner_type == OwnerType.PLATFORM,
            )
        )
    return int(balance or 0)


def test_a_shops_fine_is_taken_from_its_payable_and_an_overturned_appeal_returns_it(
    client: TestClient, make_account: MakeAccount, database_url: str
) -> None:
    moderator, second_moderator = make_account(Role.MODERATOR), make_account(Role.MODERATOR)
    merchant = make_account(Role.MERCHANT)
    shop_id = shop_product(client, merchant)["shop_id"]

    penalty = _fine(client, moderator, {"subject_type": "shop", "subject_id": shop_id})

    assert _payouts(client, merchant) == [("shop", 0, -FINE_AMOUNT)]
    assert _platform_penalties(database_url) == FINE_AMOUNT
    assert transaction_kinds(database_url) == [FINE]
    assert_ledger_verifies(database_url)

    appeal = client.post(
        f"/api/penalties/{penalty['id']}/appeal",
        json={"statement": "宣传语有检测报告支持"},
        headers=merchant.headers,
    )
    assert appeal.status_code == 201, appeal.text
    decided = client.post(
        f"/api/moderation/appeals/{appeal.json()['id']}/decision",
        json={"overturn": True, "note": "报告属实"},
        headers=second_moderator.headers,
    )
    assert decided.status_code == 200, decided.text

    assert _payouts(client, merchant) == [("shop", 0, 0)]
    assert _platform_penalties(database_url) == 0
    assert transaction_kinds(database_url) == [FINE, FINE_RETURNED]
    assert_ledger_verifies(database_url)


def test_a_host_without_a_shop_pays_a_fine_from_their_earnings(
    client: TestClient, make_account: MakeAccount, database_url: str
) -> None:
    moderator, host = make_account(Role.MODERATOR), make_account(Role.HOST)

    _fine(client, moderator, {"subject_type": "user", "subject_id": host.id})

    assert _payouts(client, host) == [("user", 0, -FINE_AMOUNT)]
    assert _platform_penalties(database_url) == FINE_AMOUNT
    assert_ledger_verifies(database_url)


def test_a_fine_is_booked_once_however_often_its_event_arrives(
    client: TestClient, make_account: MakeAccount, database_url: str
) -> None:
    moderator, host = make_account(Role.MODERATOR), make_account(Role.HOST)
    penalty = _fine(client, moderator, {"subject_type": "user", "subject_id": host.id})

    with unit_of_work(database_url) as session:
        again = book_fine(
            session,
            penalty_id=penalty["id"],
            amount=FINE_AMOUNT,
            currency="CNY",
            shop_id=None,
            host_id=host.id,
        )
        again_id = again.id
    with unit_of_work(database_url) as session:
        twice = book_fine(
            session,
            penalty_id=penalty["id"],
            amount=FINE_AMOUNT,
            currency="CNY",
            shop_id=None,
            host_id=host.id,
        )

    assert twice.id == again_id
    assert transaction_kinds(database_url) == [FINE]
    assert _payouts(client, host) == [("user", 0, -FINE_AMOUNT)]

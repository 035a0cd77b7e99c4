"""A sharer's (affiliate's) commission (issue 15 §2): a paid order their share link is
credited with opens it, the ledger pays it once the order settles and takes it back when
the order is refunded, as a KOL's; their own order through their link earns nothing."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from liveshop.accounts.models import Role
from liveshop.campaigns.commissions import KOL_CLAWBACK, settle_commissions
from liveshop.campaigns.models import Commission, CommissionStatus
from liveshop.core.db import unit_of_work
from liveshop.core.settings import Settings
from liveshop.payments.ledger import AccountKind, balance_of, find_transaction, user_account
from liveshop.payments.settlement import settle_order
from liveshop.payments.verify import verify_ledger
from tests.campaigns.helpers import flush_touches, order_and_pay
from tests.conftest import Account, MakeAccount
from tests.live.helpers import shop_product

SHARE_BPS = 500  # 5 %


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.model_copy(update={"share_commission_bps": SHARE_BPS})


def _commissions(database_url: str) -> list[tuple[int, int, int, CommissionStatus]]:
    with unit_of_work(database_url) as session:
        return [
            (c.order_id, c.kol_user_id, c.amount, c.status)
            for c in session.scalars(select(Commission).order_by(Commission.order_id))
        ]


def _arrive_by(client: TestClient, person: Account, product_id: int, code: str) -> None:
    seen = client.get(
        f"/api/products/{product_id}", headers=person.headers | {"X-Attribution": code}
    )
    assert seen.status_code == 200, seen.text


def test_a_sharer_earns_on_a_friends_order_and_loses_it_to_the_refund(
    client: TestClient, make_account: MakeAccount, database_url: str
) -> None:
    merchant, sharer, friend = (make_account(r) for r in (Role.MERCHANT, Role.VIEWER, Role.VIEWER))
    product = shop_product(client, merchant, price=12_900)
    shared = client.post(
        "/api/share-links", json={"target": f"product:{product['id']}"}, headers=sharer.headers
    )
    assert shared.status_code == 201, shared.text
    code = shared.json()["code"]
    _arrive_by(client, friend, product["id"], code)
    _arrive_by(client, sharer, product["id"], code)
    flush_touches(client)

    order = order_and_pay(client, friend, product["skus"][0]["id"], "shared-order")
    own = order_and_pay(client, sharer, product["skus"][0]["id"], "own-order")

    assert _commissions(database_url) == [
        (order["id"], sharer.id, 645, CommissionStatus.PENDING)  # 5 % of 129.00
    ]
    assert own["id"] not in {row[0] for row in _commissions(database_url)}
    earnings = user_account(AccountKind.HOST_EARNINGS, sharer.id, "CNY")
    with unit_of_work(database_url) as session:
        settle_order(session, order_id=order["id"])
    with unit_of_work(database_url) as session:
        assert settle_commissions(session) == (1, 0)
        assert balance_of(session, earnings) == 645

    refunded = client.post(
        f"/api/orders/{order['id']}/after-sales", json={"reason": "不要了"}, headers=friend.headers
    )
    assert refunded.json()["status"] == "refunded", refunded.text
    with unit_of_work(database_url) as session:
        commission = session.get_one(Commission, order["id"])
        assert (commission.status, commission.clawed_back) == (CommissionStatus.SETTLED, 645)
        assert balance_of(session, earnings) == 0
        reference = f"{order['id']}:{refunded.json()['id']}"
        assert find_transaction(session, kind=KOL_CLAWBACK, reference=reference) is not None
        assert verify_ledger(session).breaches == []

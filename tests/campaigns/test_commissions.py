"""KOL commissions: opened by an attributed paid order, paid through the ledger once
payments has settled the order, cancelled by a refund."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import select

from liveshop.accounts.models import Role
from liveshop.campaigns.commissions import KOL_CLAWBACK, KOL_COMMISSION, settle_commissions
from liveshop.campaigns.listeners import RecordConversions
from liveshop.campaigns.models import Commission, CommissionStatus
from liveshop.core.db import unit_of_work
from liveshop.orders.events import AfterSaleRefunded
from liveshop.payments.ledger import (
    AccountKind,
    balance_of,
    find_transaction,
    shop_account,
    user_account,
)
from liveshop.payments.settlement import settle_order
from liveshop.payments.verify import verify_ledger
from tests.campaigns.helpers import flush_touches, new_campaign, new_link, order_and_pay
from tests.conftest import MakeAccount
from tests.live.helpers import shop_product


def _commissions(database_url: str) -> list[tuple[int, int, CommissionStatus]]:
    with unit_of_work(database_url) as session:
        return [
            (c.kol_user_id, c.amount, c.status)
            for c in session.scalars(select(Commission).order_by(Commission.order_id))
        ]


def test_a_kols_commission_is_paid_after_settlement_and_cancelled_by_a_refund(
    client: TestClient, make_account: MakeAccount, database_url: str
) -> None:
    merchant, kol = make_account(Role.MERCHANT), make_account(Role.HOST)
    buyer, returner = make_account(Role.VIEWER), make_account(Role.VIEWER)
    product = shop_product(client, merchant, price=12_900)
    sku_id, shop_id = product["skus"][0]["id"], product["shop_id"]
    campaign = new_campaign(client, merchant, commission_bps=1_000)  # 10 %
    link = new_link(
        client,
        merchant,
        campaign["id"],
        f"product:{product['id']}",
        "douyin",
        kol="kol anna",
        kol_user_id=kol.id,
    )
    for person in (buyer, returner):
        client.get(
            f"/api/products/{product['id']}",
            headers=person.headers | {"X-Attribution": link["code"]},
        )
    flush_touches(client)
    kept = order_and_pay(client, buyer, sku_id, "kol-order-1")
    refunded = order_and_pay(client, returner, sku_id, "kol-order-2")
    assert _commissions(database_url) == [
        (kol.id, 1_290, CommissionStatus.PENDING),
        (kol.id, 1_290, CommissionStatus.PENDING),
    ]

    RecordConversions(database_url).refunded(
        AfterSaleRefunded(
            after_sale_id=1, order_id=refunded["id"], buyer_id=returner.id, amount=12_900
        )
    )
    with unit_of_work(database_url) as session:
        assert settle_commissions(session) == (0, 0)  # the kept order is not settled yet
        payable_before = balance_of(
            session, shop_account(AccountKind.MERCHANT_PAYABLE, shop_id, "CNY")
        )
        settle_order(session, order_id=kept["id"])  # what payments' job does after the window
    with unit_of_work(database_url) as session:
        assert settle_commissions(session) == (1, 0)
        assert settle_commissions(session) == (0, 0)  # never twice
        assert balance_of(session, user_account(AccountKind.HOST_EARNINGS, kol.id, "CNY")) == 1_290
        payable = balance_of(session, shop_account(AccountKind.MERCHANT_PAYABLE, shop_id, "CNY"))
        assert find_transaction(session, kind=KOL_COMMISSION, reference=str(kept["id"]))
        assert find_transaction(session, kind=KOL_COMMISSION, reference=str(refunded["id"])) is None
        assert verify_ledger(session).ok
    assert payable > payable_before
    assert _commissions(database_url) == [
        (kol.id, 1_290, CommissionStatus.SETTLED),
        (kol.id, 1_290, CommissionStatus.CANCELLED),
    ]
    metrics = client.get(f"/api/campaigns/{campaign['id']}/metrics", headers=merchant.headers)
    assert metrics.status_code == 200, metrics.text
    totals = metrics.json()["totals"]
    assert (totals["gmv"], totals["refunds"], totals["net_gmv"]) == (25_800, 12_900, 12_900)
    leaderboard = client.get("/api/campaigns/kols", headers=merchant.headers)
    assert leaderboard.status_code == 200, leaderboard.text
    assert leaderboard.json() == [
        {
            "kol": "kol anna",
            "kol_user_id": kol.id,
            "links": 1,
            "orders": 2,
            "gmv": 25_800,
            "pending": 0,
            "settled": 1_290,
            "cancelled": 1_290,
            "clawed_back": 0,
        }
    ]


def test_a_refund_after_the_commission_was_paid_claws_back_its_share(
    client: TestClient, make_account: MakeAccount, database_url: str
) -> None:
    merchant, kol, buyer = (make_account(r) for r in (Role.MERCHANT, Role.HOST, Role.VIEWER))
    product = shop_product(client, merchant, price=12_900)
    campaign = new_campaign(client, merchant, commission_bps=1_000)  # 10 %: 1,290
    link = new_link(
        client,
        merchant,
        campaign["id"],
        f"product:{product['id']}",
        "douyin",
        kol="kol bo",
        kol_user_id=kol.id,
    )
    client.get(
        f"/api/products/{product['id']}", headers=buyer.headers | {"X-Attribution": link["code"]}
    )
    flush_touches(client)
    order = order_and_pay(client, buyer, product["skus"][0]["id"], "clawback-order")
    with unit_of_work(database_url) as session:
        settle_order(session, order_id=order["id"])
    with unit_of_work(database_url) as session:
        assert settle_commissions(session) == (1, 0)
    earnings = user_account(AccountKind.HOST_EARNINGS, kol.id, "CNY")

    a_third = AfterSaleRefunded(
        after_sale_id=9_000_001, order_id=order["id"], buyer_id=buyer.id, amount=4_300
    )
    RecordConversions(database_url).refunded(a_third)
    RecordConversions(database_url).refunded(a_third)  # delivered twice: clawed back once
    with unit_of_work(database_url) as session:
        assert balance_of(session, earnings) == 1_290 - 430
        assert session.get_one(Commission, order["id"]).clawed_back == 430

    refunded = client.post(
        f"/api/orders/{order['id']}/after-sales", json={"reason": "不要了"}, headers=buyer.headers
    )
    assert refunded.json()["status"] == "refunded", refunded.text
    with unit_of_work(database_url) as session:
        commission = session.get_one(Commission, order["id"])
        assert (commission.status, commission.clawed_back) == (CommissionStatus.SETTLED, 1_290)
        assert balance_of(session, earnings) == 0  # never more than was paid
        clawbacks = [
            find_transaction(session, kind=KOL_CLAWBACK, reference=f"{order['id']}:{after_sale}")
            for after_sale in (9_000_001, refunded.json()["id"])
        ]
        assert all(clawbacks)
        assert verify_ledger(session).breaches == []
    leaderboard = client.get("/api/campaigns/kols", headers=merchant.headers).json()
    assert [(line["settled"], line["clawed_back"]) for line in leaderboard] == [(1_290, 1_290)]

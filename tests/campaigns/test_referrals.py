"""A sharer's earnings (GET /api/me/referrals): their share links with the clicks and
attributed orders each brought, the commission pending, settled as the ledger posted it,
and clawed back by a refund; nobody else's links, and not their own orders."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from liveshop.accounts.models import Role, User
from liveshop.campaigns import referrals
from liveshop.campaigns.commissions import settle_commissions
from liveshop.core.db import unit_of_work
from liveshop.core.settings import Settings
from liveshop.payments.settlement import settle_order
from tests.campaigns.helpers import flush_touches, order_and_pay
from tests.conftest import MakeAccount
from tests.live.helpers import shop_product

SHARE_BPS = 500  # 5 %


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.model_copy(update={"share_commission_bps": SHARE_BPS})


def test_a_sharer_sees_clicks_orders_and_commissions_pending_settled_and_clawed_back(
    client: TestClient, make_account: MakeAccount, database_url: str
) -> None:
    merchant, sharer, stranger = (
        make_account(role) for role in (Role.MERCHANT, Role.VIEWER, Role.VIEWER)
    )
    friends = [make_account(Role.VIEWER) for _ in range(3)]
    product = shop_product(client, merchant, price=12_900)
    sku_id = product["skus"][0]["id"]
    shared = client.post(
        "/api/share-links", json={"target": f"product:{product['id']}"}, headers=sharer.headers
    ).json()
    for person in (*friends, sharer):
        followed = client.get(
            f"/l/{shared['code']}", headers=person.headers, follow_redirects=False
        )
        assert followed.status_code == 302
    flush_touches(client)
    tagged = {"X-Attribution": shared["code"]}
    orders = [
        order_and_pay(
            client, friend, sku_id, f"referral-{index}", **{"X-Attribution": shared["code"]}
        )
        for index, friend in enumerate(friends)
    ]
    order_and_pay(client, sharer, sku_id, "referral-own", **tagged)
    for order in orders[:2]:  # two leave the after-sales window: their commissions settle
        with unit_of_work(database_url) as session:
            settle_order(session, order_id=order["id"])
    with unit_of_work(database_url) as session:
        assert settle_commissions(session) == (2, 0)
    refunded = client.post(
        f"/api/orders/{orders[0]['id']}/after-sales",
        json={"reason": "不要了"},
        headers=friends[0].headers,
    )
    assert refunded.json()["status"] == "refunded", refunded.text

    answer = client.get("/api/me/referrals", headers=sharer.headers)
    assert answer.status_code == 200, answer.text
    mine = answer.json()
    [link] = mine["links"]
    assert link["code"] == shared["code"]
    assert link["url"].endswith(f"/l/{shared['code']}")
    expected = {
        "clicks": 4,  # the sharer's own click counts: they opened the link too
        "orders": 3,  # not their own
        "gmv": 3 * 12_900,
        "commission_pending": 645,  # 5 % of 129.00, still inside the window
        "commission_settled": 2 * 645,
        "clawed_back": 645,  # the refunded one, after it settled
    }
    assert {key: link[key] for key in expected} == expected
    assert {key: mine[key] for key in expected} == expected
    assert mine["commission_bps"] == SHARE_BPS

    with unit_of_work(database_url) as session:  # the service, directly: the same figures
        direct = referrals.my_referrals(
            session,
            sharer=session.get_one(User, sharer.id),
            base_url="http://testserver/",
            commission_bps=SHARE_BPS,
        )
    assert direct.commission_settled == 2 * 645
    empty = client.get("/api/me/referrals", headers=stranger.headers).json()
    assert (empty["links"], empty["orders"], empty["commission_settled"]) == ([], 0, 0)
    assert client.get("/api/me/referrals").status_code == 401


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)  # a page: one database
def test_the_wallet_page_shows_the_referrals_in_both_languages(
    client: TestClient, make_account: MakeAccount
) -> None:
    merchant, sharer, newcomer = (
        make_account(role) for role in (Role.MERCHANT, Role.VIEWER, Role.VIEWER)
    )
    product = shop_product(client, merchant, price=12_900)
    client.post(
        "/api/share-links", json={"target": f"product:{product['id']}"}, headers=sharer.headers
    )

    chinese = client.get("/wallet", headers=sharer.headers | {"Accept-Language": "zh-CN"}).text
    english = client.get("/wallet", headers=sharer.headers | {"Accept-Language": "en"}).text
    assert "分享收益" in chinese
    assert f"商品 #{product['id']}" in chinese
    assert "5%" in chinese
    assert "Referral earnings" in english
    assert f"Product #{product['id']}" in english
    assert "分享" not in english
    empty = client.get("/wallet", headers=newcomer.headers | {"Accept-Language": "en"}).text
    assert 'id="referrals-empty"' in empty

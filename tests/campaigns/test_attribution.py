"""Attribution end to end: clicks, visits and paid orders credited to links, and the
campaign's metrics per channel, creative, KOL and day."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from liveshop.accounts.models import Role, User
from liveshop.catalog import staff
from liveshop.core.db import unit_of_work
from tests.campaigns.helpers import flush_touches, new_campaign, new_link, order_and_pay
from tests.conftest import Account, MakeAccount
from tests.live.helpers import live_room, shop_product


def _metrics(client: TestClient, who: Account, campaign_id: int, **params: Any) -> Any:
    response = client.get(
        f"/api/campaigns/{campaign_id}/metrics", params=params, headers=who.headers
    )
    assert response.status_code == 200, response.text
    return response.json()


def test_a_paid_order_after_a_click_is_credited_to_the_last_link(
    client: TestClient, make_account: MakeAccount
) -> None:
    merchant = make_account(Role.MERCHANT)
    buyer, direct = make_account(Role.VIEWER), make_account(Role.VIEWER)
    product = shop_product(client, merchant, price=12_900)
    sku_id = product["skus"][0]["id"]
    campaign = new_campaign(client, merchant)
    target = f"product:{product['id']}"
    douyin = new_link(client, merchant, campaign["id"], target, "douyin", creative="v1", kol="amy")
    wechat = new_link(client, merchant, campaign["id"], target, "wechat", creative="poster")
    spend = "date,channel,impressions,spend\n2026-12-01,douyin,1000,5000\n2026-12-01,wechat,0,0\n"
    client.post(
        f"/api/campaigns/{campaign['id']}/spend",
        content=spend,
        headers=merchant.headers | {"Content-Type": "text/csv"},
    )

    client.get(f"/l/{douyin['code']}", follow_redirects=False)  # an anonymous click
    client.get(f"/l/{wechat['code']}", follow_redirects=False)
    client.get(
        f"/api/products/{product['id']}", headers=buyer.headers | {"X-Attribution": douyin["code"]}
    )
    flush_touches(client)
    client.get(
        f"/api/products/{product['id']}", headers=buyer.headers | {"X-Attribution": wechat["code"]}
    )
    flush_touches(client)
    order_and_pay(client, buyer, sku_id, "attributed-1")
    client.cookies.clear()  # another person's browser, which followed no link
    order_and_pay(client, direct, sku_id, "direct-1")  # no touch: nobody's credit

    by_channel = _metrics(client, merchant, campaign["id"], by="channel")
    rows = {row["channel"]: row for row in by_channel["rows"]}
    assert (rows["douyin"]["orders"], rows["wechat"]["orders"]) == (0, 1)
    assert rows["wechat"]["gmv"] == 12_900
    assert rows["douyin"] | {"channel": "douyin"} == {
        "channel": "douyin",
        "impressions": 1_000,
        "clicks": 1,
        "ctr": 0.001,
        "visits": 0,
        "viewers": 1,
        "orders": 0,
        "conversion_rate": 0.0,
        "gmv": 0,
        "refunds": 0,
        "net_gmv": 0,
        "spend": 5_000,
        "cpc": 5_000,
        "cpa": None,  # no order: a zero denominator
        "roas": 0.0,
        "roi": -1.0,
    }
    assert rows["wechat"]["roas"] is None  # spend 0
    assert by_channel["totals"]["orders"] == 1
    assert by_channel["totals"]["gmv"] == 12_900
    assert "cpa" in by_channel["definitions"]

    first = _metrics(client, merchant, campaign["id"], by="channel", model="first_touch")
    assert {r["channel"]: r["orders"] for r in first["rows"]} == {"douyin": 1, "wechat": 0}
    linear = _metrics(client, merchant, campaign["id"], by="creative", model="linear")
    assert {r["creative"]: (r["orders"], r["gmv"]) for r in linear["rows"]} == {
        "v1": (0.5, 6_450),
        "poster": (0.5, 6_450),
        "(none)": (0, 0),  # the spend rows name no creative
    }
    by_kol = _metrics(client, merchant, campaign["id"], by="kol", model="first_touch")
    assert {r["kol"]: (r["orders"], r["spend"]) for r in by_kol["rows"]} == {
        "amy": (1, None),
        "(none)": (0, None),
    }
    by_day = _metrics(client, merchant, campaign["id"], by="day")
    assert by_day["rows"][0]["day"] == "2026-12-01"
    assert by_day["rows"][0]["spend"] == 5_000
    assert sum(row["orders"] for row in by_day["rows"]) == 1


def _staff_host(database_url: str, merchant: Account, host: Account) -> None:
    with unit_of_work(database_url) as session:
        invitation = staff.invite_staff(
            session, owner=session.get_one(User, merchant.id), user_id=host.id
        )
        staff.accept_invitation(
            session, invitee=session.get_one(User, host.id), invitation_id=invitation.id
        )


def test_a_room_visit_with_the_cookie_counts_as_a_visit(
    client: TestClient, make_account: MakeAccount, host: Account, database_url: str
) -> None:
    merchant = make_account(Role.MERCHANT)
    shop_product(client, merchant)
    _staff_host(database_url, merchant, host)
    room_id = live_room(client, host)
    campaign = new_campaign(client, merchant)
    link = new_link(client, merchant, campaign["id"], f"room:{room_id}", "douyin")

    clicked = client.get(f"/l/{link['code']}", follow_redirects=False)
    assert clicked.status_code == 302
    assert clicked.headers["location"] == f"/rooms/{room_id}"
    client.get(f"/api/rooms/{room_id}")  # the client keeps the cookie
    client.get(f"/api/rooms/{room_id}")  # a repeat within the half hour: one visit
    client.get("/api/campaigns")  # a call, not a visit
    flush_touches(client)

    rows = _metrics(client, merchant, campaign["id"], by="channel")["rows"]
    assert [(r["channel"], r["clicks"], r["visits"], r["viewers"]) for r in rows] == [
        ("douyin", 1, 1, 1)
    ]

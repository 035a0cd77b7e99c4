"""Campaigns and tracking links through the HTTP API: ownership, targets, the redirect
with its cookie, QR codes, share links."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from liveshop.accounts.models import Role
from liveshop.campaigns.models import Touch, TouchKind, TrackingLink
from liveshop.core.db import unit_of_work
from tests.campaigns.helpers import new_campaign, new_link
from tests.conftest import Account, MakeAccount
from tests.live.helpers import live_room, shop_product


def test_a_merchant_creates_lists_and_reads_only_their_own_campaigns(
    client: TestClient, make_account: MakeAccount
) -> None:
    merchant, rival = make_account(Role.MERCHANT), make_account(Role.MERCHANT)
    shop_product(client, merchant)
    shop_product(client, rival, title="Wool hat")
    campaign = new_campaign(client, merchant, channels=("Douyin", "wechat", "my-blog"))

    assert campaign["channels"] == ["douyin", "wechat", "my-blog"]
    assert (campaign["budget"], campaign["goal"], campaign["currency"]) == (500_000, "sales", "CNY")
    mine = client.get("/api/campaigns", headers=merchant.headers).json()
    assert [c["id"] for c in mine] == [campaign["id"]]
    assert client.get("/api/campaigns", headers=rival.headers).json() == []
    assert (
        client.get(f"/api/campaigns/{campaign['id']}", headers=merchant.headers).status_code == 200
    )
    hidden = client.get(f"/api/campaigns/{campaign['id']}", headers=rival.headers)
    assert (hidden.status_code, hidden.json()["code"]) == (404, "campaign_not_found")


def test_a_campaign_needs_a_shop_and_sane_input(
    client: TestClient, make_account: MakeAccount, viewer: Account
) -> None:
    merchant = make_account(Role.MERCHANT)
    shop_product(client, merchant)
    refused = client.post(
        "/api/campaigns",
        json={
            "name": "x",
            "channels": ["douyin"],
            "budget": 1,
            "starts_at": "2026-12-01T00:00:00+08:00",
            "ends_at": "2026-12-31T00:00:00+08:00",
        },
        headers=viewer.headers,
    )
    assert (refused.status_code, refused.json()["code"]) == (403, "no_shop")
    for bad in (
        {"channels": ["share"]},
        {"channels": ["Not a channel!"]},
        {"budget": -1},
        {"ends_at": "2026-11-30T00:00:00+08:00"},
        {"starts_at": "2026-12-01T00:00:00"},
    ):
        body = {
            "name": "x",
            "channels": ["douyin"],
            "budget": 1,
            "starts_at": "2026-12-01T00:00:00+08:00",
            "ends_at": "2026-12-31T00:00:00+08:00",
        } | bad
        response = client.post("/api/campaigns", json=body, headers=merchant.headers)
        assert response.status_code == 422, (bad, response.text)
    assert client.get("/api/campaigns", headers=merchant.headers).json() == []


def test_links_lead_only_to_the_shops_own_goods_and_rooms(
    client: TestClient, make_account: MakeAccount, host: Account
) -> None:
    merchant, rival = make_account(Role.MERCHANT), make_account(Role.MERCHANT)
    product = shop_product(client, merchant)
    theirs = shop_product(client, rival, title="Wool hat")
    room_id = live_room(client, host)
    campaign = new_campaign(client, merchant)

    link = new_link(
        client,
        merchant,
        campaign["id"],
        f"product:{product['id']}",
        "douyin",
        creative="video-a",
        kol="小美",
    )
    assert link["url"] == f"http://testserver/l/{link['code']}"
    assert link["qr_url"] == f"http://testserver/api/links/{link['code']}/qr.svg"
    assert (link["channel"], link["creative"], link["kol"]) == ("douyin", "video-a", "小美")
    for target, channel, code in (
        (f"product:{theirs['id']}", "douyin", "target_not_yours"),
        (f"room:{room_id}", "douyin", "target_not_yours"),  # host anna acts for no shop
        ("product:999999", "douyin", "target_not_yours"),
        (f"product:{product['id']}", "weibo", "channel_not_in_campaign"),
    ):
        response = client.post(
            f"/api/campaigns/{campaign['id']}/links",
            json={"target": target, "channel": channel},
            headers=merchant.headers,
        )
        assert (response.status_code, response.json()["code"]) == (422, code)
    stranger = client.post(
        f"/api/campaigns/{campaign['id']}/links",
        json={"target": f"product:{theirs['id']}", "channel": "douyin"},
        headers=rival.headers,
    )
    assert stranger.status_code == 404
    listed = client.get(f"/api/campaigns/{campaign['id']}/links", headers=merchant.headers)
    assert [item["code"] for item in listed.json()] == [link["code"]]


def test_following_a_link_records_the_click_and_sets_the_attribution_cookie(
    client: TestClient, make_account: MakeAccount, database_url: str
) -> None:
    merchant = make_account(Role.MERCHANT)
    product = shop_product(client, merchant)
    campaign = new_campaign(client, merchant)
    link = new_link(client, merchant, campaign["id"], f"product:{product['id']}", "wechat")

    response = client.get(f"/l/{link['code']}", follow_redirects=False)

    assert response.status_code == 302
    assert response.headers["location"] == f"/products/{product['id']}"
    cookie = response.headers["set-cookie"]
    assert cookie.startswith(f"ls_attr={link['code']}.")
    assert "HttpOnly" in cookie
    assert "SameSite=lax" in cookie
    assert "Max-Age=604800" in cookie
    assert "Secure" not in cookie  # plain http in development
    with unit_of_work(database_url) as session:
        touches = session.execute(select(Touch.kind, Touch.user_id)).tuples().all()
        assert touches == [(TouchKind.CLICK, None)]
    assert client.get("/l/nosuchcode", follow_redirects=False).status_code == 404


def test_qr_codes_encode_the_link(client: TestClient, make_account: MakeAccount) -> None:
    merchant = make_account(Role.MERCHANT)
    product = shop_product(client, merchant)
    campaign = new_campaign(client, merchant)
    link = new_link(client, merchant, campaign["id"], f"product:{product['id']}", "douyin")

    svg = client.get(f"/api/links/{link['code']}/qr.svg")
    png = client.get(f"/api/links/{link['code']}/qr.png")

    assert svg.status_code == 200
    assert svg.headers["content-type"] == "image/svg+xml"
    assert svg.text.startswith("<svg")
    assert png.content[:8] == b"\x89PNG\r\n\x1a\n"


def test_a_viewer_shares_a_room_with_a_link_of_their_own(
    client: TestClient, viewer: Account, host: Account, database_url: str
) -> None:
    room_id = live_room(client, host)
    first = client.post(
        "/api/share-links", json={"target": f"room:{room_id}"}, headers=viewer.headers
    )
    again = client.post(
        "/api/share-links", json={"target": f"room:{room_id}"}, headers=viewer.headers
    )

    assert first.status_code == again.status_code == 201
    assert first.json()["code"] == again.json()["code"]
    assert (first.json()["channel"], first.json()["sharer_id"]) == ("share", viewer.id)
    assert (
        client.get(f"/l/{first.json()['code']}", follow_redirects=False).headers["location"]
        == f"/rooms/{room_id}"
    )
    refused = client.post("/api/share-links", json={"target": "coupon:1"}, headers=viewer.headers)
    assert refused.status_code == 422
    with unit_of_work(database_url) as session:
        assert session.scalar(select(func.count()).select_from(TrackingLink)) == 1


def test_a_kols_account_is_found_by_name(client: TestClient, make_account: MakeAccount) -> None:
    merchant = make_account(Role.MERCHANT)
    shop_product(client, merchant)
    xiaomei = make_account(Role.HOST, username="xiaomei_live")
    make_account(Role.VIEWER, username="xiaomei_fan")  # not a creator
    make_account(Role.HOST, username="dage")

    def found(who: Account, name: str) -> tuple[int, Any]:
        response = client.get(f"/api/campaigns/kol-accounts?q={name}", headers=who.headers)
        return response.status_code, response.json()

    assert found(merchant, "XiaoMei") == (200, [{"id": xiaomei.id, "username": "xiaomei_live"}])
    assert found(merchant, "") == (200, [])
    assert found(merchant, "%") == (200, [])  # a character, not a wildcard
    status, body = found(make_account(Role.MERCHANT), "xiaomei")  # no shop: runs no campaign
    assert (status, body["code"]) == (403, "no_shop")

"""The coupon link in a browser (issue 15 §1): a signed-out visitor follows a campaign's
coupon link, signs in from the coupon's page, comes back to it and claims it with one
tap; a second visit says it is claimed."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

from playwright.sync_api import expect

from liveshop.accounts.models import Role
from liveshop.core.clock import utcnow

if TYPE_CHECKING:
    from tests.web.conftest import LiveServer
    from tests.web.conftest import PageOpener as NewPage


def test_a_visitor_signs_in_from_the_coupon_and_claims_it_with_one_tap(
    server: LiveServer, new_page: NewPage
) -> None:
    merchant = server.create_user(server.unique("券商家"), Role.MERCHANT)
    shopper = server.create_user(server.unique("领券人"))
    server.create_product(merchant, title="保温杯", price=8_800, stock=20)
    coupon = server.api(
        merchant,
        "POST",
        "/api/coupons",
        {
            "code": server.unique("LAND"),
            "name": "新客立减券",
            "kind": "fixed",
            "amount": 1_000,
            "starts_at": (utcnow() - timedelta(minutes=1)).isoformat(),
            "ends_at": (utcnow() + timedelta(days=7)).isoformat(),
            "total_quantity": 10,
        },
        expect=201,
    )
    campaign = server.api(
        merchant,
        "POST",
        "/api/campaigns",
        {
            "name": "新客券",
            "channels": ["wechat"],
            "budget": 10_000,
            "starts_at": (utcnow() - timedelta(days=1)).isoformat(),
            "ends_at": (utcnow() + timedelta(days=7)).isoformat(),
            "goal": "sales",
        },
        expect=201,
    )
    link = server.api(
        merchant,
        "POST",
        f"/api/campaigns/{campaign['id']}/links",
        {"target": f"coupon:{coupon['id']}", "channel": "wechat"},
        expect=201,
    )

    page = new_page(None, f"/l/{link['code']}")
    expect(page.locator("#coupon-name")).to_have_text("新客立减券")
    page.click("#coupon-sign-in")
    page.fill("#username", shopper.username)
    page.fill("#password", server.password)
    page.click("#submit-btn")
    expect(page).to_have_url(f"{server.base_url}/coupons/{coupon['id']}")
    page.click("#coupon-claim")
    expect(page.locator("#coupon-state")).to_have_text("已领取「新客立减券」，下单自动使用")
    expect(page.locator("#coupon-claim")).to_be_disabled()

    page.reload()
    expect(page.locator("#coupon-state")).to_contain_text("已领取")
    expect(page.locator("#coupon-claim")).to_have_count(0)
    held = server.api(shopper, "GET", "/api/coupons/mine")
    assert [item["coupon"]["id"] for item in held] == [coupon["id"]]

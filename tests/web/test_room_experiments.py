"""A room's A/B tested mechanics as the viewer meets them, at phone and desktop sizes: a
tested shelf order (the 购物袋 opens with their variant's lead product, not re-ranked by
recommendations) and a tested coupon depth (the drop's card shows their depth, and they
grab it at that depth); each counts the viewer in the experiment's results."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest
from playwright.sync_api import expect

if TYPE_CHECKING:
    from tests.web.conftest import LiveServer, OpenPage

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("size", ["phone", "desktop"])
def test_the_shelf_opens_with_the_viewers_variants_lead(
    server: LiveServer, open_page: OpenPage, size: str
) -> None:
    host, merchant, coat, room_id = server.selling_room(
        title="冬装专场", product={"title": "羽绒服", "price": 29_900, "stock": 5}
    )
    scarf = server.create_product(merchant, title="羊毛围巾", price=12_800, stock=5)
    shelf = {"product_ids": [coat["id"], scarf["id"]]}
    server.api(host, "PUT", f"/api/rooms/{room_id}/shelf", shelf)
    experiment = _experiment(server, merchant, "购物袋首位")
    leads = {"a": scarf["id"], "b": scarf["id"]}  # whichever arm: the scarf leads
    body = {"experiment_id": experiment["id"], "leads": leads}
    server.api(host, "POST", f"/api/rooms/{room_id}/shelf-experiment", body, expect=201)
    viewer = server.create_user(server.unique("viewer"))

    page = open_page(viewer, f"/rooms/{room_id}", locale="zh-CN", size=size)
    page.click("#shelf-btn")
    items = page.locator("#shelf-list .shelf-item")
    expect(items).to_have_count(2)
    expect(items.first).to_have_attribute("data-product-id", str(scarf["id"]))

    results = server.api(merchant, "GET", f"/api/experiments/{experiment['id']}/results")
    assert sum(variant["users"] for variant in results["variants"]) == 1


def _experiment(server: LiveServer, merchant: Any, name: str) -> dict[str, Any]:
    variants = [{"name": "a", "weight": 1}, {"name": "b", "weight": 1}]
    body = {"name": name, "variants": variants}
    experiment: dict[str, Any] = server.api(merchant, "POST", "/api/experiments", body, expect=201)
    return experiment


@pytest.mark.parametrize("size", ["phone", "desktop"])
def test_the_coupon_card_shows_and_grabs_the_viewers_depth(
    server: LiveServer, open_page: OpenPage, size: str
) -> None:
    host, merchant, _coat, room_id = server.selling_room(
        title="领券专场", product={"title": "羽绒服", "price": 29_900, "stock": 5}
    )
    coupon = server.room_coupon_drop(host, room_id, name="直播间立减券", code="DEPTH")
    experiment = _experiment(server, merchant, "券深度")
    depths = {"a": 500, "b": 500}  # whichever arm: 5 off, not the face's 20
    body = {"experiment_id": experiment["id"], "depths": depths}
    server.api(merchant, "POST", f"/api/coupons/{coupon['id']}/experiment", body, expect=201)
    viewer = server.create_user(server.unique("viewer"))

    page = open_page(viewer, f"/rooms/{room_id}", locale="zh-CN", size=size)
    card = page.locator(f".coupon-drop[data-coupon-id='{coupon['id']}']")
    expect(card.locator(".coupon-face")).to_have_text("¥5.00")
    card.locator(".coupon-grab").click()
    expect(card.locator(".coupon-grab")).to_have_text("已领取")
    expect(card.locator(".coupon-face")).to_have_text("¥5.00")

    [held] = server.api(viewer, "GET", "/api/coupons/mine")
    assert held["coupon"]["amount"] == 500
    results = server.api(merchant, "GET", f"/api/experiments/{experiment['id']}/results")
    assert sum(variant["users"] for variant in results["variants"]) == 1

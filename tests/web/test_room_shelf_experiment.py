"""A room whose shelf order is A/B tested: the viewer's 购物袋 opens with their variant's
lead product (not re-ranked by recommendations), and opening it is the viewer's exposure
in the experiment's results; at phone and desktop sizes."""

from __future__ import annotations

from typing import TYPE_CHECKING

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
    variants = [{"name": "a", "weight": 1}, {"name": "b", "weight": 1}]
    experiment = server.api(
        merchant,
        "POST",
        "/api/experiments",
        {"name": "购物袋首位", "variants": variants},
        expect=201,
    )
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

"""The order detail page (issue 18 §5): from 我的订单 to /orders/{id}, its lines and
amounts as GET /api/orders/{id} has them, the address with a masked phone and the dated
history; another user gets the error page, not the order. Phone and desktop sizes."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from playwright.sync_api import expect

if TYPE_CHECKING:
    from tests.web.conftest import LiveServer
    from tests.web.conftest import PageOpener as NewPage

pytestmark = pytest.mark.browser
ADDRESS = {"recipient": "李四", "phone": "13912345678", "region": "上海市", "line": "世纪大道 1 号"}
SIZES = {"phone": {"width": 390, "height": 844}, "desktop": {"width": 1280, "height": 800}}


def _yuan(minor: int) -> str:
    return f"¥{minor // 100}.{minor % 100:02d}"


@pytest.mark.parametrize("size", ["phone", "desktop"])
def test_the_buyer_opens_an_order_from_my_orders(
    server: LiveServer, new_page: NewPage, size: str
) -> None:
    _host, merchant, product, _room = server.selling_room(
        title="杯子专场", product={"title": "保温杯", "price": 5_000, "stock": 10}
    )
    buyer = server.create_user(server.unique("detailbuyer"))
    address = server.api(buyer, "POST", "/api/addresses", ADDRESS, expect=201)
    placed = {"items": [{"sku_id": product["skus"][0]["id"], "quantity": 2}]}
    order = server.api(
        buyer,
        "POST",
        "/api/orders",
        placed | {"address_id": address["id"]},
        expect=201,
        headers={"Idempotency-Key": server.unique("detail-order")},
    )
    server.api(buyer, "POST", f"/api/orders/{order['id']}/cancel", {"reason": "买家取消"})
    api = server.api(buyer, "GET", f"/api/orders/{order['id']}")

    page = new_page(buyer, "/orders")
    page.set_viewport_size(SIZES[size])
    page.locator(f".order-card[data-order-id='{order['id']}'] .order-detail-link").click()
    expect(page).to_have_url(f"{server.base_url}/orders/{order['id']}")
    expect(page.locator("#order-status")).to_have_text("已取消")
    expect(page.locator("#order-items")).to_contain_text("保温杯")
    expect(page.locator("#amount-items")).to_have_text(_yuan(api["items_total"]))
    expect(page.locator("#amount-total")).to_have_text(_yuan(api["total"]))
    expect(page.locator("#address-phone")).to_have_text("139****5678")
    assert "13912345678" not in page.content()
    steps = page.locator("#order-history .order-history-step")
    expect(steps).to_have_count(2)
    expect(steps.nth(0)).to_contain_text("下单成功")
    expect(steps.nth(1)).to_contain_text("订单已取消")
    shown_at = steps.nth(1).locator("time").get_attribute("datetime") or ""
    assert shown_at[:19] == api["transitions"][1]["at"][:19]
    width = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert width[0] <= width[1], width
    assert new_page.errors[page] == []

    stranger = new_page(merchant, f"/orders/{order['id']}")
    expect(stranger.locator("#order-detail")).to_have_count(0)
    assert "保温杯" not in stranger.content()

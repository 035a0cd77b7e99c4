"""The product page in the browser, on a phone (390x844) and a laptop (1280x800):
nothing overflows, a reader marks a review helpful and follows the shop.

Set LIVESHOP_SCREENSHOT_DIR to keep screenshots of both layouts.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from playwright.sync_api import Page, expect

from liveshop.accounts.models import Role
from liveshop.catalog import service as catalog
from liveshop.core.db import unit_of_work
from tests.reviews.helpers import order_line

if TYPE_CHECKING:
    from tests.web.conftest import LiveServer
    from tests.web.conftest import PageOpener as NewPage

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
LAPTOP = {"width": 1280, "height": 800}


def _screenshot(page: Page, name: str) -> None:
    folder = os.environ.get("LIVESHOP_SCREENSHOT_DIR")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(folder) / f"{name}.png"), full_page=True)


def _overflow(page: Page) -> int:
    """How many pixels the page is wider than the window (0: no sideways scrolling)."""
    width: int = page.evaluate(
        "document.scrollingElement.scrollWidth - document.documentElement.clientWidth"
    )
    return width


def test_a_reader_on_a_phone_and_on_a_laptop(server: LiveServer, new_page: NewPage) -> None:
    merchant = server.create_user(server.unique("merchant"), Role.MERCHANT)
    buyer = server.create_user(server.unique("buyer"), Role.VIEWER)
    reader = server.create_user(server.unique("reader"), Role.VIEWER)
    product = server.create_product(
        merchant,
        title="真丝围巾 超长款 四季可用 " * 3,
        category="scarves",
        description="桑蚕丝，长 180 厘米。",
        skus=[
            {"code": "red", "options": {"颜色": "红"}, "price": 19_900, "stock": 8},
            {"code": "blue", "options": {"颜色": "蓝"}, "price": 21_900, "stock": 0},
        ],
    )
    server.create_product(merchant, title="羊绒围巾", category="scarves", price=29_900, stock=3)
    line = order_line(server.database_url, buyer=buyer, merchant=merchant, product_id=product["id"])
    review = server.api(
        buyer,
        "POST",
        f"/api/order-items/{line.item_id}/review",
        {"rating": 5, "text": "颜色很正，" * 20},
        expect=201,
    )

    page = new_page(reader, "/")
    page.set_viewport_size(PHONE)
    page.goto(f"/products/{product['id']}")
    expect(page.locator("#sku-list .sku")).to_have_count(2)
    expect(page.locator(".sku.is-sold-out")).to_contain_text("已售罄")
    expect(page.locator("#price-low")).to_contain_text("30 天最低 ¥199.00")
    expect(page.locator("#similar a")).to_contain_text("羊绒围巾")
    assert _overflow(page) == 0
    _screenshot(page, "product-phone")

    page.locator(f'button.helpful[data-review-id="{review["id"]}"]').click()
    expect(page.locator(".helpful-count")).to_have_text("1")
    page.locator("#follow-shop").click()
    expect(page.locator("#follow-shop")).to_have_text("已关注")
    with unit_of_work(server.database_url) as session:
        assert catalog.follows_shop(session, user_id=reader.id, shop_id=product["shop_id"])

    page.set_viewport_size(LAPTOP)
    page.reload()
    expect(page.locator("#follow-shop")).to_have_text("已关注")
    expect(page.locator(".helpful-static, .helpful-count")).to_have_text("1")
    gallery = page.locator(".product-gallery").bounding_box()
    summary = page.locator(".product-summary").bounding_box()
    assert gallery is not None
    assert summary is not None
    assert summary["x"] > gallery["x"] + gallery["width"] - 1  # side by side
    assert _overflow(page) == 0
    _screenshot(page, "product-laptop")
    assert new_page.errors[page] == []

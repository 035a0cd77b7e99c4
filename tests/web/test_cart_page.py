"""The cart in the browser (issue 18, §5), at phone and desktop sizes: 加入购物车 from the product
page and from the room's shelf, the /cart page's quantities, removal and total (the API's
figures), and checkout as one order per shop, then the pay sheet."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from playwright.sync_api import expect

from liveshop.accounts.models import Role

if TYPE_CHECKING:
    from tests.web.conftest import LiveServer
    from tests.web.conftest import PageOpener as NewPage

pytestmark = pytest.mark.browser

SIZES = {"phone": {"width": 390, "height": 844}, "desktop": {"width": 1280, "height": 800}}


@pytest.mark.parametrize("size", list(SIZES))
def test_a_cart_from_two_shops_checks_out_as_two_orders(
    server: LiveServer, new_page: NewPage, size: str
) -> None:
    _host, _merchant, coat, room_id = server.selling_room(
        title="冬季专场", product={"title": "加厚羽绒服", "price": 29_900, "stock": 10}
    )
    other_shop = server.create_user(server.unique("merchant"), Role.MERCHANT)
    scarf = server.create_product(other_shop, title="羊毛围巾", price=5_990, stock=10)
    buyer = server.create_user(server.unique("cartbuyer"))
    page = new_page(buyer, "/")
    page.set_viewport_size(SIZES[size])

    page.goto(f"/products/{scarf['id']}")
    page.locator(f'[data-cart-sku="{scarf["skus"][0]["id"]}"]').click()
    expect(page.locator("#toast")).to_contain_text("已加入购物车")

    page.goto(f"/rooms/{room_id}")
    page.click("#shelf-btn")
    shelf_item = page.locator(f'#shelf-list [data-product-id="{coat["id"]}"]')
    shelf_item.locator(".shelf-cart").click()
    expect(page.locator("#toast")).to_contain_text("共 2 件")

    page.goto("/cart")
    lines = page.locator("#cart-lines .cart-line")
    expect(lines).to_have_count(2)
    scarf_line = lines.filter(has_text="羊毛围巾")
    scarf_line.locator(".cart-qty").fill("3")
    scarf_line.locator(".cart-qty").dispatch_event("change")
    expect(page.locator("#cart-total")).to_have_text("¥478.70")  # 3 × 59.90 + 299.00
    api = server.api(buyer, "GET", "/api/cart")
    assert api["total"] == 47_870
    expect(page.locator("#cart-total")).to_have_attribute("data-minor", str(api["total"]))
    width = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert width[0] <= width[1], f"the page is {width[0]} px wide in a {width[1]} px viewport"

    page.click("#cart-checkout")
    orders = page.locator("#cart-orders .order-card")
    expect(orders).to_have_count(2)
    expect(page.locator("#pay-sheet")).to_be_visible()
    expect(page.locator("#cart-empty")).to_be_visible()
    placed = server.api(buyer, "GET", "/api/orders")
    assert sorted(order["total"] for order in placed) == [3 * 5_990, 29_900]
    assert server.api(buyer, "GET", "/api/cart")["lines"] == []

    # removing a line: the cart is empty again
    server.api(buyer, "POST", "/api/cart/items", {"sku_id": scarf["skus"][0]["id"]})
    page.goto("/cart")
    expect(lines).to_have_count(1)
    lines.first.locator(".cart-remove").click()
    expect(lines).to_have_count(0)
    expect(page.locator("#cart-empty")).to_be_visible()
    assert new_page.errors[page] == []

"""Back-office consoles that scale (issue 18, §4), at phone and desktop sizes: with 60 orders
and 60 audit entries the merchant console, the host console and the regulator's log show
20 rows a page, each console's main task comes first, the page stays bounded and no wider
than the viewport, paging reaches the last item, and the count shown is the API's total.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import pytest
from playwright.sync_api import Page, expect

from liveshop.accounts.models import Role, User
from liveshop.core.audit.log import append_audit
from liveshop.core.db import unit_of_work

if TYPE_CHECKING:
    from tests.web.conftest import LiveServer
    from tests.web.conftest import PageOpener as NewPage

pytestmark = pytest.mark.browser

SIZES = {"phone": {"width": 390, "height": 844}, "desktop": {"width": 1280, "height": 800}}
ORDERS = 60
MAX_HEIGHT = {"phone": 9_000, "desktop": 5_000}


@pytest.fixture(scope="module")
def busy_room(server: LiveServer) -> dict[str, Any]:
    """A live room whose shop has 60 orders placed in it, by three buyers."""
    host, merchant, product, room_id = server.selling_room(
        title="清仓专场", product={"title": "纯棉T恤", "price": 3_900, "stock": 500}
    )
    buyers = [server.create_user(server.unique("pager")) for _ in range(3)]
    body = {"items": [{"sku_id": product["skus"][0]["id"], "quantity": 1}], "room_id": room_id}
    ids = [
        server.api(
            buyers[index % 3],
            "POST",
            "/api/orders",
            body,
            expect=201,
            headers={"Idempotency-Key": uuid.uuid4().hex},
        )["id"]
        for index in range(ORDERS)
    ]
    return {"host": host, "merchant": merchant, "room_id": room_id, "ids": ids}


@pytest.fixture(scope="module")
def regulator(server: LiveServer) -> tuple[User, int]:
    """The regulator, and 60 audit entries on 2026-01-05 (a day with nothing else): the
    user and the first entry's seq."""
    seqs = []
    with unit_of_work(server.database_url) as session:
        for index in range(ORDERS):
            entry = append_audit(
                session,
                actor="system",
                action="inspection.sampled",
                subject=f"product:{index + 1}",
                details={"inspection_id": index + 1, "findings": ["标签不全"], "adult": True},
                at=datetime(2026, 1, 5, 12, 0, index, tzinfo=UTC),
            )
            seqs.append(entry.seq)
    return server.create_user(server.unique("regulator"), Role.REGULATOR), seqs[0]


def _open(new_page: NewPage, user: User, path: str, size: str) -> Page:
    page = new_page(user, "/")
    page.set_viewport_size(SIZES[size])
    page.goto(path)
    return page


def _bounded(page: Page, size: str) -> None:
    width, height, viewport = page.evaluate(
        "[document.documentElement.scrollWidth, document.documentElement.scrollHeight,"
        " window.innerWidth]"
    )
    assert width <= viewport, f"the page is {width} px wide in a {viewport} px viewport"
    assert height < MAX_HEIGHT[size], f"the page is {height} px tall at {size}"


def _above(page: Page, first: str, then: str) -> None:
    top = page.locator(first).bounding_box()
    below = page.locator(then).bounding_box()
    assert top is not None
    assert below is not None
    assert top["y"] < below["y"], f"{first} should come before {then}"


def _page_to_the_end(page: Page, pager: str, rows: str) -> list[str]:
    """Clicks 下一页 until it is disabled; the row ids of the last page."""
    nxt = page.locator(f"{pager} .pager-next")
    for _ in range(ORDERS):
        if nxt.is_disabled():
            break
        label = page.locator(f"{pager} .pager-label").inner_text()
        nxt.click()
        expect(page.locator(f"{pager} .pager-label")).not_to_have_text(label)
    assert nxt.is_disabled()
    return [row.get_attribute("data-order-id") or "" for row in page.locator(rows).all()]


@pytest.mark.parametrize("size", list(SIZES))
def test_the_merchant_console_shows_products_first_and_pages_its_orders(
    server: LiveServer, new_page: NewPage, busy_room: dict[str, Any], size: str
) -> None:
    page = _open(new_page, busy_room["merchant"], "/merchant", size)
    rows = page.locator("#shop-orders tbody tr")
    expect(rows).to_have_count(20)
    api = server.api(busy_room["merchant"], "GET", "/api/shop-orders")
    expect(page.locator("#shop-orders-total")).to_have_text(str(api["total"]))
    assert api["total"] == ORDERS
    _above(page, "#product-table", "#shop-orders")
    _bounded(page, size)
    last = _page_to_the_end(page, "#orders-pager", "#shop-orders tbody tr")
    assert last[-1] == str(busy_room["ids"][0])  # the oldest order, on the last page
    expect(page.locator("#orders-pager .pager-label")).to_have_text("第 3 / 3 页")
    page.locator("#orders-pager .pager-prev").click()
    expect(page.locator("#orders-pager .pager-label")).to_have_text("第 2 / 3 页")
    assert new_page.errors[page] == []


@pytest.mark.parametrize("size", list(SIZES))
def test_the_host_console_puts_chat_first_and_pages_the_rooms_orders(
    server: LiveServer, new_page: NewPage, busy_room: dict[str, Any], size: str
) -> None:
    room_id = busy_room["room_id"]
    page = _open(new_page, busy_room["host"], f"/host/rooms/{room_id}", size)
    rows = page.locator("#room-orders tbody tr")
    expect(rows).to_have_count(20)
    api = server.api(busy_room["host"], "GET", f"/api/rooms/{room_id}/order-pages")
    expect(page.locator("#room-orders-count")).to_have_text(str(api["counted"]))
    assert api["total"] == ORDERS
    _above(page, "#chat-list", "#room-orders")
    _above(page, "#question-list", "#room-orders")
    _above(page, "#start-btn", "#room-orders")
    _bounded(page, size)
    last = _page_to_the_end(page, "#room-orders-pager", "#room-orders tbody tr")
    assert last[-1] == str(busy_room["ids"][0])
    # the shop is picked by its name, preselected with the host's shop
    shop = server.api(busy_room["merchant"], "GET", "/api/shops/mine")
    expect(page.locator("#shop-id option:checked")).to_have_text(shop["name"])
    expect(page.locator("#shop-products .host-product")).to_have_count(1)
    assert new_page.errors[page] == []


@pytest.mark.parametrize("size", list(SIZES))
def test_the_regulators_log_pages_and_reads_details_in_chinese(
    server: LiveServer, new_page: NewPage, regulator: tuple[User, int], size: str
) -> None:
    regulator_user, first_seq = regulator
    page = _open(new_page, regulator_user, "/regulator", size)
    page.fill("#range-start", "2026-01-05")
    page.fill("#range-end", "2026-01-05")
    page.click("#range-apply")
    rows = page.locator("#audit tbody tr")
    expect(page.locator("#audit-count")).to_have_text(f"共 {ORDERS} 条")
    expect(rows).to_have_count(20)
    window = "start=2026-01-05T00:00:00Z&end=2026-01-06T00:00:00Z"
    api = server.api(regulator_user, "GET", f"/api/regulator/audit?{window}&limit=1")
    assert api["total"] == ORDERS
    details = rows.first.locator(".audit-details")
    expect(details.locator("dt")).to_have_text(["成年", "发现", "抽检编号"])
    expect(details.locator("dd")).to_have_text(["是", "标签不全", "1"])
    expect(rows.first.locator("td").nth(3)).to_have_text("抽检取样")
    assert "{" not in details.inner_text()
    _bounded(page, size)
    nxt = page.locator("#audit-pager .pager-next")
    for skipped in (20, 40):
        nxt.click()
        expect(rows.first).to_have_attribute("data-seq", str(first_seq + skipped))
    expect(nxt).to_be_disabled()
    expect(rows).to_have_count(20)
    expect(rows.last.locator(".audit-details dd").last).to_have_text(str(ORDERS))
    page.locator("#audit-pager .pager-prev").click()
    expect(page.locator("#audit-pager .pager-label")).to_have_text("第 2 / 3 页")
    assert new_page.errors[page] == []

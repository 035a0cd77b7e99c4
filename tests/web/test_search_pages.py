"""The search page and the shop's FAQ page in the browser, on a phone (390x844) and
a laptop (1280x800): result cards, pinyin queries, sorting and facets, no
sideways scrolling; a merchant edits the FAQ the assistant answers from."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

import httpx
import pytest
from playwright.sync_api import Page, expect

from liveshop.accounts.models import Role

if TYPE_CHECKING:
    from tests.web.conftest import LiveServer
    from tests.web.conftest import PageOpener as NewPage

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
LAPTOP = {"width": 1280, "height": 800}


def _overflow(page: Page) -> int:
    width: int = page.evaluate(
        "document.scrollingElement.scrollWidth - document.documentElement.clientWidth"
    )
    return width


def _indexed(server: LiveServer, query: str, count: int) -> None:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        found = httpx.get(f"{server.base_url}/api/search", params={"q": query}).json()
        if found["total"] >= count:
            return
        time.sleep(0.1)
    raise AssertionError(f"{query!r} was not indexed within 10 s")


def test_search_on_a_phone_and_on_a_laptop(server: LiveServer, new_page: NewPage) -> None:
    merchant = server.create_user(server.unique("merchant"), Role.MERCHANT)
    word = "旗袍"  # unique to this test in the module's database
    server.create_product(
        merchant, title=f"真丝刺绣{word} 复古改良款", category="女装", price=39_900, stock=3
    )
    server.create_product(
        merchant, title=f"日常棉麻{word} 连衣裙式", category="女装", price=15_900, stock=8
    )
    _indexed(server, word, 2)

    page = new_page(None, "/")
    page.set_viewport_size(PHONE)
    page.goto("/search?q=qipao")  # pinyin finds 旗袍
    expect(page.locator("#search-results .result-card")).to_have_count(2)
    expect(page.locator("#search-count")).to_contain_text("共 2 个结果")
    page.locator('[data-sort="price_asc"]').click()
    expect(page.locator(".result-card .result-price").first).to_have_text("¥159.00")
    assert _overflow(page) == 0
    page.locator(".search-facets summary").click()
    page.locator('[data-facet="price"]').first.click()
    expect(page.locator("#search-results .result-card")).to_have_count(1)

    page.set_viewport_size(LAPTOP)
    page.goto(f"/search?q={word}")
    cards = page.locator("#search-results .result-card")
    expect(cards).to_have_count(2)
    first, second = cards.nth(0).bounding_box(), cards.nth(1).bounding_box()
    assert first is not None
    assert second is not None
    assert second["x"] > first["x"]  # a grid on a wide screen
    assert _overflow(page) == 0
    page.goto("/search?q=完全没有的东西zzz")
    expect(page.locator("#search-empty")).to_be_visible()
    assert new_page.errors[page] == []


def test_a_merchant_edits_the_faq(server: LiveServer, new_page: NewPage) -> None:
    merchant = server.create_user(server.unique("merchant"), Role.MERCHANT)
    server.create_product(merchant, title="羊毛围巾", price=9_900, stock=2)  # opens the shop
    page = new_page(merchant, "/merchant/faq")
    page.set_viewport_size(PHONE)
    expect(page.locator("#faq-root")).to_have_attribute("data-state", "ready")
    page.locator("#faq-add").click()
    page.locator(".faq-question").fill("几天发货")
    page.locator(".faq-answer").fill("48小时内发货")
    page.locator("#faq-save").click()
    expect(page.locator("#faq-root")).to_have_attribute("data-state", "saved")
    stored = server.api(merchant, "GET", "/api/shops/mine/faq")
    assert [(entry["question"], entry["answer"]) for entry in stored] == [
        ("几天发货", "48小时内发货")
    ]
    assert _overflow(page) == 0
    assert new_page.errors[page] == []


def test_a_viewer_searches_the_rooms_shelf(server: LiveServer, new_page: NewPage) -> None:
    host = server.create_user(server.unique("host"), Role.HOST)
    merchant = server.create_user(server.unique("merchant"), Role.MERCHANT)
    coat = server.create_product(merchant, title="加厚羊羔毛外套", price=45_900, stock=4)
    socks = server.create_product(merchant, title="纯棉中筒袜 五双装", price=2_990, stock=50)
    invitation = server.api(
        merchant, "POST", "/api/shops/mine/staff-invitations", {"user_id": host.id}, expect=201
    )
    server.api(host, "POST", f"/api/staff-invitations/{invitation['id']}/accept")
    room_id = server.create_room(host, title="冬装专场", start=True)
    server.api(
        host, "PUT", f"/api/rooms/{room_id}/shelf", {"product_ids": [coat["id"], socks["id"]]}
    )
    _indexed(server, "外套", 1)
    _indexed(server, "袜", 1)
    viewer = server.create_user(server.unique("viewer"))
    page = new_page(viewer, f"/rooms/{room_id}")
    page.set_viewport_size(PHONE)
    page.click("#shelf-btn")
    expect(page.locator("#shelf-list .shelf-item")).to_have_count(2)
    page.fill("#shelf-search", "waitao")  # pinyin for 外套
    expect(page.locator("#shelf-list .shelf-item:visible")).to_have_count(1)
    expect(page.locator("#shelf-list .shelf-item:visible .shelf-title")).to_contain_text("外套")
    page.fill("#shelf-search", "")
    expect(page.locator("#shelf-list .shelf-item:visible")).to_have_count(2)
    assert _overflow(page) == 0
    assert new_page.errors[page] == []

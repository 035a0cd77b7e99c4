"""Each page speaks one language (issue 18 §2), in Chromium on a phone (390x844) and a
desktop (1280x800): a browser asking for English gets the viewer's path (home, sign-in,
sign-up, password reset, search, product, room, cart, my orders, an order and its parcel,
notifications, wallet, account security) with no Chinese in its visible text; one asking
for Chinese gets no English interface words; the footer's switch changes the language
and the choice outlives the page; money follows the language, server- and
script-formatted alike."""

from __future__ import annotations

import re
import time
import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import httpx
import pytest
from playwright.sync_api import Page, expect

from liveshop.accounts.models import Role, User
from tests.web.conftest import SIZES, OpenPage

if TYPE_CHECKING:
    from tests.web.conftest import LiveServer

pytestmark = pytest.mark.browser

# Han, CJK punctuation and full-width forms: any of them in an English page is a leftover.
CJK = re.compile(r"[\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uff00-\uffef]")
# Words of the English interface; none belongs in a Chinese page.
ENGLISH_UI_WORDS = (
    "Sign in",
    "Sign up",
    "Live now",
    "Coming up",
    "Search",
    "Buy now",
    "Connecting",
    "watching",
    "Share",
    "Bag",
    "Chat",
    "Send",
    "Welcome back",
    "Reviews",
    "My orders",
    "Reset your password",
    "Add to cart",
)
VISIBLE_TEXT = """() => {
  const language = document.getElementById("language-switch");
  return document.body.innerText.replace(language ? language.innerText : "", "");
}"""


@dataclass
class World:
    viewer: User
    product: dict[str, Any]
    room_id: int
    order_id: int

    def paths(self) -> list[tuple[bool, str]]:
        """(signed in, path) of every converted page on the viewer's path."""
        return [
            (False, "/login"),
            (False, "/register"),
            (False, "/forgot-password"),
            (True, "/"),
            (True, "/search?q=linen"),
            (True, f"/products/{self.product['id']}"),
            (True, f"/rooms/{self.room_id}"),
            (True, "/cart"),
            (True, "/orders"),
            (True, f"/orders/{self.order_id}"),
            (True, f"/orders/{self.order_id}/tracking"),
            (True, "/notifications"),
            (True, "/wallet"),
            (True, "/account/security"),
        ]


@pytest.fixture(scope="module")
def world(server: LiveServer) -> World:
    """Everything people typed is in English, so Chinese on an English page is the site's."""
    _host, _merchant, product, room_id = server.selling_room(
        title="Evening sale",
        product={"title": "Linen shirt", "price": 3_900, "stock": 5, "description": "Light."},
    )
    deadline = time.monotonic() + 10
    while httpx.get(f"{server.base_url}/api/search", params={"q": "linen"}).json()["total"] < 1:
        assert time.monotonic() < deadline, "the product was not indexed within 10 s"
        time.sleep(0.1)
    viewer = server.create_user(server.unique("viewer"), Role.VIEWER)
    sku = {"sku_id": product["skus"][0]["id"]}
    server.api(viewer, "POST", "/api/cart/items", sku)  # a line in the cart
    order = {"items": [sku | {"quantity": 1}]}  # and an order awaiting payment
    key = {"Idempotency-Key": uuid.uuid4().hex}
    placed = server.api(viewer, "POST", "/api/orders", order, expect=201, headers=key)
    return World(viewer=viewer, product=product, room_id=room_id, order_id=placed["id"])


def _settle(page: Page, path: str) -> None:
    """Wait for what the page's scripts write: the room's connection and its pinned card."""
    if path.startswith("/rooms/"):
        expect(page.locator("#conn")).to_have_attribute("data-state", "open")
        expect(page.locator("#buy-btn")).to_be_enabled()
    if path == "/cart":
        expect(page.locator("#cart-lines > li")).to_have_count(1)
    if path == "/orders":
        expect(page.locator("#order-list > li")).to_have_count(1)
    page.wait_for_load_state("networkidle")


@pytest.mark.parametrize("size", SIZES)
def test_an_english_browser_gets_english_pages(
    size: str, world: World, open_page: OpenPage
) -> None:
    for signed_in, path in world.paths():
        page = open_page(world.viewer if signed_in else None, path, locale="en-US", size=size)
        _settle(page, path)
        assert page.evaluate("document.documentElement.lang") == "en", path
        text: str = page.evaluate(VISIBLE_TEXT)
        leftovers = sorted({line for line in text.splitlines() if CJK.search(line)})
        assert leftovers == [], f"{path} shows Chinese to an English reader"
        assert not CJK.search(page.title()), path


@pytest.mark.parametrize("size", SIZES)
def test_a_chinese_browser_gets_no_english_interface(
    size: str, world: World, open_page: OpenPage
) -> None:
    for signed_in, path in world.paths():
        page = open_page(world.viewer if signed_in else None, path, locale="zh-CN", size=size)
        _settle(page, path)
        assert page.evaluate("document.documentElement.lang") == "zh-CN", path
        text: str = page.evaluate(VISIBLE_TEXT)
        english = [word for word in ENGLISH_UI_WORDS if word in text]
        assert english == [], f"{path} shows English words to a Chinese reader"


@pytest.mark.parametrize("size", SIZES)
def test_the_footer_switch_changes_the_language_and_keeps_it(
    size: str, world: World, open_page: OpenPage
) -> None:
    page = open_page(world.viewer, "/search?q=linen", locale="zh-CN", size=size)
    expect(page.locator("#search-count")).to_have_text("共 1 个结果")
    page.locator("#language-en").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    assert page.url.endswith("/search?q=linen")  # back on the same page
    expect(page.locator("#search-count")).to_have_text("1 result")

    page.goto(f"/rooms/{world.room_id}")  # the choice outranks the browser's zh-CN
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.locator("#conn")).to_have_attribute("data-state", "open")
    expect(page.locator("#chat-send")).to_have_text("Send")

    page.locator("#language-zh_CN").click()
    expect(page.locator("html")).to_have_attribute("lang", "zh-CN")
    expect(page.locator("#chat-send")).to_have_text("发送")


@pytest.mark.parametrize(("locale", "price"), [("en-US", "CN¥39.00"), ("zh-CN", "¥39.00")])
def test_money_follows_the_language(
    locale: str, price: str, world: World, open_page: OpenPage
) -> None:
    product_path = f"/products/{world.product['id']}"
    product = open_page(world.viewer, product_path, locale=locale, size="phone")
    expect(product.locator("#price")).to_have_text(price)  # Babel, on the server

    room = open_page(world.viewer, f"/rooms/{world.room_id}", locale=locale, size="phone")
    expect(room.locator("#pinned-price")).to_have_text(price)
    expect(room.locator("#buy-btn")).to_be_enabled()
    room.locator("#shelf-btn").click()  # the shelf is drawn by room_shop.js
    expect(room.locator("#shelf-list")).to_contain_text(price)

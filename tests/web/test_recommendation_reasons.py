"""Recommended products say why in the browser (issue 14 §2), in the page's language at
phone and desktop sizes, with nothing overflowing: the product page's "more like this"
(the API's reason for a ranked product, the category for one topping the list up) and a
room's shelf (the viewer's own reason where one lifted a product; nothing more for a
product there for being on the shelf)."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import httpx
import pytest
from playwright.sync_api import Page, expect

from liveshop.accounts.models import Role, User
from liveshop.core.db import unit_of_work
from liveshop.core.settings import Settings
from liveshop.privacy.consents import POLICY_VERSIONS, Purpose, grant_consent
from liveshop.recommend import model_store
from liveshop.recommend.jobs import train_once
from liveshop.recommend.serving import PERSONAL_REASONS
from liveshop.web import i18n
from liveshop.web.feeds import reason_text
from liveshop.web.product_view import SIMILAR_SHOWN
from tests.recommend.helpers import events

if TYPE_CHECKING:
    from tests.web.conftest import LiveServer, OpenPage

pytestmark = pytest.mark.browser

# The server trains once, 30 s after it starts, and not again in the module's life: the
# fixture waits for that training, then trains the model the tests read.
SERVER_ENVIRONMENT = {"LIVESHOP_RECOMMEND_TRAIN_MINUTES": "1440"}
FIRST_TRAINING_WAIT_SECONDS = 120.0
LOCALES = {"zh-CN": "zh_CN", "en": "en"}  # the browser's language -> the page's
LONG_TITLE = "桑蚕丝围巾专用金属扣 防滑不勾丝 " * 3
Shown = list[tuple[str | None, str | None]]  # (product id, its reason) as the page shows them


@dataclass(frozen=True)
class World:
    products: dict[str, int]
    room_id: int
    reader: User  # allowed personalisation, bought the silk scarf


@pytest.fixture(scope="module")
def world(server: LiveServer) -> World:
    """A silk scarf, a clasp carted after it by people who allowed personalisation, and a
    wool scarf nobody viewed; the reader (who allowed it too) bought the scarf; a model
    trained on that in the server's home once the server's own first training has run; a
    linen scarf listed after it (the model does not know it); a live room selling all
    four."""
    host, merchant, silk, room_id = server.selling_room(
        title="围巾专场",
        product={"title": "真丝围巾", "category": "围巾", "price": 9_900, "stock": 5},
    )
    made = {"silk": silk["id"]}
    for name, title, category in (("clasp", LONG_TITLE, "饰品"), ("wool", "羊绒围巾", "围巾")):
        body = {"title": title, "category": category, "price": 9_900, "stock": 5}
        made[name] = server.create_product(merchant, **body)["id"]
    reader = server.create_user(server.unique("reader"), Role.VIEWER)
    crowd = [server.create_user(server.unique("crowd"), Role.VIEWER) for _ in range(4)]
    purpose = Purpose.PERSONALISED_RECOMMENDATIONS
    with unit_of_work(server.database_url) as session:
        for viewer in [reader, *crowd]:
            version = POLICY_VERSIONS[purpose]
            grant_consent(session, user_id=viewer.id, purpose=purpose, policy_version=version)
    settings = Settings(home=server.home)
    together = (("view", "silk"), ("cart", "clasp"))
    events(
        settings,
        [
            (viewer.id, kind, {"product_id": made[name]})
            for viewer in crowd
            for kind, name in together
        ]
        + [
            (reader.id, "view", {"product_id": made["silk"]}),
            (reader.id, "purchase", {"product_id": made["silk"], "amount": 9_900}),
        ],
    )
    deadline = time.monotonic() + FIRST_TRAINING_WAIT_SECONDS
    while model_store.current_version(server.home) is None:
        assert time.monotonic() < deadline, "the server's first training did not happen"
        time.sleep(0.5)
    train_once(settings)  # after the server's own training: the model the tests read
    linen = {"title": "亚麻围巾", "category": "围巾", "price": 9_900, "stock": 5}
    made["linen"] = server.create_product(merchant, **linen)["id"]
    shelf = [made[name] for name in ("linen", "wool", "clasp", "silk")]
    server.api(host, "PUT", f"/api/rooms/{room_id}/shelf", {"product_ids": shelf})
    return World(made, room_id, reader)


def _assert_no_overflow(page: Page) -> None:
    overflow = page.evaluate(
        "document.scrollingElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow == 0


def _answer(server: LiveServer, context: str, limit: int, viewer: User | None) -> Any:
    """The API's answer for ``context``, as ``viewer`` (None: anonymous)."""
    if viewer is not None:
        query = f"/api/recommendations/products?context={context}&limit={limit}"
        return server.api(viewer, "GET", query)
    answer = httpx.get(
        f"{server.base_url}/api/recommendations/products",
        params={"context": context, "limit": limit},
    )
    assert answer.status_code == 200
    return answer.json()


def _under_one_version(
    server: LiveServer, context: str, limit: int, viewer: User | None, show: Callable[[], Shown]
) -> tuple[list[dict[str, Any]], Shown]:
    """The API's items for ``context`` and what ``show`` read from the page, both under one
    model version (the server's own training job may publish another meanwhile: then
    both are read again)."""
    for _attempt in range(3):
        before = _answer(server, context, limit, viewer)
        shown = show()
        if _answer(server, context, limit, viewer)["model_version"] == before["model_version"]:
            items: list[dict[str, Any]] = before["items"]
            return items, shown
    pytest.fail("a new model version was published during every attempt")


@pytest.mark.parametrize("size", ["phone", "desktop"])
@pytest.mark.parametrize("browser_locale", ["zh-CN", "en"])
def test_each_similar_product_says_why(
    server: LiveServer, open_page: OpenPage, world: World, browser_locale: str, size: str
) -> None:
    products = world.products
    words = i18n.translations(LOCALES[browser_locale]).gettext
    page = open_page(None, "/", locale=browser_locale, size=size)
    items = page.locator("#similar li")

    def show() -> Shown:
        page.goto(f"/products/{products['silk']}")
        return [
            (
                item.locator("a").get_attribute("data-product-id"),
                item.locator(".similar-reason").inner_text(),
            )
            for item in items.all()
        ]

    answer, shown = _under_one_version(
        server, f"product:{products['silk']}", SIMILAR_SHOWN, None, show
    )
    ranked = [
        (str(item["product_id"]), reason_text(item["reason_kind"], item["reason_subject"], words))
        for item in answer
    ]
    top_up = (str(products["linen"]), reason_text("same_category", "围巾", words))
    assert ranked[0] == (str(products["clasp"]), reason_text("similar_to", "真丝围巾", words))
    assert top_up not in ranked
    assert shown == [*ranked, top_up]
    assert (
        shown[0][1]
        == {"zh-CN": "和「真丝围巾」相似", "en": "Similar to “真丝围巾”"}[browser_locale]
    )
    assert shown[-1][1] == {"zh-CN": "同属「围巾」", "en": "Also in “围巾”"}[browser_locale]
    for item in items.all():  # each reason inside its own card
        card, reason = item.bounding_box(), item.locator(".similar-reason").bounding_box()
        assert card is not None
        assert reason is not None
        assert reason["height"] > 0
        assert card["x"] <= reason["x"]
        assert reason["x"] + reason["width"] <= card["x"] + card["width"]
    _assert_no_overflow(page)


def _shelf_as_shown(page: Page, room_id: int) -> Shown:
    """(product id, its reason or None) of each shelf product, in the shelf's order."""
    page.goto(f"/rooms/{room_id}")
    page.click("#shelf-btn")
    items = page.locator("#shelf-list .shelf-item")
    expect(items).to_have_count(4)
    return [
        (
            item.get_attribute("data-product-id"),
            item.locator(".shelf-reason").inner_text()
            if item.locator(".shelf-reason").count()
            else None,
        )
        for item in items.all()
    ]


@pytest.mark.parametrize("size", ["phone", "desktop"])
@pytest.mark.parametrize("browser_locale", ["zh-CN", "en"])
def test_the_shelf_says_why_for_the_viewer(
    server: LiveServer, open_page: OpenPage, world: World, browser_locale: str, size: str
) -> None:
    products = world.products
    words = i18n.translations(LOCALES[browser_locale]).gettext
    page = open_page(world.reader, "/", locale=browser_locale, size=size)
    answer, shown = _under_one_version(
        server,
        f"room:{world.room_id}",
        50,
        world.reader,
        lambda: _shelf_as_shown(page, world.room_id),
    )
    shelf = set(products.values())
    expected = [
        (
            str(item["product_id"]),
            reason_text(item["reason_kind"], item["reason_subject"], words)
            if item["reason_kind"] in PERSONAL_REASONS
            else None,
        )
        for item in answer
        if item["product_id"] in shelf
    ]
    assert shown == expected
    said = {
        "zh-CN": ("再次购买", "因为你看过「真丝围巾」"),
        "en": ("Buy again", "Because you watched “真丝围巾”"),
    }[browser_locale]
    assert shown[:2] == [(str(products["silk"]), said[0]), (str(products["clasp"]), said[1])]
    assert dict(shown)[str(products["linen"])] is None  # unknown to the model
    _assert_no_overflow(page)

    anonymous = open_page(None, "/", locale=browser_locale, size=size)
    assert [reason for _, reason in _shelf_as_shown(anonymous, world.room_id)] == [None] * 4

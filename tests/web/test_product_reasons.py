"""The product page's "more like this" in the browser (issue 14 §2): each product says
why in the page's language, the API's reason for a ranked one and its category for one
topping the list up, at phone and desktop sizes, with nothing overflowing."""

from __future__ import annotations

from typing import TYPE_CHECKING

import httpx
import pytest
from playwright.sync_api import expect

from liveshop.accounts.models import Role
from liveshop.core.db import unit_of_work
from liveshop.core.settings import Settings
from liveshop.privacy.consents import POLICY_VERSIONS, Purpose, grant_consent
from liveshop.recommend.jobs import train_once
from liveshop.web import i18n
from liveshop.web.feeds import reason_text
from liveshop.web.product_view import SIMILAR_SHOWN
from tests.recommend.helpers import events

if TYPE_CHECKING:
    from tests.web.conftest import LiveServer, OpenPage

pytestmark = pytest.mark.browser

LOCALES = {"zh-CN": "zh_CN", "en": "en"}  # the browser's language -> the page's
LONG_TITLE = "桑蚕丝围巾专用金属扣 防滑不勾丝 " * 3


@pytest.fixture(scope="module")
def products(server: LiveServer) -> dict[str, int]:
    """A silk scarf, a clasp viewed with it by people who allowed personalisation and a
    wool scarf nobody viewed, a model trained on that in the server's home, and a linen
    scarf listed after it (the model does not know it)."""
    merchant = server.create_user(server.unique("merchant"), Role.MERCHANT)
    made = {
        name: server.create_product(merchant, title=title, category=category, price=9_900, stock=5)[
            "id"
        ]
        for name, title, category in (
            ("silk", "真丝围巾", "围巾"),
            ("clasp", LONG_TITLE, "饰品"),
            ("wool", "羊绒围巾", "围巾"),
        )
    }
    crowd = [server.create_user(server.unique("crowd"), Role.VIEWER) for _ in range(4)]
    purpose = Purpose.PERSONALISED_RECOMMENDATIONS
    with unit_of_work(server.database_url) as session:
        for viewer in crowd:
            grant_consent(
                session, user_id=viewer.id, purpose=purpose, policy_version=POLICY_VERSIONS[purpose]
            )
    settings = Settings(home=server.home)
    events(
        settings,
        [
            (viewer.id, kind, {"product_id": made[name]})
            for viewer in crowd
            for kind, name in (("view", "silk"), ("cart", "clasp"))
        ],
    )
    train_once(settings)
    made["linen"] = server.create_product(
        merchant, title="亚麻围巾", category="围巾", price=9_900, stock=5
    )["id"]
    return made


def _api_reasons(server: LiveServer, product_id: int, locale: str) -> list[tuple[str, str]]:
    """The API's ranking for the product (anonymous), each reason in ``locale``."""
    answer = httpx.get(
        f"{server.base_url}/api/recommendations/products",
        params={"context": f"product:{product_id}", "limit": SIMILAR_SHOWN},
    )
    assert answer.status_code == 200
    gettext = i18n.translations(locale).gettext
    return [
        (str(item["product_id"]), reason_text(item["reason_kind"], item["reason_subject"], gettext))
        for item in answer.json()["items"]
    ]


@pytest.mark.parametrize("size", ["phone", "desktop"])
@pytest.mark.parametrize("browser_locale", ["zh-CN", "en"])
def test_each_similar_product_says_why(
    server: LiveServer,
    open_page: OpenPage,
    products: dict[str, int],
    browser_locale: str,
    size: str,
) -> None:
    locale = LOCALES[browser_locale]
    ranked = _api_reasons(server, products["silk"], locale)
    words = i18n.translations(locale).gettext
    top_up = (str(products["linen"]), reason_text("same_category", "围巾", words))
    assert ranked[0] == (str(products["clasp"]), reason_text("similar_to", "真丝围巾", words))
    assert top_up not in ranked

    page = open_page(None, f"/products/{products['silk']}", locale=browser_locale, size=size)
    items = page.locator("#similar li")
    expect(items).to_have_count(len(ranked) + 1)
    shown = [
        (
            item.locator("a").get_attribute("data-product-id"),
            item.locator(".similar-reason").inner_text(),
        )
        for item in items.all()
    ]
    assert shown == [*ranked, top_up]
    assert shown[0][1] == {"zh_CN": "和「真丝围巾」相似", "en": "Similar to “真丝围巾”"}[locale]
    assert shown[-1][1] == {"zh_CN": "同属「围巾」", "en": "Also in “围巾”"}[locale]
    for item in items.all():  # each reason inside its own card
        card, reason = item.bounding_box(), item.locator(".similar-reason").bounding_box()
        assert card is not None
        assert reason is not None
        assert reason["height"] > 0
        assert card["x"] <= reason["x"]
        assert reason["x"] + reason["width"] <= card["x"] + card["width"]
    overflow = page.evaluate(
        "document.scrollingElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow == 0

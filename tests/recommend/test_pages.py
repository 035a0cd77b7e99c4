"""The home page shows the recommended feed: picks with their reasons in Chinese,
and rooms in the recommended order with theirs (escaped, no internal codes); the
product page's "more like this" is the API's ranking for the product with the API's
reasons in the page's language, topped up with its category's published products."""

from __future__ import annotations

import re
from typing import Any

import pytest
from fastapi.testclient import TestClient
from markupsafe import escape

from liveshop.accounts.models import Role, User
from liveshop.catalog.models import ListingStatus, Product
from liveshop.core.db import unit_of_work
from liveshop.core.settings import Settings
from liveshop.live import service as live
from liveshop.recommend import serving
from liveshop.recommend.jobs import train_once
from liveshop.web import i18n
from liveshop.web.feeds import reason_text
from liveshop.web.product_view import SIMILAR_SHOWN
from tests.conftest import MakeAccount
from tests.recommend.helpers import allow_personalisation, events, merchants, product
from tests.recommend.test_serving import Shopfront


@pytest.fixture
def shopfront(database_url: str, settings: Settings, make_account: MakeAccount) -> Shopfront:
    return Shopfront(database_url, settings, make_account)


def test_home_page_shows_picks_and_room_reasons(
    database_url: str, settings: Settings, make_account: MakeAccount, client: TestClient
) -> None:
    (shop,) = merchants(make_account, 1)
    tea = product(database_url, shop, "<b>Tea</b> & cake", "tea")
    cup = product(database_url, shop, "Cup", "cups")
    reader = make_account(Role.VIEWER, "reader")
    allow_personalisation(database_url, reader)
    crowd = [make_account(Role.VIEWER, f"crowd_{i}") for i in range(4)]
    for account in crowd:
        allow_personalisation(database_url, account)
    events(
        settings,
        [
            (a.id, kind, {"product_id": p})
            for a in crowd
            for kind, p in (("view", tea), ("cart", cup))
        ]
        + [(reader.id, "view", {"product_id": tea})],
    )
    newcomer = make_account(Role.HOST, "newcomer")
    with unit_of_work(database_url) as work:
        host = work.get_one(User, newcomer.id)
        room = live.create_room(work, host=host, title="First show")
        work.flush()
        live.start_room(work, actor=host, room_id=room.id)
    train_once(settings)

    page = client.get("/", headers=reader.headers)
    assert page.status_code == 200
    html = page.text
    assert 'id="for-you"' in html
    assert "因为你看过「&lt;b&gt;Tea&lt;/b&gt; &amp; cake」" in html  # the cup's reason, escaped
    assert f'href="/products/{cup}"' in html
    assert '<p class="room-reason">新主播</p>' in html
    assert "because_you_watched" not in html
    assert "new_host" not in html

    anonymous = client.get("/").text
    assert "因为你看过" not in anonymous
    assert "「tea」热卖" in anonymous or "「cups」热卖" in anonymous


SIMILAR_ITEM = re.compile(
    r'data-product-id="(\d+)".*?<small class="similar-reason"[^>]*>([^<]*)</small>', re.S
)


def _similar_with_reasons(
    client: TestClient, product_id: int, headers: dict[str, str], locale: str = "zh_CN"
) -> list[tuple[int, str]]:
    """(product id, reason as the page shows it) of "more like this", in order."""
    client.cookies.set(i18n.LOCALE_COOKIE, locale)
    try:
        page = client.get(f"/products/{product_id}", headers=headers)
    finally:
        client.cookies.delete(i18n.LOCALE_COOKIE)
    assert page.status_code == 200
    section = page.text.split('id="similar-title"', 1)[1].split("</section>", 1)[0]
    return [(int(found), reason) for found, reason in SIMILAR_ITEM.findall(section)]


def _api_items(
    client: TestClient, product_id: int, headers: dict[str, str]
) -> list[dict[str, Any]]:
    answer = client.get(
        "/api/recommendations/products",
        params={"context": f"product:{product_id}", "limit": SIMILAR_SHOWN},
        headers=headers,
    )
    assert answer.status_code == 200
    items: list[dict[str, Any]] = answer.json()["items"]
    return items


def _from_api(client: TestClient, product_id: int, headers: dict[str, str]) -> list[int]:
    return [item["product_id"] for item in _api_items(client, product_id, headers)]


def _in_words(kind: str, subject: str, locale: str) -> str:
    return str(escape(reason_text(kind, subject, i18n.translations(locale).gettext)))


def test_more_like_this_is_what_the_api_answers_for_the_product(
    shopfront: Shopfront, settings: Settings, client: TestClient
) -> None:
    train_once(settings)
    cup = shopfront.cups[1]
    kinds = {}
    for who, headers in (
        ("anonymous", {}),
        ("personalised", shopfront.reader.headers),
        ("opted out", shopfront.private.headers),
    ):
        api = _api_items(client, cup, headers)
        assert len(api) == SIMILAR_SHOWN
        kinds[who] = [item["reason_kind"] for item in api]
        for locale in i18n.LOCALES:
            assert _similar_with_reasons(client, cup, headers, locale) == [
                (item["product_id"], _in_words(item["reason_kind"], item["reason_subject"], locale))
                for item in api
            ]
    # Products like the cup first (its category), then popular ones; the reader, who
    # bought the tea, is offered it again and what others viewed with it. Opted out: as
    # anyone.
    assert kinds["anonymous"] == [*["similar_to"] * 2, *["popular_in"] * 4]
    assert kinds["opted out"] == kinds["anonymous"]
    assert kinds["personalised"] == [
        *["similar_to"] * 2,
        "buy_again",
        *["because_you_watched"] * 3,
    ]
    chinese = _similar_with_reasons(client, cup, shopfront.reader.headers)
    assert chinese[0][1] == "和「Cup 1」相似"
    assert chinese[2] == (shopfront.tea[0], "再次购买")
    assert chinese[3][1] == "因为你看过「Tea 0」"
    english = _similar_with_reasons(client, cup, shopfront.reader.headers, "en")
    assert [english[i][1] for i in (0, 2, 3)] == [
        "Similar to “Cup 1”",
        "Buy again",
        "Because you watched “Tea 0”",
    ]


def test_more_like_this_falls_back_to_the_category_and_shows_published_only(
    database_url: str,
    settings: Settings,
    make_account: MakeAccount,
    client: TestClient,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(serving, "RELOAD_CHECK_SECONDS", 0.0)
    tea_shop, cup_shop = merchants(make_account, 2)
    green, black, oolong = (product(database_url, tea_shop, f"{n} tea", "tea") for n in "GBO")
    cup = product(database_url, cup_shop, "Cup", "cups")
    viewers = [make_account(Role.VIEWER, f"taster_{i}") for i in range(3)]
    for account in viewers:
        allow_personalisation(database_url, account)
    events(
        settings,
        [(a.id, "view", {"product_id": p}) for a in viewers for p in (green, cup, black)],
    )

    # No model yet: the same category, newest first, saying so.
    assert _from_api(client, green, {}) == []
    assert _similar_with_reasons(client, green, {}) == [
        (oolong, "同属「tea」"),
        (black, "同属「tea」"),
    ]

    # A model of these four; a tea listed after it is unknown to it, and one the model
    # knows is held for review since.
    train_once(settings)
    white = product(database_url, tea_shop, "White tea", "tea")
    with unit_of_work(database_url) as work:
        work.get_one(Product, oolong).listing_status = ListingStatus.HELD_FOR_REVIEW
    ranked = _api_items(client, green, {})
    assert {item["product_id"] for item in ranked} == {cup, black}  # fewer than the page shows
    top_up = [(white, "同属「tea」")]
    assert _similar_with_reasons(client, green, {}) == [
        *(
            (item["product_id"], _in_words(item["reason_kind"], item["reason_subject"], "zh_CN"))
            for item in ranked
        ),
        *top_up,
    ]
    assert _similar_with_reasons(client, green, {}, "en")[-1] == (white, "Also in “tea”")

"""Notices and parcel scans on the pages speak the page's language (issue 18 §2), in
Chromium at a phone's size (390x844) and a desktop's (1280x800): an English reader's
notification centre shows every kind of notice in English and the parcel page every scan
in English (the carrier's place as it wrote it, marked as Chinese), with the same words
as the API gives that reader; a Chinese reader gets them in Chinese; a notice arriving
live on an open English page is worded in English, in its toast and in the list."""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import httpx
import pytest
from playwright.sync_api import Page, expect

from liveshop.accounts.models import Role, User
from liveshop.core.db import unit_of_work
from liveshop.notifications.centre import Notice, notify_users
from tests.notifications.notice_examples import EXAMPLES
from tests.web.conftest import SIZES, OpenPage
from tests.web.test_language_pages import CJK, VISIBLE_TEXT

if TYPE_CHECKING:
    from tests.web.conftest import LiveServer

pytestmark = pytest.mark.browser

SERVER_ENVIRONMENT = {
    "LIVESHOP_SANDBOX_CARRIER_STEP_SECONDS": "0.2",  # the parcel is delivered in a second
    "LIVESHOP_NOTIFICATION_JOBS_SECONDS": "0.5",
}
ROUTE_SCANS = 5  # the sandbox's route: picked up, two centres, out for delivery, delivered


@dataclass
class World:
    host: User
    buyer: User
    order_id: int


def _delivered_parcel(server: LiveServer) -> tuple[User, User, int]:
    """A paid order shipped with the sandbox carrier, delivered by the server's job (its
    notices written by the server's listeners): (host, buyer, order id)."""
    host, merchant, product, room_id = server.selling_room(
        title="Evening sale",
        product={"title": "Linen shirt", "price": 3_900, "stock": 5, "description": "Light."},
    )
    buyer = server.create_user(server.unique("buyer"), Role.VIEWER)
    line = {"sku_id": product["skus"][0]["id"], "quantity": 1}
    key = {"Idempotency-Key": uuid.uuid4().hex}
    body = {"items": [line], "room_id": room_id}
    order = server.api(buyer, "POST", "/api/orders", body, expect=201, headers=key)
    server.pay_by_card(buyer, order["id"], idempotency_key=uuid.uuid4().hex)
    shipment = {"carrier": "sandbox", "tracking_number": "SB70001"}
    server.api(merchant, "POST", f"/api/orders/{order['id']}/shipment", shipment, expect=201)
    deadline = time.monotonic() + 20
    while server.api(buyer, "GET", f"/api/orders/{order['id']}/tracking")["status"] != "delivered":
        assert time.monotonic() < deadline, "the sandbox parcel was not delivered in 20 s"
        time.sleep(0.2)
    return host, buyer, int(order["id"])


@pytest.fixture(scope="module")
def world(server: LiveServer) -> World:
    """A delivered parcel (its shipped and delivered notices) and one notice of every kind
    and variant, with what people typed in English."""
    host, buyer, order_id = _delivered_parcel(server)
    with unit_of_work(server.database_url) as session:
        for number, (kind, params) in enumerate(EXAMPLES):
            notice = Notice(kind, f"example:{number}", params, "/orders")
            notify_users(session, user_ids=[buyer.id], notice=notice)
    return World(host=host, buyer=buyer, order_id=order_id)


def _api(server: LiveServer, user: User, path: str, locale: str) -> Any:
    token = server.session_token(user)
    headers = {"Authorization": f"Bearer {token}", "Accept-Language": locale}
    answer = httpx.get(f"{server.base_url}{path}", headers=headers, timeout=10)
    assert answer.status_code == 200, answer.text
    return answer.json()


def _texts(page: Page, selector: str) -> list[str]:
    return [text.strip() for text in page.locator(selector).all_inner_texts()]


def _no_overflow(page: Page) -> None:
    width = "document.scrollingElement.scrollWidth - document.documentElement.clientWidth"
    assert page.evaluate(width) == 0


@pytest.mark.parametrize("size", SIZES)
def test_an_english_reader_sees_no_chinese_notice(
    size: str, world: World, server: LiveServer, open_page: OpenPage
) -> None:
    page = open_page(world.buyer, "/notifications", locale="en-US", size=size)
    expected = _api(server, world.buyer, "/api/notifications?limit=50", "en-US")["items"]
    assert len(expected) == len(EXAMPLES) + 2  # with the parcel's shipped and delivered
    titles = _texts(page, "#notice-list .notice-title")
    assert titles == [item["title"] for item in expected]
    bodies = _texts(page, "#notice-list .notice-body")
    assert bodies == [item["body"] for item in expected if item["body"]]
    assert [line for line in titles + bodies if CJK.search(line)] == []
    assert page.locator("#notice-list [lang]").count() == 0  # all in the page's language
    text: str = page.evaluate(VISIBLE_TEXT)
    assert [line for line in text.splitlines() if CJK.search(line)] == []
    _no_overflow(page)


@pytest.mark.parametrize("size", SIZES)
def test_an_english_reader_sees_no_chinese_scan(
    size: str, world: World, server: LiveServer, open_page: OpenPage
) -> None:
    path = f"/orders/{world.order_id}/tracking"
    page = open_page(world.buyer, path, locale="en-US", size=size)
    expected = _api(server, world.buyer, f"/api/orders/{world.order_id}/tracking", "en-US")
    lines = _texts(page, "#timeline .step-text")
    assert lines == [event["description"] for event in expected["events"]]
    assert len(lines) == ROUTE_SCANS
    assert [line for line in lines if CJK.search(line)] == []
    assert page.locator("#timeline .step-text[lang]").count() == 0
    expect(page.locator("#carrier-name")).to_have_text("Sandbox Express")
    places = page.locator("#timeline .step-place")
    assert places.count() == ROUTE_SCANS
    for index in range(ROUTE_SCANS):  # the carrier's own text, as it wrote it
        expect(places.nth(index)).to_have_attribute("lang", "zh-CN")
    text: str = page.evaluate(VISIBLE_TEXT)
    for place in _texts(page, "#timeline .step-place"):
        text = text.replace(place, " ")
    assert [line for line in text.splitlines() if CJK.search(line)] == []
    _no_overflow(page)


@pytest.mark.parametrize("size", SIZES)
def test_a_chinese_reader_sees_them_in_chinese(
    size: str, world: World, server: LiveServer, open_page: OpenPage
) -> None:
    page = open_page(world.buyer, "/notifications", locale="zh-CN", size=size)
    expected = _api(server, world.buyer, "/api/notifications?limit=50", "zh-CN")["items"]
    titles = _texts(page, "#notice-list .notice-title")
    assert titles == [item["title"] for item in expected]
    assert all(CJK.search(title) for title in titles)
    assert page.locator("#notice-list [lang]").count() == 0
    path = f"/orders/{world.order_id}/tracking"
    page = open_page(world.buyer, path, locale="zh-CN", size=size)
    lines = _texts(page, "#timeline .step-text")
    assert lines[0] == "已签收，感谢使用"
    assert all(CJK.search(line) for line in lines)
    assert page.locator("#timeline .step-text[lang], #timeline .step-place[lang=en]").count() == 0
    expect(page.locator("#carrier-name")).to_have_text("沙箱快递")


def test_a_live_notice_arrives_in_the_pages_language(
    world: World, server: LiveServer, open_page: OpenPage
) -> None:
    server.api(world.buyer, "POST", f"/api/hosts/{world.host.id}/follow", expect=204)
    room_id = server.create_room(world.host, title="Late show", start=False)
    page = open_page(world.buyer, "/notifications", locale="en-US", size="phone")
    expect(page.locator("html")).to_have_attribute("data-notifications", "open")
    before = page.locator("#notice-list .notice").count()
    server.api(world.host, "POST", f"/api/rooms/{room_id}/start")

    expected = f"{world.host.username} is live now"
    expect(page.locator("#toast")).to_have_text(expected)
    expect(page.locator("#notice-list .notice")).to_have_count(before + 1)
    newest = page.locator("#notice-list .notice").first
    expect(newest.locator(".notice-title")).to_have_text(expected)
    expect(newest.locator(".notice-body")).to_have_text("Late show")
    assert newest.locator("[lang]").count() == 0

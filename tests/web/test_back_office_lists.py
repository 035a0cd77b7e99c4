"""Back-office pages pick rooms and KOLs by name and page their lists (issue 18, §4), at
phone and desktop sizes: the merchant console's rooms (newest first, live ones marked,
20 a page, the API's total, each linking to its report), the dashboard's rooms found by
title, the campaign page's link builder with a room picked by title, and the regulator's
penalties and inspections 20 a page with the API's total as the count.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import pytest
from playwright.sync_api import Page, ViewportSize, expect

from liveshop.accounts.models import Role, User
from liveshop.core.clock import utcnow
from liveshop.core.db import unit_of_work
from liveshop.governance.config import ModerationSettings
from liveshop.governance.inspections import sample_inspections
from liveshop.governance.models import InspectionTarget, PenaltyKind, SubjectType
from liveshop.governance.penalties import ActionRequest, impose_penalty
from liveshop.live import service as live

if TYPE_CHECKING:
    from tests.web.conftest import LiveServer
    from tests.web.conftest import PageOpener as NewPage

pytestmark = pytest.mark.browser

SIZES: dict[str, ViewportSize] = {
    "phone": {"width": 390, "height": 844},
    "desktop": {"width": 1280, "height": 800},
}
ROOMS = 25  # two pages of the merchant's rooms
RECORDS = 27  # two pages of penalties, of inspections
RECORD_DAY = datetime(2026, 2, 7, 9, 0, tzinfo=UTC)  # a day with nothing else on it


@pytest.fixture(scope="module")
def shop_rooms(server: LiveServer) -> dict[str, Any]:
    """A merchant's product on the shelves of 25 rooms of a host acting for the shop: the
    newest live, the others ended; and a room of another host that shelves nothing of it."""
    host, merchant, product, live_room = server.selling_room(
        title="第 1 场", product={"title": "手工皂", "price": 1_900, "stock": 50}
    )
    rooms = [live_room]
    with unit_of_work(server.database_url) as session:
        live.end_room(session, actor=host, room_id=live_room)
    for number in range(2, ROOMS + 1):
        room_id = server.create_room(host, title=f"第 {number} 场", start=True)
        server.api(host, "PUT", f"/api/rooms/{room_id}/shelf", {"product_ids": [product["id"]]})
        if number < ROOMS:
            with unit_of_work(server.database_url) as session:
                live.end_room(session, actor=host, room_id=room_id)
        rooms.append(room_id)
    stranger = server.create_user(server.unique("otherhost"), Role.HOST)
    server.create_room(stranger, title="别家的第 9 场", start=True)
    return {"host": host, "merchant": merchant, "product": product, "rooms": rooms}


def _open(new_page: NewPage, user: User, path: str, size: str) -> Page:
    page = new_page(user, "/")
    page.set_viewport_size(SIZES[size])
    page.goto(path)
    return page


def _fits(page: Page) -> None:
    width, viewport = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert width <= viewport, f"the page is {width} px wide in a {viewport} px viewport"


@pytest.mark.parametrize("size", list(SIZES))
def test_the_merchant_console_lists_the_shops_rooms_a_page_at_a_time(
    server: LiveServer, new_page: NewPage, shop_rooms: dict[str, Any], size: str
) -> None:
    merchant, rooms = shop_rooms["merchant"], shop_rooms["rooms"]
    page = _open(new_page, merchant, "/merchant", size)
    rows = page.locator("#shop-rooms tbody tr")
    expect(rows).to_have_count(20)
    api = server.api(merchant, "GET", "/api/analytics/rooms?per_page=20")
    assert api["total"] == ROOMS
    expect(page.locator("#shop-rooms-total")).to_have_text(str(api["total"]))
    newest = rows.first
    expect(newest).to_have_attribute("data-room-id", str(rooms[-1]))  # newest first
    expect(newest.locator(".room-title")).to_have_text(f"第 {ROOMS} 场")
    expect(newest.locator(".room-status")).to_have_text("直播中")
    expect(rows.nth(1).locator(".room-status")).to_have_text("已结束")
    expect(newest.locator(".room-started")).not_to_have_text("未开播")
    assert "别家" not in page.locator("#shop-rooms").inner_text()
    _fits(page)
    page.locator("#rooms-pager .pager-next").click()
    expect(page.locator("#rooms-pager .pager-label")).to_have_text("第 2 / 2 页")
    expect(rows).to_have_count(ROOMS - 20)
    expect(rows.last).to_have_attribute("data-room-id", str(rooms[0]))  # the oldest, last
    rows.last.locator("a.room-report").click()
    expect(page).to_have_url(f"{server.base_url}/dashboard/rooms/{rooms[0]}")
    expect(page.locator("#room-title")).to_have_text("第 1 场")
    expect(page.locator("#live-status")).to_have_text("已结束")
    assert new_page.errors[page] == []


@pytest.mark.parametrize("size", list(SIZES))
def test_the_dashboard_finds_rooms_by_title(
    server: LiveServer, new_page: NewPage, shop_rooms: dict[str, Any], size: str
) -> None:
    host, rooms = shop_rooms["host"], shop_rooms["rooms"]
    page = _open(new_page, host, "/dashboard", size)
    lines = page.locator("#room-list li")
    expect(lines).to_have_count(10)
    expect(lines.first).to_have_attribute("data-room-id", str(rooms[-1]))
    expect(lines.first.locator(".room-status")).to_have_text("直播中")
    expect(page.locator("#rooms-pager .pager-label")).to_have_text("第 1 / 3 页")
    page.fill("#room-search", "第 1")  # 第 1 场 and 第 10 … 19 场
    expect(lines).to_have_count(10)
    expect(page.locator("#rooms-pager .pager-label")).to_have_text("第 1 / 2 页")
    page.fill("#room-search", "第 7 场")
    expect(lines).to_have_count(1)
    expect(lines.first.locator("a")).to_have_text("第 7 场")
    expect(lines.first.locator(".room-status")).to_have_text("已结束")
    page.fill("#room-search", "没有这一场")
    expect(page.locator("#rooms-empty")).to_be_visible()
    expect(lines).to_have_count(0)
    _fits(page)
    assert new_page.errors[page] == []


@pytest.mark.parametrize("size", list(SIZES))
def test_the_link_builder_picks_the_room_by_title(
    server: LiveServer, new_page: NewPage, shop_rooms: dict[str, Any], size: str
) -> None:
    merchant, rooms = shop_rooms["merchant"], shop_rooms["rooms"]
    now = utcnow()
    campaign = server.api(
        merchant,
        "POST",
        "/api/campaigns",
        {
            "name": f"开学季 {size}",
            "channels": ["douyin"],
            "budget": 50_000,
            "starts_at": (now - timedelta(days=1)).isoformat(),
            "ends_at": (now + timedelta(days=10)).isoformat(),
        },
        expect=201,
    )
    page = _open(new_page, merchant, f"/campaigns/{campaign['id']}", size)
    expect(page.locator("#target-select option")).to_have_count(ROOMS + 1)
    page.fill("#target-search", f"第 {ROOMS} 场")
    expect(page.locator("#target-select option:checked")).to_have_text(f"第 {ROOMS} 场 · 直播中")
    page.click("#link-form button[type=submit]")
    card = page.locator("#link-list .link-card")
    expect(card).to_have_count(1)
    expect(card.first).to_contain_text(f"抖音 → 直播间 第 {ROOMS} 场")
    links = server.api(merchant, "GET", f"/api/campaigns/{campaign['id']}/links")
    assert [link["target"] for link in links] == [f"room:{rooms[-1]}"]
    page.reload()  # the server's card says the same
    expect(page.locator("#link-list .link-card").first).to_contain_text(
        f"抖音 → 直播间 第 {ROOMS} 场"
    )
    _fits(page)
    assert new_page.errors[page] == []


@pytest.fixture(scope="module")
def records(server: LiveServer, shop_rooms: dict[str, Any]) -> User:
    """27 warnings and 27 product inspections on RECORD_DAY; the regulator."""
    moderator = server.create_user(server.unique("moderator"), Role.MODERATOR)
    subject = server.create_user(server.unique("warned"))
    settings = ModerationSettings(points_window_days=30, appeal_days=7, claim_minutes=30)
    with unit_of_work(server.database_url) as session:
        for index in range(RECORDS):
            request = ActionRequest(
                PenaltyKind.WARNING,
                "直播中使用不文明用语",
                subject_type=SubjectType.USER,
                subject_id=subject.id,
                points=0,
            )
            impose_penalty(
                session,
                moderator=session.get_one(User, moderator.id),
                request=request,
                settings=settings,
                now=RECORD_DAY + timedelta(minutes=index),
            )
        sampled = 0
        while sampled < RECORDS:
            drawn = sample_inspections(
                session,
                of=InspectionTarget.PRODUCT,
                rate=Decimal(1),
                seed=f"s{sampled}",
                now=RECORD_DAY + timedelta(minutes=sampled),
            )
            assert drawn
            sampled += len(drawn)
    return server.create_user(server.unique("regulator"), Role.REGULATOR)


@pytest.mark.parametrize("size", list(SIZES))
@pytest.mark.parametrize("name", ["penalties", "inspections"])
def test_the_regulators_records_page_with_the_apis_total(
    server: LiveServer, new_page: NewPage, records: User, size: str, name: str
) -> None:
    page = _open(new_page, records, "/regulator", size)
    page.fill("#range-start", "2026-02-07")
    page.fill("#range-end", "2026-02-07")
    page.click("#range-apply")
    window = "start=2026-02-07T00:00:00Z&end=2026-02-08T00:00:00Z"
    api = server.api(records, "GET", f"/api/regulator/{name}?{window}&limit=1")
    assert api["total"] >= RECORDS
    rows = page.locator(f"#{name} tbody tr")
    expect(page.locator(f"#{name}-count")).to_have_text(f"共 {api['total']} 条")
    expect(rows).to_have_count(20)
    pages = -(-api["total"] // 20)
    expect(page.locator(f"#{name}-pager .pager-label")).to_have_text(f"第 1 / {pages} 页")
    first_ids = [row.get_attribute("data-id") for row in rows.all()]
    page.locator(f"#{name}-pager .pager-next").click()
    expect(page.locator(f"#{name}-pager .pager-label")).to_have_text(f"第 2 / {pages} 页")
    expect(rows).to_have_count(min(20, api["total"] - 20))
    second_ids = [row.get_attribute("data-id") for row in rows.all()]
    assert not set(first_ids) & set(second_ids)
    page.locator(f"#{name}-pager .pager-prev").click()
    expect(rows.first).to_have_attribute("data-id", str(first_ids[0]))
    _fits(page)
    page.fill("#range-start", "2026-02-09")  # after the end: told in words, not the API's code
    page.click("#range-apply")
    expect(page.locator("#regulator-error")).to_have_text("结束日期不能早于开始日期")
    assert new_page.errors[page] == []

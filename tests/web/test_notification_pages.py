"""Notifications in the browser: a follower's open page hears the host go live (the
fan-out job writes the notice, the stream pushes it), the centre lists it and marks
it read; a scheduled room takes a reminder from its page."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from playwright.sync_api import expect

from liveshop.accounts.models import Role

if TYPE_CHECKING:
    from tests.web.conftest import LiveServer
    from tests.web.conftest import PageOpener as NewPage

pytestmark = pytest.mark.browser

SERVER_ENVIRONMENT = {"LIVESHOP_NOTIFICATION_JOBS_SECONDS": "0.5"}
PHONE = {"width": 390, "height": 844}


def test_a_follower_sees_the_host_go_live_on_an_open_page(
    server: LiveServer, new_page: NewPage
) -> None:
    host = server.create_user(server.unique("host"), Role.HOST)
    fan = server.create_user(server.unique("fan"), Role.VIEWER)
    room_id = server.create_room(host, title="晚八点上新", start=False)

    page = new_page(fan, f"/rooms/{room_id}")
    page.set_viewport_size(PHONE)
    page.locator("#follow-host").click()
    expect(page.locator("#follow-host")).to_have_text("已关注")
    page.locator("#remind-room").click()
    expect(page.locator("#remind-room")).to_have_text("已预约")
    follows = server.api(fan, "GET", "/api/me/follows")
    assert (follows["hosts"], follows["rooms"]) == ([host.id], [room_id])

    page.goto("/notifications")
    expect(page.locator("html")).to_have_attribute("data-notifications", "open")
    expect(page.locator("#unread-badge")).to_be_hidden()
    server.api(host, "POST", f"/api/rooms/{room_id}/start")

    expect(page.locator("#toast")).to_have_text(f"{host.username} 开播了")
    expect(page.locator("#unread-badge")).to_have_text("1")
    notice = page.locator("#notice-list .notice.is-unread")
    expect(notice).to_have_count(1)
    expect(notice).to_contain_text("晚八点上新")
    notice.click()
    page.wait_for_url(f"**/rooms/{room_id}")
    assert server.api(fan, "GET", "/api/notifications")["unread"] == 0
    page.goto("/notifications")
    expect(page.locator("#notice-list .notice")).to_have_count(1)
    expect(page.locator("#notice-list .notice.is-unread")).to_have_count(0)
    overflow = page.evaluate(
        "document.scrollingElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow == 0
    assert new_page.errors[page] == []


def test_preferences_are_saved_from_the_centre(server: LiveServer, new_page: NewPage) -> None:
    viewer = server.create_user(server.unique("prefs"), Role.VIEWER)
    page = new_page(viewer, "/notifications")
    page.locator("#pref-email").fill("me@example.com")
    page.locator('tr[data-kind="order_shipped"] input[name="email"]').check()
    page.locator('tr[data-kind="coupon_expiring"] input[name="in_app"]').uncheck()
    page.locator("#save-preferences").click()
    expect(page.locator("#toast")).to_have_text("已保存")
    saved = server.api(viewer, "GET", "/api/notifications/preferences")
    assert saved["email"] == "me@example.com"
    assert saved["kinds"]["order_shipped"] == {"in_app": True, "email": True}
    assert saved["kinds"]["coupon_expiring"] == {"in_app": False, "email": False}

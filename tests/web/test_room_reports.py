"""举报 in the room (issue 18 §5): a viewer taps someone's chat line (or the room's 举报
button), picks a reason in Chinese, sees that the report went in, and the moderator finds it
in the moderation queue with its reason in Chinese; at phone and desktop sizes."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

import pytest
from playwright.sync_api import Page, expect

from liveshop.accounts.models import Role

if TYPE_CHECKING:
    from tests.web.conftest import LiveServer
    from tests.web.conftest import PageOpener as NewPage

pytestmark = pytest.mark.browser

SIZES = {"phone": {"width": 390, "height": 844}, "desktop": {"width": 1280, "height": 800}}


def _room_page(new_page: NewPage, user: object, room_id: int, size: str) -> Page:
    page = new_page(user, "/")  # type: ignore[arg-type]
    page.set_viewport_size(SIZES[size])
    page.goto(f"/rooms/{room_id}")
    expect(page.locator("#conn")).to_have_attribute("data-state", "open")
    return page


def _report(page: Page, reason: str) -> None:
    sheet = page.locator("#report-sheet")
    expect(sheet).to_be_visible()
    sheet.get_by_text(reason, exact=True).click()
    page.locator("#report-send").click()
    expect(page.locator("#report-done")).to_be_visible()
    expect(page.locator("#report-done")).to_contain_text("举报已提交")
    page.locator("#report-close").click()
    expect(sheet).to_be_hidden()


@pytest.mark.parametrize("size", list(SIZES))
def test_a_viewer_reports_a_comment_and_the_room_and_the_moderator_sees_both(
    server: LiveServer, new_page: NewPage, size: str
) -> None:
    host = server.create_user(server.unique("host"), Role.HOST)
    troll = server.create_user(server.unique("troll"))
    viewer = server.create_user(server.unique("viewer"))
    moderator = server.create_user(server.unique("mod"), Role.MODERATOR)
    room_id = server.create_room(host, title="举报测试", start=True)
    insult = f"你们都是傻子{room_id}"

    troll_page = _room_page(new_page, troll, room_id, size)
    troll_page.fill("#chat-input", insult)
    troll_page.press("#chat-input", "Enter")
    page = _room_page(new_page, viewer, room_id, size)
    line = page.locator("#chat-list .chat-line", has_text=insult)
    line.click()
    expect(page.locator("#report-subject")).to_contain_text(insult)
    reasons = page.locator("#report-reasons .report-reason").all_text_contents()
    assert "辱骂攻击" in reasons
    assert all("_" not in reason for reason in reasons), reasons  # labels, not codes
    _report(page, "辱骂攻击")

    page.locator("#report-room").click()
    expect(page.locator("#report-subject")).to_contain_text("举报测试")
    _report(page, "虚假宣传")
    assert new_page.errors[page] == []

    queue = new_page(moderator, "/moderation")
    queue.set_viewport_size(SIZES[size])
    cards = queue.locator(".report-card")
    comment_card = cards.filter(has_text=insult)
    expect(comment_card).to_have_count(1)
    expect(comment_card).to_contain_text("评论")
    expect(comment_card).to_contain_text("辱骂")
    expect(comment_card.locator(".report-head strong").first).to_have_text(
        re.compile(r"^#\d+ 评论$")  # not the comment's 63-bit id
    )
    shown = comment_card.inner_text()
    assert not re.search(r"\b(abuse|comment|open|[a-z]+_[a-z]+)\b", shown), shown  # no codes
    room_card = cards.filter(has_text=f"直播间 {room_id}")
    expect(room_card).to_have_count(1)
    expect(room_card).to_contain_text("虚假宣传")

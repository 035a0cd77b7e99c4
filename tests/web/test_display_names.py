"""Display names (昵称, issue 18 §2): a buyer with a Latin username is masked from the
name they chose to be seen by (小鱼儿 -> 小**), not from the username (f**). Chosen at
sign-up or on the account page, checked by the text filter, at phone and desktop sizes."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from playwright.sync_api import expect

from tests.web.conftest import SAVED_CARD

if TYPE_CHECKING:
    from tests.web.conftest import LiveServer, OpenPage

pytestmark = pytest.mark.browser
ADDRESS = {"recipient": "林晓", "phone": "13900000000", "region": "杭州市", "line": "文三路 1 号"}


@pytest.mark.parametrize("size", ["phone", "desktop"])
def test_a_buyer_shows_as_their_display_name_masked(
    server: LiveServer, open_page: OpenPage, size: str
) -> None:
    *_, room_id = server.selling_room(
        title="围巾专场", product={"title": "围巾", "price": 5900, "stock": 5}
    )
    buyer = server.create_user(server.unique("fan_"))
    server.api(buyer, "PUT", "/api/auth/me/display-name", {"display_name": "小鱼儿"})
    server.api(buyer, "POST", "/api/addresses", ADDRESS | {"is_default": True}, expect=201)
    server.api(buyer, "POST", "/api/payment-methods", SAVED_CARD, expect=201)
    watcher = server.create_user(server.unique("watcher"))

    page = open_page(watcher, f"/rooms/{room_id}", locale="zh-CN", size=size)
    expect(page.locator("#conn")).to_have_attribute("data-state", "open")
    buying = open_page(buyer, f"/rooms/{room_id}", locale="zh-CN", size=size)
    expect(buying.locator("#conn")).to_have_attribute("data-state", "open")
    buying.fill("#chat-input", "围巾有几种颜色")
    buying.locator("#chat-input").press("Enter")
    buying.click("#buy-btn")
    buying.locator("#order-sheet #pay-submit").click()
    expect(buying.locator("#pay-result-text")).to_have_text("支付成功")

    purchase = page.locator("#chat-list .chat-line.kind-purchase")
    expect(purchase).to_contain_text("小** 刚刚买了 围巾")
    said = page.locator("#chat-list .chat-line", has_text="围巾有几种颜色")
    expect(said.locator(".user")).to_have_text("小鱼儿")  # the chat shows the chosen name
    assert buyer.username not in page.locator("#room").inner_text()


@pytest.mark.parametrize("size", ["phone", "desktop"])
def test_a_display_name_chosen_at_sign_up_and_changed_on_the_account_page(
    server: LiveServer, open_page: OpenPage, size: str
) -> None:
    username = server.unique("newfan")
    page = open_page(None, "/register", locale="zh-CN", size=size)
    page.fill("#username", username)
    page.fill("#display-name", "加微信abc12345")  # the filter's: contact off the platform
    page.fill("#password", server.password)
    page.click("#submit-btn")
    expect(page.locator("#form-error")).to_have_text("这个昵称不能使用，请换一个")
    page.fill("#display-name", "  林晓雨 ")
    page.fill("#password", server.password)
    page.click("#submit-btn")
    page.wait_for_url(lambda url: "/register" not in url)

    page.goto("/account/security")
    name = page.locator("#display-name-input")
    expect(name).to_have_value("林晓雨")
    save = page.locator("#display-name-save")
    expect(save).to_be_enabled()
    name.fill("小鱼儿")
    save.click()
    expect(page.locator("#toast")).to_have_text("昵称已保存")
    name.fill("操你妈")
    save.click()
    expect(page.locator("#display-name-error")).to_have_text("这个昵称不能使用，请换一个")
    name.fill("")
    save.click()
    expect(page.locator("#toast")).to_have_text("已清除昵称，将显示用户名")
    page.reload()
    expect(page.locator("#display-name-input")).to_have_value("")

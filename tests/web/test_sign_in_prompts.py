"""Signed-out buying says why it asks for a login and comes back to the room; the site has
a favicon (issue 18 §2). In Chromium at a phone's and a desktop's size."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

import httpx
import pytest
from playwright.sync_api import expect

if TYPE_CHECKING:
    from tests.web.conftest import LiveServer
    from tests.web.conftest import PageOpener as NewPage

pytestmark = pytest.mark.browser
SIZES = [{"width": 390, "height": 844}, {"width": 1280, "height": 800}]


@pytest.mark.parametrize("size", SIZES, ids=["phone", "desktop"])
def test_buy_while_signed_out_explains_the_login_and_returns_to_the_room(
    server: LiveServer, new_page: NewPage, size: dict[str, int]
) -> None:
    *_, room_id = server.selling_room(
        title="围巾专场", product={"title": "围巾", "price": 5990, "stock": 5}
    )
    buyer = server.create_user(server.unique("buyer"))

    page = new_page(None, f"/rooms/{room_id}")
    page.set_viewport_size(size)
    page.click("#buy-btn")
    expect(page).to_have_url(re.compile(r"/login\?"))
    expect(page.locator("#login-reason")).to_contain_text("登录后")
    page.fill("#username", buyer.username)
    page.fill("#password", server.password)
    page.click("#submit-btn")
    expect(page).to_have_url(f"{server.base_url}/rooms/{room_id}")
    icon = page.locator("link[rel=icon]").get_attribute("href")
    assert icon
    response = httpx.get(f"{server.base_url}{icon}", timeout=10)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("image/svg+xml")
    assert new_page.errors[page] == []


def test_sign_up_lands_on_a_welcome_with_a_next_step(server: LiveServer, new_page: NewPage) -> None:
    page = new_page(None, "/register")
    page.set_viewport_size(SIZES[0])
    page.fill("#username", server.unique("newcomer"))
    page.fill("#password", server.password)
    page.click("#submit-btn")
    expect(page).to_have_url(f"{server.base_url}/")
    welcome = page.locator("#welcome")
    expect(welcome).to_contain_text("欢迎")
    expect(welcome.locator("a")).not_to_have_count(0)  # a next step to take
    page.reload()
    expect(page.locator("#welcome")).to_have_count(0)  # once, not on every visit

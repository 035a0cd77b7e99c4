"""A purchase line in the room names the buyer as other viewers may see them (issue 18 §2):
the first character of their name and ** (张** for 张三丰…), never the whole name; at phone
and desktop sizes."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from playwright.sync_api import expect

from tests.web.conftest import SAVED_CARD

if TYPE_CHECKING:
    from tests.web.conftest import LiveServer
    from tests.web.conftest import PageOpener as NewPage

pytestmark = pytest.mark.browser
ADDRESS = {"recipient": "张三", "phone": "13900000000", "region": "杭州市", "line": "文三路 1 号"}


@pytest.mark.parametrize("size", [(390, 844), (1280, 800)], ids=["phone", "desktop"])
def test_another_viewer_sees_the_buyer_masked(
    server: LiveServer, new_page: NewPage, size: tuple[int, int]
) -> None:
    *_, room_id = server.selling_room(
        title="围巾专场", product={"title": "围巾", "price": 5900, "stock": 5}
    )
    buyer = server.create_user(server.unique("张三丰"))
    server.api(buyer, "POST", "/api/addresses", ADDRESS | {"is_default": True}, expect=201)
    server.api(buyer, "POST", "/api/payment-methods", SAVED_CARD, expect=201)
    watcher = server.create_user(server.unique("watcher"))

    viewport = {"width": size[0], "height": size[1]}
    page = new_page(watcher, f"/rooms/{room_id}")
    page.set_viewport_size(viewport)
    expect(page.locator("#conn")).to_have_attribute("data-state", "open")
    buying = new_page(buyer, f"/rooms/{room_id}")
    buying.set_viewport_size(viewport)
    expect(buying.locator("#conn")).to_have_attribute("data-state", "open")
    buying.click("#buy-btn")
    buying.locator("#order-sheet #pay-submit").click()
    expect(buying.locator("#pay-result-text")).to_have_text("支付成功")

    line = page.locator("#chat-list .chat-line.kind-purchase")
    expect(line).to_contain_text("张** 刚刚买了 围巾")
    assert buyer.username not in page.locator("#room").inner_text()

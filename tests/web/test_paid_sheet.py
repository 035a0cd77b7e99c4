"""After paying in the room, the order sheet says it is paid (issue 18 §3): its heading is
支付成功, the 'kept until the payment deadline' note is gone, and 实付 appears once; the
wallet page says that card payments are not in its history and where to find them."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from playwright.sync_api import expect

if TYPE_CHECKING:
    from tests.web.conftest import LiveServer
    from tests.web.conftest import PageOpener as NewPage

pytestmark = pytest.mark.browser
ADDRESS = {"recipient": "李四", "phone": "13900000000", "region": "上海市", "line": "世纪大道 1 号"}


@pytest.mark.parametrize("size", [(390, 844), (1280, 800)], ids=["phone", "desktop"])
def test_the_order_sheet_says_paid_after_paying(
    server: LiveServer, new_page: NewPage, size: tuple[int, int]
) -> None:
    *_, room_id = server.selling_room(
        title="手套专场", product={"title": "手套", "price": 3900, "stock": 5}
    )
    buyer = server.create_user(server.unique("sheetbuyer"))
    server.api(buyer, "POST", "/api/addresses", ADDRESS | {"is_default": True}, expect=201)
    card = {
        "card_number": "4242424242424242",
        "exp_month": 12,
        "exp_year": 2034,
        "cvc": "123",
        "save_consent": True,
    }
    server.api(buyer, "POST", "/api/payment-methods", card, expect=201)

    page = new_page(buyer, f"/rooms/{room_id}")
    page.set_viewport_size({"width": size[0], "height": size[1]})
    expect(page.locator("#conn")).to_have_attribute("data-state", "open")
    page.click("#buy-btn")
    sheet = page.locator("#order-sheet")
    expect(sheet.locator("#order-sheet-title")).to_have_text("订单已提交")
    expect(sheet.locator("#order-sheet-hold")).to_be_visible()
    sheet.locator("#pay-submit").click()
    expect(sheet.locator("#pay-result-text")).to_have_text("支付成功")
    expect(sheet.locator("#order-sheet-title")).to_have_text("支付成功")
    expect(sheet.locator("#order-sheet-hold")).to_be_hidden()
    shown = sheet.evaluate("(node) => node.innerText")
    assert shown.count("实付") == 1, shown
    # The card payment is not in the wallet's history: the wallet page says where it is.
    page.goto("/wallet")
    expect(page.locator("#history-scope")).to_contain_text("银行卡")
    expect(page.locator("#history-scope a")).to_have_attribute("href", "/orders")
    assert new_page.errors[page] == []

"""The pay sheet keeps a card only when the buyer ticks 保存此卡以便下次使用 (issue 18 §3):
unticked (the default) the card pays this order and is not listed afterwards; ticked it is
saved and the privacy page shows the stored_cards consent as given."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from playwright.sync_api import expect

if TYPE_CHECKING:
    from playwright.sync_api import Page

    from tests.web.conftest import LiveServer
    from tests.web.conftest import PageOpener as NewPage

pytestmark = pytest.mark.browser
ADDRESS = {"recipient": "李四", "phone": "13900000000", "region": "上海市", "line": "世纪大道 1 号"}
SIZES = {"phone": {"width": 390, "height": 844}, "desktop": {"width": 1280, "height": 800}}


def _pay_with_a_new_card(page: Page, *, keep: bool) -> None:
    expect(page.locator("#conn")).to_have_attribute("data-state", "open")
    page.click("#buy-btn")
    sheet = page.locator("#order-sheet")
    expect(sheet.locator("#pay-card-form")).to_be_visible(timeout=15_000)  # no saved card yet
    expect(sheet.locator("#pay-card-keep")).not_to_be_checked()  # unticked by default
    sheet.locator("#pay-card-number").fill("4242 4242 4242 4242")
    sheet.locator("#pay-card-expiry").fill("12/34")
    sheet.locator("#pay-card-cvc").fill("123")
    if keep:
        sheet.locator("#pay-card-keep").check()
    sheet.locator("#pay-card-save").click()
    expect(sheet.locator("#pay-card-form")).to_be_hidden()
    expect(sheet.locator(".pay-method.method-card input")).to_be_checked()
    sheet.locator("#pay-submit").click()
    expect(sheet.locator("#pay-result-text")).to_have_text("支付成功")


@pytest.mark.parametrize("size", ["phone", "desktop"])
@pytest.mark.parametrize("keep", [False, True], ids=["once", "saved"])
def test_the_pay_sheet_saves_a_card_only_when_ticked(
    server: LiveServer, new_page: NewPage, size: str, keep: bool
) -> None:
    *_, room_id = server.selling_room(
        title="围巾专场", product={"title": "围巾", "price": 5900, "stock": 5}
    )
    buyer = server.create_user(server.unique("cardbuyer"))
    server.api(buyer, "POST", "/api/addresses", ADDRESS | {"is_default": True}, expect=201)
    page = new_page(buyer, f"/rooms/{room_id}")
    page.set_viewport_size(SIZES[size])

    _pay_with_a_new_card(page, keep=keep)

    listed = server.api(buyer, "GET", "/api/payment-methods")
    assert [card["last4"] for card in listed] == (["4242"] if keep else [])
    page.goto("/account/privacy")
    row = page.locator("tr.consent[data-purpose='stored_cards']")
    expect(row.locator(".consent-state")).to_have_text("已同意" if keep else "未同意")
    assert new_page.errors[page] == []

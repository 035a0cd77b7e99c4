"""Money in the browser: the wallet and a coin top-up, a gift and its animation, paying in
the room's sheet (default card, a challenge card, the third-party wallet's page), a red
packet dropped and grabbed, earnings, and the TOTP enrolment page.

Set LIVESHOP_SCREENSHOT_DIR to keep screenshots of the pages.
"""

from __future__ import annotations

import os
import re
import time
import uuid
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pyotp
import pytest
from playwright.sync_api import Page, expect

from liveshop.accounts.models import Role, User
from liveshop.core.db import unit_of_work
from liveshop.payments.models import OwnerType
from liveshop.payments.settlement import payouts_report
from tests.web.conftest import expect_image_loaded

if TYPE_CHECKING:
    from tests.web.conftest import LiveServer
    from tests.web.conftest import PageOpener as NewPage

pytestmark = pytest.mark.browser

ADDRESS = {
    "recipient": "李四",
    "phone": "13900000000",
    "region": "上海市 浦东新区",
    "line": "世纪大道 1 号",
}
SUCCESS_CARD = "4242424242424242"
CHALLENGE_CARD = "4000 0027 6000 3184"
HOSTILE = '<img src=x onerror="alert(1)">'


def _wait_connected(page: Page) -> None:
    expect(page.locator("#conn")).to_have_attribute("data-state", "open")


def _screenshot(page: Page, name: str) -> None:
    folder = os.environ.get("LIVESHOP_SCREENSHOT_DIR")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.wait_for_timeout(400)  # let sheets and animations get going
        page.screenshot(path=str(Path(folder) / f"{name}.png"))


def _key() -> dict[str, str]:
    return {"Idempotency-Key": uuid.uuid4().hex}


def _add_card(server: LiveServer, user: User, number: str = SUCCESS_CARD) -> dict[str, Any]:
    card: dict[str, Any] = server.api(
        user,
        "POST",
        "/api/payment-methods",
        {
            "card_number": number,
            "exp_month": 12,
            "exp_year": 2034,
            "cvc": "123",
            "save_consent": True,
        },
        expect=201,
    )
    return card


def _top_up_wallet(server: LiveServer, user: User, amount: int) -> None:
    card = _add_card(server, user)
    body = {"kind": "wallet", "amount": amount, "method": "card", "payment_method_id": card["id"]}
    payment = server.api(user, "POST", "/api/top-ups", body, expect=201, headers=_key())
    assert payment["status"] == "succeeded"


def _balances(server: LiveServer, user: User) -> dict[str, int]:
    balances: dict[str, int] = server.api(user, "GET", "/api/wallet")
    return balances


def _fill_card(page: Page, number: str) -> None:
    page.fill("#pay-card-number", number)
    page.fill("#pay-card-expiry", "12/34")
    page.fill("#pay-card-cvc", "123")
    page.check("#pay-card-keep")  # kept for next time (the stored_cards consent)
    page.click("#pay-card-save")


def _selling_room(server: LiveServer, *, price: int, stock: int) -> tuple[User, int, int]:
    """A merchant's product pinned in a live room: (merchant, shop id, room id)."""
    host = server.create_user(server.unique("mhost"), Role.HOST)
    merchant = server.create_user(server.unique("mmerchant"), Role.MERCHANT)
    product = server.create_product(
        merchant, title="真丝围巾", skus=[{"options": {}, "price": price, "stock": stock}]
    )
    room_id = server.create_room(host, title="围巾专场", start=True)
    server.api(host, "PUT", f"/api/rooms/{room_id}/pinned", {"product_id": product["id"]})
    return merchant, product["shop_id"], room_id


def _buyer(server: LiveServer) -> User:
    buyer = server.create_user(server.unique("payer"))
    server.api(buyer, "POST", "/api/addresses", ADDRESS | {"is_default": True}, expect=201)
    return buyer


def _orders(server: LiveServer, user: User) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = server.api(user, "GET", "/api/orders?scope=mine")
    return found


def _order_statuses_within(
    server: LiveServer, user: User, wanted: list[str], seconds: float = 15.0
) -> list[str]:
    """The user's order statuses once they are ``wanted``, or as they are after ``seconds``."""
    deadline = time.monotonic() + seconds
    while True:
        statuses = [order["status"] for order in _orders(server, user)]
        if statuses == wanted or time.monotonic() > deadline:
            return statuses
        time.sleep(0.2)


def test_a_viewer_tops_up_coins_with_a_test_card_and_sends_a_gift_that_plays_in_the_room(
    server: LiveServer, new_page: NewPage
) -> None:
    host = server.create_user(server.unique("ghost"), Role.HOST)
    room_id = server.create_room(host, title="唱歌直播", start=True)
    viewer = server.create_user(server.unique("fan"))
    watcher = server.create_user(server.unique("watcher"))

    page = new_page(viewer, "/wallet")
    expect(page.locator("#balance-wallet")).to_have_text("¥0.00")
    expect(page.locator("#balance-coins")).to_have_text("0")
    expect(page.locator("#history-empty")).to_be_visible()
    page.locator(".topup-preset", has_text="300 金币").click()
    expect(page.locator("#topup-price")).to_have_text("购买 300 金币，需支付 ¥30.00")
    page.click("#topup-submit")
    sheet = page.locator("#pay-sheet")
    expect(sheet).to_be_visible()
    expect(sheet.locator("#pay-amount")).to_have_text("¥30.00")
    # No saved card yet: the form is open; the wallet (empty) cannot pay.
    expect(sheet.locator("#pay-card-form")).to_be_visible()
    expect(sheet.locator('.pay-method[data-method="wallet"] input')).to_be_disabled()
    _fill_card(page, "4242 4242 4242 4242")
    card = sheet.locator(".pay-method.method-card")
    expect(card).to_have_count(1)
    expect(card.locator(".pay-method-title")).to_have_text("Visa •••• 4242")
    expect(card.locator(".tag")).to_have_text("默认")
    expect(card.locator("input")).to_be_checked()
    expect(sheet.locator("#pay-card-number")).to_have_value("")  # the number does not linger
    page.click("#pay-submit")
    expect(sheet.locator("#pay-result-text")).to_have_text("支付成功")
    expect(page.locator("#balance-coins")).to_have_text("300")
    rows = page.locator("#history tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first.locator("td").nth(2)).to_have_text("充值")
    expect(rows.first.locator("td").nth(4)).to_have_text("+300 金币")
    assert _balances(server, viewer) == {"wallet": 0, "coins": 300, "host_earnings": 0}
    _screenshot(page, "wallet-after-top-up")

    other = new_page(watcher, f"/rooms/{room_id}")
    page.goto(f"/rooms/{room_id}")
    _wait_connected(page)
    _wait_connected(other)
    page.click("#gift-btn")
    gifts = page.locator("#gift-sheet")
    expect(gifts).to_be_visible()
    expect(gifts.locator("#gift-coins")).to_have_text("300")
    expect(gifts.locator(".gift-item .gift-name")).to_have_text(
        ["小心心", "玫瑰", "荧光棒", "蛋糕", "跑车", "火箭", "嘉年华"]
    )
    gifts.locator('.gift-item[data-gift="cake"]').click()
    gifts.locator('#gift-counts [data-count="10"]').click()
    expect(gifts.locator("#gift-cost")).to_have_text("共 990 金币，金币不足")
    gifts.locator('#gift-counts [data-count="1"]').click()
    expect(gifts.locator("#gift-cost")).to_have_text("共 99 金币")
    gifts.locator("#gift-send").click()
    expect(gifts.locator("#gift-coins")).to_have_text("201")

    # Everyone in the room sees the animation (burst for a cake) and the gift line.
    for viewer_page in (page, other):
        animation = viewer_page.locator('#gift-layer .gift-anim[data-gift="cake"]')
        expect(animation).to_have_count(1)
        expect(animation).to_have_class(re.compile(r"\banim-burst\b"))
        line = viewer_page.locator("#chat-list .chat-line.kind-gift")
        expect(line.locator(".text")).to_have_text(f"{viewer.username} 送出 蛋糕 x1")
    _screenshot(other, "room-gift-animation")
    # The animation ends and removes itself.
    expect(other.locator("#gift-layer .gift-anim")).to_have_count(0, timeout=6000)
    assert _balances(server, viewer)["coins"] == 201
    assert _balances(server, host)["host_earnings"] == 99 * 10 // 2

    # The host's earnings page lists the gift.
    earnings = new_page(host, "/earnings")
    expect(earnings.locator("#host-earnings")).to_have_text("¥4.95")
    expect(earnings.locator("#gift-earnings")).to_have_text("¥4.95")
    expect(earnings.locator("#earnings-history tbody tr")).to_have_count(1)
    expect(earnings.locator("#earnings-history tbody tr td").nth(1)).to_have_text("礼物")
    assert not new_page.errors[page]
    assert not new_page.errors[other]


def test_a_buyer_pays_the_pinned_product_with_the_default_card_then_with_a_challenge_card(
    server: LiveServer, new_page: NewPage
) -> None:
    merchant, shop_id, room_id = _selling_room(server, price=12900, stock=5)
    buyer = _buyer(server)
    _add_card(server, buyer, "5555555555554444")  # a second card, not the default
    _add_card(server, buyer)
    cards = server.api(buyer, "GET", "/api/payment-methods")
    visa = next(card for card in cards if card["last4"] == "4242")
    server.api(buyer, "POST", f"/api/payment-methods/{visa['id']}/default")

    page = new_page(buyer, f"/rooms/{room_id}")
    _wait_connected(page)
    page.click("#buy-btn")
    sheet = page.locator("#order-sheet")
    expect(sheet).to_be_visible()
    expect(sheet.locator("#order-sheet-status")).to_have_text("待支付")
    methods = sheet.locator(".pay-method")
    # Stored cards, the default first, then the wallet and the third-party wallet.
    expect(methods.locator(".pay-method-title")).to_have_text(
        ["Visa •••• 4242", "Mastercard •••• 4444", "钱包余额", "沙箱钱包"]
    )
    expect(methods.first.locator("input")).to_be_checked()
    expect(sheet.locator("#pay-submit")).to_have_text("确认支付 ¥129.00")
    _screenshot(page, "room-payment-sheet")
    sheet.locator("#pay-submit").click()  # one click on the default card
    expect(sheet.locator("#pay-result-text")).to_have_text("支付成功")
    expect(sheet.locator("#order-sheet-status")).to_have_text("待发货")
    [order] = _orders(server, buyer)
    assert (order["status"], order["total"]) == ("paid", 12900)

    # The merchant's earnings page shows the shop's share, waiting out the after-sales window.
    shop_page = new_page(merchant, "/earnings")
    with unit_of_work(server.database_url) as session:
        [line] = payouts_report(session, owner_type=OwnerType.SHOP, owner_id=shop_id)
    assert line.pending > 0
    expected = f"¥{line.pending // 100}.{line.pending % 100:02d}"
    expect(shop_page.locator("#payouts .payout-pending")).to_have_text(expected)
    _screenshot(shop_page, "merchant-earnings")

    # Again with a new card that needs a challenge: added in the sheet, used at once.
    page.click("#order-sheet [data-close-sheet]")
    page.click("#buy-btn")
    expect(sheet.locator("#order-sheet-status")).to_have_text("待支付")
    expect(sheet.locator("#pay-choose")).to_be_visible()
    sheet.locator("#pay-add-card-toggle").click()
    _fill_card(page, CHALLENGE_CARD)
    challenge_card = sheet.locator(".pay-method", has_text="•••• 3184")
    expect(challenge_card.locator("input")).to_be_checked()
    sheet.locator("#pay-submit").click()
    expect(sheet.locator("#pay-challenge")).to_be_visible()
    code = sheet.locator("#pay-sandbox-code").inner_text()
    assert re.fullmatch(r"\d{6}", code)
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    sheet.locator("#pay-code").fill(wrong)
    sheet.locator("#pay-code-submit").click()
    expect(sheet.locator("#pay-code-error")).to_have_text("验证码不正确，请重新输入")
    assert [o["status"] for o in _orders(server, buyer)].count("paid") == 1
    sheet.locator("#pay-code").fill(code)
    _screenshot(page, "room-payment-challenge")
    sheet.locator("#pay-code-submit").click()
    expect(sheet.locator("#pay-result-text")).to_have_text("支付成功")
    # The result line still reads 支付成功 from the first order until the code's
    # answer arrives, so wait for the second order's answer through the API.
    assert _order_statuses_within(server, buyer, ["paid", "paid"]) == ["paid", "paid"]
    assert not new_page.errors[page]


def test_a_buyer_pays_through_the_third_party_wallet_page_and_comes_back_to_the_room(
    server: LiveServer, new_page: NewPage
) -> None:
    _merchant, _shop_id, room_id = _selling_room(server, price=5000, stock=3)
    buyer = _buyer(server)
    page = new_page(buyer, f"/rooms/{room_id}")
    _wait_connected(page)
    page.click("#buy-btn")
    sheet = page.locator("#order-sheet")
    expect(sheet.locator(".pay-method")).to_have_count(2)  # no card: the wallet and the third party
    sheet.locator('.pay-method[data-method="third_party"] input').check()
    expect(sheet.locator("#pay-submit")).to_have_text("去沙箱钱包支付 ¥50.00")
    sheet.locator("#pay-submit").click()

    page.wait_for_url(re.compile(r"/sandbox/wallet/sbx_tp_"))
    expect(page.locator("#provider-amount")).to_have_text("¥50.00")
    _screenshot(page, "sandbox-wallet")
    page.click("#provider-approve")
    expect(page.locator("#provider-outcome")).to_have_text("付款成功，正在返回商户…")
    page.wait_for_url(re.compile(rf"/rooms/{room_id}"))
    expect(page.locator("#order-sheet")).to_be_visible()
    expect(page.locator("#pay-result-text")).to_have_text("支付成功")
    expect(page.locator("#order-sheet-status")).to_have_text("待发货")
    [order] = _orders(server, buyer)
    assert order["status"] == "paid"

    # Cancelling on the provider's page: the buyer is back, and the order still waits.
    page.click("#order-sheet [data-close-sheet]")
    page.click("#buy-btn")
    sheet.locator('.pay-method[data-method="third_party"] input').check()
    sheet.locator("#pay-submit").click()
    page.wait_for_url(re.compile(r"/sandbox/wallet/"))
    page.click("#provider-cancel")
    page.wait_for_url(re.compile(rf"/rooms/{room_id}"))
    expect(page.locator("#pay-result-text")).to_have_text("支付失败")
    expect(page.locator("#pay-result-detail")).to_have_text("你已取消支付")
    assert sorted(o["status"] for o in _orders(server, buyer)) == ["paid", "pending_payment"]

    # The unpaid order can be paid later from my orders.
    page.goto("/orders")
    unpaid = page.locator("#order-list .order-card", has=page.locator(".pay-btn"))
    expect(unpaid).to_have_count(1)
    unpaid.locator(".pay-btn").click()
    pay_sheet = page.locator("#pay-sheet")
    expect(pay_sheet.locator("#pay-amount")).to_have_text("¥50.00")
    _fill_card(page, SUCCESS_CARD)
    expect(pay_sheet.locator(".pay-method.method-card input")).to_be_checked()
    pay_sheet.locator("#pay-submit").click()
    expect(pay_sheet.locator("#pay-result-text")).to_have_text("支付成功")
    expect(page.locator("#order-list .pay-btn")).to_have_count(0)
    assert [o["status"] for o in _orders(server, buyer)] == ["paid", "paid"]
    assert not new_page.errors[page]


def test_a_declined_card_can_be_retried_and_a_slow_gateway_settles_by_its_notification(
    server: LiveServer, new_page: NewPage
) -> None:
    user = server.create_user(server.unique("unlucky"))
    page = new_page(user, "/wallet?topup=wallet")
    expect(page.locator("#topup-kind-wallet")).to_be_checked()
    page.fill("#topup-amount", "20")
    page.click("#topup-submit")
    sheet = page.locator("#pay-sheet")
    _fill_card(page, "4000 0000 0000 0002")
    expect(sheet.locator(".pay-method.method-card input")).to_be_checked()
    expect(sheet.locator('.pay-method[data-method="wallet"]')).to_have_count(0)  # not for itself
    sheet.locator("#pay-submit").click()
    expect(sheet.locator("#pay-result-text")).to_have_text("支付失败")
    expect(sheet.locator("#pay-result-detail")).to_have_text("银行卡被拒绝，请换一张卡")
    sheet.locator("#pay-retry").click()
    sheet.locator("#pay-add-card-toggle").click()
    _fill_card(page, "4000 0000 0000 0119")  # the gateway times out; its notification says paid
    expect(sheet.locator(".pay-method", has_text="•••• 0119").locator("input")).to_be_checked()
    sheet.locator("#pay-submit").click()
    expect(sheet.locator("#pay-result-text")).to_have_text("支付成功")
    expect(page.locator("#balance-wallet")).to_have_text("¥20.00")
    assert _balances(server, user)["wallet"] == 2000
    assert not new_page.errors[page]


def test_the_sandbox_wallet_page_refuses_a_forged_reference_and_an_offsite_return(
    server: LiveServer, new_page: NewPage
) -> None:
    buyer = server.create_user(server.unique("forger"))
    page = new_page(buyer, "/sandbox/wallet/sbx_tp_1.100.CNY.000000000000000000000000")
    expect(page.locator("#provider-error")).to_be_visible()
    expect(page.locator("#provider")).to_have_count(0)
    # A real reference (a top-up) with a return to another site: the page goes back home instead.
    body = {"kind": "wallet", "amount": 1000, "method": "third_party"}
    payment = server.api(buyer, "POST", "/api/top-ups", body, expect=201, headers=_key())
    assert payment["redirect_url"].startswith("/sandbox/wallet/")
    for target in ("//evil.example/", "/\\evil.example/", "https://evil.example/"):
        page.goto(f"{payment['redirect_url']}?return={target}")
        expect(page.locator("#provider")).to_have_attribute("data-return", "/")


def test_a_host_drops_a_red_packet_and_a_viewer_grabs_it(
    server: LiveServer, new_page: NewPage
) -> None:
    host = server.create_user(server.unique("rphost"), Role.HOST)
    room_id = server.create_room(host, title="红包雨", start=True)
    _top_up_wallet(server, host, 5000)
    lucky = server.create_user(server.unique("lucky"))
    late = server.create_user(server.unique("late"))

    console = new_page(host, f"/host/rooms/{room_id}")
    _wait_connected(console)
    expect(console.locator("#host-wallet")).to_have_text("¥50.00")
    viewer = new_page(lucky, f"/rooms/{room_id}")
    slow = new_page(late, f"/rooms/{room_id}")
    _wait_connected(viewer)
    _wait_connected(slow)

    console.fill("#rp-total", "12.34")
    console.fill("#rp-shares", "1")
    console.fill("#rp-greeting", HOSTILE)
    console.click("#rp-drop")
    row = console.locator("#host-red-packets .red-packet-row")
    expect(row).to_have_count(1)
    expect(row).to_have_attribute("data-status", "open")
    expect(console.locator("#host-wallet")).to_have_text("¥37.66")

    envelope = viewer.locator("#red-packets .red-packet")
    expect(envelope).to_have_count(1)
    expect(envelope.locator(".red-packet-greeting")).to_have_text(HOSTILE)  # text, not markup
    expect(envelope.locator(".red-packet-total")).to_have_text("¥12.34")
    _screenshot(viewer, "room-red-packet")
    envelope.locator(".red-packet-grab").click()
    expect(envelope.locator(".red-packet-result")).to_have_text("抢到 ¥12.34")
    assert _balances(server, lucky)["wallet"] == 1234

    # The only share is gone: the other viewer's envelope says so.
    other = slow.locator("#red-packets .red-packet")
    expect(other.locator(".red-packet-grab")).to_be_disabled()
    expect(other.locator(".red-packet-grab")).to_have_text("已抢完")
    expect(row).to_have_attribute("data-status", "empty")
    _screenshot(console, "host-red-packets")
    assert _balances(server, late)["wallet"] == 0
    for opened in (console, viewer, slow):
        assert new_page.dialogs[opened] == []
        assert new_page.errors[opened] == []


def test_totp_enrolment_shows_a_qr_code_accepts_an_app_code_and_is_removed_with_a_recovery_code(
    server: LiveServer, new_page: NewPage
) -> None:
    user = server.create_user(server.unique("secure"))
    page = new_page(user, "/")
    page.click("#nav-security")
    expect(page.locator("#totp-status")).to_have_text("未开启")
    page.click("#totp-start")
    image = page.locator("#totp-qr img")
    expect(image).to_be_visible()
    expect_image_loaded(image)
    assert page.locator("#totp-qr svg").count() == 0  # an image, never markup in the page
    secret = page.locator("#totp-secret").inner_text()
    assert re.fullmatch(r"[A-Z2-7]{16,}", secret)
    _screenshot(page, "security-totp-qr")

    page.fill("#totp-confirm-code", "000000" if pyotp.TOTP(secret).now() != "000000" else "111111")
    page.click("#totp-confirm")
    expect(page.locator("#totp-error")).to_have_text("动态码不正确，请检查手机时间后重试")
    page.fill("#totp-confirm-code", pyotp.TOTP(secret).now())
    page.click("#totp-confirm")
    codes = page.locator("#recovery-codes .recovery-code")
    expect(codes).to_have_count(10)
    recovery = codes.first.inner_text()
    expect(page.locator("#totp-status")).to_have_text("已开启 · 剩余 10 个恢复码")
    assert server.api(user, "GET", "/api/me/totp") == {"enrolled": True, "recovery_codes_left": 10}
    page.click("#totp-codes-done")
    expect(codes).to_have_count(0)

    # Enrolled: a payment that needs a challenge asks for the app's code, not the sandbox's.
    page.click("#nav-wallet")
    page.click("#topup-submit")
    _fill_card(page, CHALLENGE_CARD)
    sheet = page.locator("#pay-sheet")
    expect(sheet.locator(".pay-method.method-card input")).to_be_checked()
    sheet.locator("#pay-submit").click()
    expect(sheet.locator("#pay-challenge-text")).to_contain_text("身份验证器")
    expect(sheet.locator("#pay-sandbox-hint")).to_be_hidden()
    # The enrolment used this step's code, and a code counts once: the next step's is fresh.
    sheet.locator("#pay-code").fill(pyotp.TOTP(secret).at(time.time() + 30))
    sheet.locator("#pay-code-submit").click()
    expect(sheet.locator("#pay-result-text")).to_have_text("支付成功")
    expect(page.locator("#balance-coins")).to_have_text("60")
    page.goto("/account/security")

    # Shown once: a reload shows the state, never the codes or the secret again.
    page.reload()
    expect(page.locator("#totp-remove-form")).to_be_visible()
    expect(page.locator("#recovery-codes .recovery-code")).to_have_count(0)
    page.fill("#totp-remove-code", recovery)
    page.click("#totp-remove")
    expect(page.locator("#totp-status")).to_have_text("未开启")
    assert server.api(user, "GET", "/api/me/totp")["enrolled"] is False
    assert not new_page.errors[page]

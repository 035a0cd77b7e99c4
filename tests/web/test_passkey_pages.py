"""Paying with a passkey through the real pages, in Chromium with the DevTools virtual
authenticator (issue 17 §5): the buyer adds a passkey on the security page, pays an
order that asks for the step-up with it instead of a code, then trusts the device,
sets a daily limit and pays the next small order without any step-up.

WebAuthn wants a secure context and an RP ID that is a domain: the pages are opened
at http://localhost (the relying party follows the request's host), not 127.0.0.1.
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any

import pytest
from playwright.sync_api import Browser, Page, expect

from liveshop.accounts.models import Role, User
from tests.web.conftest import SAVED_CARD

if TYPE_CHECKING:
    from tests.web.conftest import LiveServer

pytestmark = pytest.mark.browser
SERVER_ENVIRONMENT = {"LIVESHOP_STEP_UP_AMOUNT": "500"}  # every order here asks for it


def _localhost(server: LiveServer) -> str:
    return server.base_url.replace("127.0.0.1", "localhost")


def _open_with_authenticator(server: LiveServer, browser: Browser, user: User) -> Page:
    """A signed-in page at localhost, with a platform authenticator that verifies the user."""
    origin = _localhost(server)
    context = browser.new_context(
        base_url=origin, locale="zh-CN", viewport={"width": 390, "height": 844}
    )
    context.add_cookies(
        [
            {
                "name": "liveshop_session",
                "value": server.session_token(user),
                "url": origin,
                "httpOnly": True,
                "sameSite": "Lax",
            }
        ]
    )
    page = context.new_page()
    page.set_default_timeout(15_000)
    cdp = context.new_cdp_session(page)
    cdp.send("WebAuthn.enable")
    options = {
        "protocol": "ctap2",
        "transport": "internal",
        "hasResidentKey": True,
        "hasUserVerification": True,
        "isUserVerified": True,
    }
    cdp.send("WebAuthn.addVirtualAuthenticator", {"options": options})
    return page


def _pending_order(server: LiveServer, buyer: User, merchant: User, price: int) -> dict[str, Any]:
    product = server.create_product(merchant, title="保温杯", price=price, stock=5)
    order: dict[str, Any] = server.api(
        buyer,
        "POST",
        "/api/orders",
        {"items": [{"sku_id": product["skus"][0]["id"], "quantity": 1}]},
        expect=201,
        headers={"Idempotency-Key": uuid.uuid4().hex},
    )
    return order


def _pay_from_my_orders(page: Page) -> None:
    page.goto("/orders")
    page.locator("#order-list .pay-btn").first.click()
    page.locator("#pay-sheet #pay-submit").click()


def test_a_buyer_adds_a_passkey_and_pays_with_it_then_pays_small_sums_from_the_trusted_device(
    server: LiveServer, browser: Browser
) -> None:
    buyer = server.create_user(server.unique("passkeybuyer"))
    merchant = server.create_user(server.unique("passkeyshop"), Role.MERCHANT)
    server.api(buyer, "POST", "/api/payment-methods", SAVED_CARD, expect=201)
    page = _open_with_authenticator(server, browser, buyer)
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on(
        "console",
        lambda message: (
            errors.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )

    page.goto("/account/security")
    expect(page.locator("#passkeys")).to_have_attribute("data-state", "none")
    page.fill("#passkey-name", "测试手机")
    page.click("#passkey-add")
    item = page.locator("#passkey-list .passkey-item")
    expect(item).to_have_count(1)
    expect(item.locator(".passkey-name")).to_have_text("测试手机")
    expect(item.locator(".tag")).to_have_text(["本机"])

    # A step-up payment: the passkey confirms it instead of the code.
    order = _pending_order(server, buyer, merchant, 1_200)
    _pay_from_my_orders(page)
    sheet = page.locator("#pay-sheet")
    expect(sheet.locator("#pay-challenge")).to_be_visible()
    sheet.locator("#pay-passkey").click()
    expect(sheet.locator("#pay-result-text")).to_have_text("支付成功")
    assert server.api(buyer, "GET", f"/api/orders/{order['id']}")["status"] == "paid"

    # Trusted, with a daily limit of 20 yuan: the next small order goes through at once.
    page.goto("/account/security")
    item.locator("button", has_text="信任此设备").click()
    expect(item.locator(".tag")).to_have_text(["本机", "已信任"])
    page.fill("#seamless-limit", "20")
    page.click("#seamless-save")
    expect(page.locator("#seamless-status")).to_contain_text("剩余 ¥20.00")
    small = _pending_order(server, buyer, merchant, 800)
    _pay_from_my_orders(page)
    expect(sheet.locator("#pay-result-text")).to_have_text("支付成功")
    assert server.api(buyer, "GET", f"/api/orders/{small['id']}")["status"] == "paid"

    # Revoked: the device is no longer trusted, and the list is empty.
    page.goto("/account/security")
    expect(page.locator("#seamless-status")).to_contain_text("今日已用 ¥8.00")
    item.locator("button", has_text="删除").click()
    expect(page.locator("#passkey-empty")).to_be_visible()
    assert server.api(buyer, "GET", "/api/me/passkeys") == []
    assert errors == []
    page.context.close()

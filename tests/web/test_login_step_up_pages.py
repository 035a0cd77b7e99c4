"""A sign-in the risk checks step up, confirmed in the browser with a code sent to the
account's email (issue 13): the second step offers only the factors the account has,
the code arrives at a local SMTP sink (aiosmtpd), a wrong code asks again on the same
sign-in, the right one signs in and goes on to the page asked for. Phone and
desktop sizes."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest
from playwright.sync_api import expect

from tests.notifications.helpers import Inbox, smtp_sink
from tests.ports import free_port

if TYPE_CHECKING:
    from tests.web.conftest import LiveServer
    from tests.web.conftest import PageOpener as NewPage

pytestmark = pytest.mark.browser
SIZES = {"phone": {"width": 390, "height": 844}, "desktop": {"width": 1280, "height": 800}}


SINK_PORT = free_port()
SERVER_ENVIRONMENT = {
    "LIVESHOP_SMTP_PORT": str(SINK_PORT),
    "LIVESHOP_RISK_RULES": "challenge if is_login",  # every sign-in here steps up
}


@pytest.fixture(scope="module")
def inbox() -> Iterator[Inbox]:
    with smtp_sink(SINK_PORT) as (sink, _port):
        yield sink


@pytest.mark.parametrize("size", ["phone", "desktop"])
def test_a_stepped_up_sign_in_is_confirmed_with_a_code_sent_by_email(
    server: LiveServer, new_page: NewPage, inbox: Inbox, size: str
) -> None:
    user = server.create_user(server.unique("stepper"))
    email = f"{user.username}@example.com"
    server.api(user, "PUT", "/api/auth/me/email", {"email": email})
    confirmation = inbox.wait_for(email, r"验证码是：(\d{6})").group(1)  # a factor once confirmed
    server.api(user, "POST", "/api/auth/me/email/confirm", {"code": confirmation})
    inbox.messages[:] = [message for message in inbox.messages if message["To"] != email]

    page = new_page(None, "/login?next=/orders")
    page.set_viewport_size(SIZES[size])
    page.fill("#username", user.username)
    page.fill("#password", server.password)
    page.click("#submit-btn")
    expect(page.locator("#step-up-reason")).to_be_visible()
    expect(page.locator("#email-hint")).to_have_text(f"{user.username[0]}***@example.com")
    expect(page.locator("#totp-form")).to_have_count(0)  # no authenticator app enrolled
    expect(page.locator("#passkey-form")).to_have_count(0)  # no passkey registered

    page.click("#email-send")
    expect(page.locator("#email-sent")).to_have_text(
        f"验证码已发送到 {user.username[0]}***@example.com，请查收邮件"
    )
    expect(page.locator("#email-send")).to_be_disabled()  # a second tap sends no second mail
    code = inbox.wait_for(email, r"验证码是：(\d{6})").group(1)

    page.fill("#email-code", f"{(int(code) + 1) % 1_000_000:06d}")
    page.click("#email-submit")
    expect(page.locator("#form-error")).to_contain_text("验证未通过")
    page.fill("#email-code", code)  # the same sign-in: the code sent still answers it
    page.click("#email-submit")
    expect(page).to_have_url(re.compile(r"/orders$"))
    assert server.api(user, "GET", "/api/auth/me")["username"] == user.username
    width = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert width[0] <= width[1], width
    assert [m["To"] for m in inbox.messages].count(email) == 1
    assert new_page.errors[page] == []

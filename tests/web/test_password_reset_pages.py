"""Forgotten password in the browser (issue 18 §5): 忘记密码？ on the sign-in page, the
email caught by a local SMTP sink (aiosmtpd), its link followed to set a new password,
which signs in while the old session is revoked. Phone and desktop sizes."""

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
NEW_PASSWORD = "amber-willow-compass-58"


SINK_PORT = free_port()
SERVER_ENVIRONMENT = {"LIVESHOP_SMTP_PORT": str(SINK_PORT)}


@pytest.fixture(scope="module")
def inbox() -> Iterator[Inbox]:
    with smtp_sink(SINK_PORT) as (sink, _port):
        yield sink


@pytest.mark.parametrize("size", ["phone", "desktop"])
def test_a_forgotten_password_is_reset_through_the_emailed_link(
    server: LiveServer, new_page: NewPage, inbox: Inbox, size: str
) -> None:
    user = server.create_user(server.unique("forgetful"))
    email = f"{user.username}@example.com"
    account = new_page(user, "/account/security")  # the email is set on the account page
    account.set_viewport_size(SIZES[size])
    account.fill("#account-email-input", email)
    account.click("#account-email-save")
    expect(account.locator("#toast")).to_have_text("邮箱已保存")
    assert server.api(user, "GET", "/api/auth/me/email") == {"email": email, "confirmed": False}
    inbox.wait_for(email, r"验证码是：(\d{6})")  # the code that would confirm it comes first
    inbox.messages[:] = [message for message in inbox.messages if message["To"] != email]

    page = new_page(None, "/login")
    page.set_viewport_size(SIZES[size])
    page.click("#forgot-link")
    page.fill("#reset-email", email)
    page.click("#reset-ask-btn")
    expect(page.locator("#reset-sent")).to_be_visible()

    page.goto(inbox.wait_for(email, r"/reset-password\?token=[A-Za-z0-9_-]+").group(0))
    page.fill("#new-password", NEW_PASSWORD)
    page.click("#reset-btn")
    expect(page.locator("#reset-done")).to_be_visible()
    server.api(user, "GET", "/api/auth/me", expect=401)  # the old session is revoked

    page.click("#reset-done a")
    page.fill("#username", user.username)
    page.fill("#password", NEW_PASSWORD)
    page.click("#submit-btn")
    expect(page).not_to_have_url(re.compile(r"/login"))
    width = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert width[0] <= width[1], width
    assert new_page.errors[page] == []

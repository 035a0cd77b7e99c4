"""A refusal a script has no words of its own for is said in the page's language (issue
18 §2), never the API's detail written for engineers: a 401 says 请先登录 / Please sign in
first (not "send Authorization: Bearer <token>"), a refused CSRF token asks to reload the
page (not "missing or wrong CSRF token"). Provoked for real: the notification centre's
settings saved after the session ended, and from a page whose CSRF token no longer matches,
at phone and desktop sizes."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from playwright.sync_api import expect

if TYPE_CHECKING:
    from tests.web.conftest import LiveServer, OpenPage

pytestmark = pytest.mark.browser

SIGN_IN = {"zh-CN": "请先登录", "en": "Please sign in first"}
RELOAD = {
    "zh-CN": "页面已过期，请刷新后再试",
    "en": "The page has expired, please reload and try again",
}


@pytest.mark.parametrize("size", ["phone", "desktop"])
@pytest.mark.parametrize("locale", ["zh-CN", "en"])
def test_a_signed_out_save_asks_to_sign_in_in_the_pages_words(
    server: LiveServer, open_page: OpenPage, locale: str, size: str
) -> None:
    viewer = server.create_user(server.unique("reader"))
    page = open_page(viewer, "/notifications", locale=locale, size=size)
    save = page.locator("#save-preferences")
    expect(save).to_be_enabled()
    page.context.clear_cookies()  # signed out meanwhile (another tab, an expired session)
    save.click()
    toast = page.locator("#toast")
    expect(toast).to_be_visible()
    expect(toast).to_have_text(SIGN_IN[locale])


@pytest.mark.parametrize("size", ["phone", "desktop"])
@pytest.mark.parametrize("locale", ["zh-CN", "en"])
def test_a_refused_csrf_token_asks_to_reload_in_the_pages_words(
    server: LiveServer, open_page: OpenPage, locale: str, size: str
) -> None:
    viewer = server.create_user(server.unique("stale"))
    page = open_page(viewer, "/notifications", locale=locale, size=size)
    save = page.locator("#save-preferences")
    expect(save).to_be_enabled()
    # The session's token changed since the page was served (signed in again elsewhere).
    page.locator('meta[name="csrf-token"]').evaluate("(meta) => { meta.content = 'stale'; }")
    with page.expect_response("**/api/notifications/preferences") as answer:
        save.click()
    assert answer.value.status == 403
    toast = page.locator("#toast")
    expect(toast).to_be_visible()
    expect(toast).to_have_text(RELOAD[locale])

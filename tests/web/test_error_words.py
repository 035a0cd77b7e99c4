"""A refusal a script has no words of its own for is said in the page's language (issue
18 §2): on a Chinese page, words by the HTTP status (请先登录 for a 401), never the API's
English detail; on an English page, the server's English detail. Provoked for real: the
notification centre's settings saved after the session ended, at phone and desktop sizes."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from playwright.sync_api import expect

if TYPE_CHECKING:
    from tests.web.conftest import LiveServer, OpenPage

pytestmark = pytest.mark.browser

SERVER_DETAIL = "log in first: send Authorization: Bearer <token>"  # the API's, in English
SAID = {"zh-CN": "请先登录", "en": SERVER_DETAIL}


@pytest.mark.parametrize("size", ["phone", "desktop"])
@pytest.mark.parametrize("locale", ["zh-CN", "en"])
def test_a_refusal_without_words_of_its_own_speaks_the_pages_language(
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
    expect(toast).to_have_text(SAID[locale])

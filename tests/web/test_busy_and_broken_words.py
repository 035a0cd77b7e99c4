"""A busy or broken server is told in the page's words (issue 18 §2): a 429, with the seconds
its Retry-After gives, and a 500 or a proxy's 503 answered to a page's script say 操作太频繁 /
服务暂时不可用 in Chinese and their English in English, never the JSON, the server's English
detail on a Chinese page, nor its internal code. Answered by Chromium's request routing (the
server cannot be made to fail on demand), on an action (the notification centre's settings
saved) and on a page's first load (my orders), at phone and desktop sizes."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

import pytest
from playwright.sync_api import Page, Route, expect

if TYPE_CHECKING:
    from tests.web.conftest import LiveServer, OpenPage

pytestmark = pytest.mark.browser


@dataclass(frozen=True)
class Answer:
    """What the routed request is answered with, and what the person must read then."""

    status: int
    headers: dict[str, str]
    body: str
    said: dict[str, str]  # by the page's locale


def _json(detail: str, code: str) -> str:
    return json.dumps({"detail": detail, "code": code})


ANSWERS = [
    Answer(
        429,
        {"Retry-After": "7", "Content-Type": "application/json"},
        _json("too many requests, slow down", "rate_limited"),
        {"zh-CN": "操作太频繁，请 7 秒后再试", "en": "Too many requests, please try again in 7 s"},
    ),
    Answer(
        429,
        {"Content-Type": "application/json"},
        _json("too many requests", "rate_limited"),
        {"zh-CN": "操作太频繁，请稍后再试", "en": "Too many requests, please try again later"},
    ),
    Answer(
        500,
        {"Content-Type": "application/json"},
        _json("internal server error", "internal_error"),
        {
            "zh-CN": "服务暂时不可用，请稍后再试",
            "en": "The service is unavailable right now, please try again later",
        },
    ),
    Answer(  # a proxy in front of the app: HTML, not the API's JSON
        503,
        {"Retry-After": "30", "Content-Type": "text/html"},
        "<html><body><h1>503 Service Temporarily Unavailable</h1></body></html>",
        {
            "zh-CN": "服务暂时不可用，请 30 秒后再试",
            "en": "The service is unavailable right now, please try again in 30 s",
        },
    ),
]


class Responder:
    """Answers the page's matching requests with the current :class:`Answer`."""

    def __init__(self) -> None:
        self.answer = ANSWERS[0]
        self.answered = 0

    def __call__(self, route: Route) -> None:
        self.answered += 1
        answer = self.answer
        route.fulfill(status=answer.status, headers=answer.headers, body=answer.body)


def _expect_said(page: Page, answer: Answer, locale: str) -> None:
    toast = page.locator("#toast")
    expect(toast).to_have_text(answer.said[locale])
    expect(toast).to_be_visible()


@pytest.mark.parametrize("size", ["phone", "desktop"])
@pytest.mark.parametrize("locale", ["zh-CN", "en"])
def test_an_action_answered_busy_or_broken_says_so_in_the_pages_words(
    server: LiveServer, open_page: OpenPage, locale: str, size: str
) -> None:
    viewer = server.create_user(server.unique("saver"))
    page = open_page(viewer, "/notifications", locale=locale, size=size)
    responder = Responder()
    page.route("**/api/notifications/preferences", responder)
    save = page.locator("#save-preferences")
    expect(save).to_be_enabled()
    for answer in ANSWERS:  # each answer's words differ, so a stale toast cannot pass
        responder.answer = answer
        save.click()
        _expect_said(page, answer, locale)
    assert responder.answered == len(ANSWERS)


@pytest.mark.parametrize("size", ["phone", "desktop"])
@pytest.mark.parametrize("locale", ["zh-CN", "en"])
def test_a_page_whose_first_load_is_answered_busy_or_broken_says_so_in_its_words(
    server: LiveServer, open_page: OpenPage, locale: str, size: str
) -> None:
    buyer = server.create_user(server.unique("buyer"))
    page = open_page(buyer, "/notifications", locale=locale, size=size)
    responder = Responder()
    page.route(re.compile(r"/api/orders\?scope=mine$"), responder)
    for answer in ANSWERS:
        responder.answer = answer
        page.goto("/orders")
        _expect_said(page, answer, locale)
    assert responder.answered == len(ANSWERS)

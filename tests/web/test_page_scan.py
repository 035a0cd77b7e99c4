"""Every page of the site, in both languages, as the role it is for, shows no leaked server
text (issue 18 §2): no raw JSON, no internal codes (``not_your_goods``, ``vault.reveal``,
``user:4``), no ISO timestamps, no 'None', 'undefined', 'NaN', 'null' or '[object Object]',
no English sentence on a Chinese page and no Chinese on an English one; and none is wider
than its window or has controls lying over one another.

The pages are the app's own list: every GET route answering HTML, read from the app's
routes, so a new page fails :func:`test_every_page_of_the_app_is_scanned` until it has a
visit here. They are read filled: the world (tests/web/scan_world.py) has every role's
activity. Pages are driven in Chromium and read once their scripts have filled them (the
network idle), at a phone's size (390x844) and again widened to a desktop's (1280x800),
in each language: one browser context per language, on one server."""

from __future__ import annotations

import re
import tempfile
from collections.abc import Sequence
from typing import TYPE_CHECKING

import pytest
from fastapi.responses import HTMLResponse
from fastapi.routing import APIRoute, iter_route_contexts
from playwright.sync_api import Browser, BrowserContext, Dialog, Page

from liveshop.app import create_app
from liveshop.core.settings import Settings
from liveshop.web.risk_pages import ReasonView, reason_view, subject_words
from tests.web.conftest import PAGE_TIMEOUT_MS, SIZES
from tests.web.scan_world import HELD_ABOVE, World, build_world
from tests.web.test_language_pages import CJK, VISIBLE_TEXT
from tests.web.visits import Visit

if TYPE_CHECKING:
    from tests.web.conftest import LiveServer

pytestmark = pytest.mark.browser

SERVER_ENVIRONMENT = {"LIVESHOP_RISK_RULES": f"review if is_order and amount > {HELD_ABOVE}"}

LEAKS: dict[str, re.Pattern[str]] = {
    "raw JSON": re.compile(r"[{\[]\s*\"[^\"\n]+\"\s*:"),
    "a snake_case code": re.compile(r"\b[a-z][a-z0-9]*(?:_[a-z0-9]+)+\b"),
    "a dotted code": re.compile(r"\b[a-z]{2,}(?:_[a-z]+)*\.[a-z]{2,}(?:_[a-z]+)*\b"),
    "a typed id": re.compile(r"\b[a-z_]+:\d+\b"),
    "an ISO timestamp": re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}"),
    "a script's empty value": re.compile(r"\b(?:None|undefined|NaN|null)\b|\[object Object\]"),
}
# Not leaks: addresses and mail addresses (a share link, a masked e-mail) are read as such.
ADDRESSES = re.compile(r"\bhttps?://\S+|\S+@\S+")
# A label's colon glued to what follows ("Answered:Yes"): a Chinese full-width colon carries
# its own space, an English one needs a real one.
GLUED = re.compile(r"\b[A-Za-z']+:[A-Za-z]\w*")
# Three English words in a row: a sentence (the API's details are English sentences).
ENGLISH_SENTENCE = re.compile(r"[A-Za-z]{2,}(?:[ ,;:'’-]+[A-Za-z]{2,}){2,}")

# Text a page sets apart: what an element declares in another language (lang="zh-CN" on an
# English page: what the platform stores as written, a notice, a carrier's scan; see
# docs/architecture.md, Languages), left out of the language checks; and what it marks as
# code (<code>: a risk rule as its analyst wrote it, a feature name rules are written in),
# left out of every check.
SET_APART = """() => {
  const language = document.documentElement.lang.slice(0, 2);
  const texts = (selector, keep) => [...document.body.querySelectorAll(selector)]
    .filter(keep).map((node) => node.innerText).filter(Boolean);
  const foreign = (node) => !node.lang.startsWith(language) && !node.closest("#language-switch");
  return { foreign: texts("[lang]", foreign), code: texts("code", () => true) };
}"""

# Words people read that are not the page's text: a field's placeholder, a control's
# accessible name (what a screen reader says), an image's alternative.
READ_ATTRIBUTES = """() => [...document.body.querySelectorAll("[placeholder], [aria-label], [alt]")]
  .filter((node) => !node.closest("#language-switch"))
  .flatMap((node) => ["placeholder", "aria-label", "alt"].map((name) => node.getAttribute(name)))
  .filter(Boolean)
  .join("\\n")"""
# Controls a person taps (links, buttons, fields) lying over one another: each control's box
# as shown (cut by any scrolling or clipping box it is in), pairs overlapping by more than
# 4 px each way, one not inside the other. While a modal layer is open (a backdrop: a fixed
# box over the whole window, as under a sheet), the page under it cannot be tapped: a control
# the backdrop lies over at its box's middle, or outside the window, is behind it and left
# out; the sheet's own controls, and anything above the backdrop, are checked as any other.
OVERLAPS = """() => {
  const backdrops = document.elementsFromPoint(innerWidth / 2, innerHeight / 2).filter((node) => {
    if (getComputedStyle(node).position !== "fixed") return false;
    const box = node.getBoundingClientRect();
    return box.left <= 0 && box.top <= 0 && box.right >= innerWidth && box.bottom >= innerHeight;
  });
  const behind = (node, { left, top, right, bottom }) => {
    if (!backdrops.length) return false;
    const [x, y] = [(left + right) / 2, (top + bottom) / 2];
    if (x < 0 || y < 0 || x >= innerWidth || y >= innerHeight) return true;
    for (const hit of document.elementsFromPoint(x, y)) {
      if (node.contains(hit)) return false;
      if (backdrops.includes(hit)) return true;
    }
    return false;
  };
  const shown = (node) => {
    let { left, top, right, bottom } = node.getBoundingClientRect();
    for (let up = node.parentElement; up; up = up.parentElement) {
      const style = getComputedStyle(up);
      if (style.overflowX === "visible" && style.overflowY === "visible") continue;
      const clip = up.getBoundingClientRect();
      left = Math.max(left, clip.left);
      top = Math.max(top, clip.top);
      right = Math.min(right, clip.right);
      bottom = Math.min(bottom, clip.bottom);
    }
    return { left, top, right, bottom };
  };
  const name = (node) => `${node.tagName.toLowerCase()}${node.id ? "#" + node.id : ""} `
    + JSON.stringify((node.innerText || node.value || "").trim().slice(0, 20));
  const controls = [...document.body.querySelectorAll(
    "a[href], button, input, select, textarea, [role=button]",
  )].filter((node) => node.checkVisibility({ visibilityProperty: true, opacityProperty: true }))
    .map((node) => [node, shown(node)])
    .filter(([node, box]) => !behind(node, box));
  const found = [];
  controls.forEach(([a, boxA], i) => controls.slice(i + 1).forEach(([b, boxB]) => {
    if (a.contains(b) || b.contains(a)) return;
    const width = Math.min(boxA.right, boxB.right) - Math.max(boxA.left, boxB.left);
    const height = Math.min(boxA.bottom, boxB.bottom) - Math.max(boxA.top, boxB.top);
    if (width > 4 && height > 4) found.push(`${name(a)} over ${name(b)}`);
  }));
  return found;
}"""
# How far the page is wider than its window (a phone would scroll it sideways).
OVERFLOW = "document.documentElement.scrollWidth - window.innerWidth"


def _html_routes() -> set[str]:
    """The path of every GET route of the app that answers with a page."""
    app = create_app(Settings(home=tempfile.mkdtemp()))
    return {
        context.path
        for context in iter_route_contexts(app.routes)
        if isinstance(context.original_route, APIRoute)
        and context.original_route.response_class is HTMLResponse
        and "GET" in (context.methods or ())
    }


@pytest.fixture(scope="module")
def world(server: LiveServer) -> World:
    return build_world(server)


def _leaks(
    text: str, *, locale: str, foreign: Sequence[str] = (), code: Sequence[str] = ()
) -> list[str]:
    """What in a page's visible text is server text a person should not see; ``foreign`` is
    the text its elements declare in another language, left out of the language checks,
    ``code`` what it shows as code, left out of all of them."""
    for shown_as_code in code:
        text = text.replace(shown_as_code, " ")
    text = ADDRESSES.sub(" ", text)
    found = [
        f"{name}: {match.group(0)!r}"
        for name, pattern in LEAKS.items()
        for match in pattern.finditer(text)
    ]
    for declared in foreign:
        text = text.replace(declared, " ")
    if locale == "en":
        found += [f"Chinese: {line!r}" for line in text.splitlines() if CJK.search(line)]
        found += [f"no space after a colon: {match.group(0)!r}" for match in GLUED.finditer(text)]
    else:
        found += [f"English: {match.group(0)!r}" for match in ENGLISH_SENTENCE.finditer(text)]
    return found


def test_every_page_of_the_app_is_scanned(world: World) -> None:
    assert _html_routes() == set(world.visits())


def _signed_in(context: BrowserContext, server: LiveServer, visit: Visit) -> None:
    """The context carries the visit's user's session cookie, and no one else's."""
    context.clear_cookies()
    if visit.user is not None:
        if visit.user.id not in server.tokens:
            server.tokens[visit.user.id] = server.session_token(visit.user)
        token = server.tokens[visit.user.id]
        context.add_cookies([{"name": "liveshop_session", "value": token, "url": server.base_url}])


def _read(page: Page, *, locale: str) -> list[str]:
    """What the page, as it is now, shows that it should not."""
    read = (page.title(), page.evaluate(VISIBLE_TEXT), page.evaluate(READ_ATTRIBUTES))
    found = _leaks("\n".join(read), locale=locale, **page.evaluate(SET_APART))
    found += [f"controls overlap: {pair}" for pair in page.evaluate(OVERLAPS)]
    overflow: int = page.evaluate(OVERFLOW)
    if overflow > 0:
        found.append(f"wider than the window by {overflow} px")
    return found


def _read_at_each_size(page: Page, name: str, *, locale: str) -> dict[str, list[str]]:
    """The page as it is now, read at a phone's size, then widened to a desktop's."""
    leaks = {}
    for size, viewport in SIZES.items():
        page.set_viewport_size(viewport)
        if found := _read(page, locale=locale):
            leaks[f"{name} ({size})"] = sorted(set(found))
    return leaks


def _dialogs_read(name: str, asked: list[str], *, locale: str) -> dict[str, list[str]]:
    """What the browser's dialogs asked since the last read (then forgotten), read for leaks."""
    found = _leaks("\n".join(asked), locale=locale)
    asked.clear()
    return {f"{name} (the browser's dialog)": found} if found else {}


def _scanned(page: Page, visit: Visit, *, locale: str, asked: list[str]) -> dict[str, list[str]]:
    """The visit's page as loaded, then with each of its openings open; ``asked`` holds what
    the browser's own dialogs (window.confirm) asked meanwhile, read for leaks too."""
    page.set_viewport_size(SIZES["phone"])
    page.goto(visit.path)
    if visit.ready is not None:
        visit.ready(page)
    page.wait_for_load_state("networkidle")
    leaks = _read_at_each_size(page, visit.path, locale=locale)
    leaks |= _dialogs_read(visit.path, asked, locale=locale)
    for opening in visit.openings:
        page.set_viewport_size(SIZES["phone"])
        opening.show(page)
        page.wait_for_load_state("networkidle")
        # read from the top, as a page is when it loads: a tap may have scrolled the page under
        # its sticky bar, which covers what it scrolls over, as it should
        page.evaluate("window.scrollTo(0, 0)")
        name = f"{visit.path} [{opening.label}]"
        leaks |= _read_at_each_size(page, name, locale=locale)
        leaks |= _dialogs_read(name, asked, locale=locale)
        if opening.close is not None:
            opening.close(page)
    return leaks


@pytest.mark.parametrize("locale", ["zh-CN", "en"])
def test_no_page_shows_leaked_server_text(
    locale: str, world: World, server: LiveServer, browser: Browser
) -> None:
    """One context per language (its Accept-Language and navigator.language); each page
    opened once at a phone's size, then widened to a desktop's and read again, and the same
    with each sheet or dialog its visit opens."""
    context = browser.new_context(base_url=server.base_url, locale=locale, viewport=SIZES["phone"])
    page = context.new_page()
    page.set_default_timeout(PAGE_TIMEOUT_MS)
    problems: list[str] = []
    page.on("pageerror", lambda error: problems.append(f"{page.url}: {error}"))
    page.on(
        "console",
        lambda message: (
            problems.append(f"{page.url}: {message.text}")
            if "Content Security Policy" in message.text
            else None
        ),
    )
    asked: list[str] = []

    def answer(dialog: Dialog) -> None:
        asked.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", answer)
    leaks: dict[str, list[str]] = {}
    try:
        for visit in world.visits().values():
            _signed_in(context, server, visit)
            leaks |= _scanned(page, visit, locale=locale, asked=asked)
    finally:
        context.close()
    shown = "\n".join(f"{path}: {found}" for path, found in leaks.items())
    assert leaks == {}, f"pages show server text a person should not see:\n{shown}"
    assert problems == []


def test_the_scan_finds_overlapping_controls(browser: Browser) -> None:
    """Two buttons one over the other are found; a link scrolled out of its list under a
    field, and a button inside a link, are not."""
    page = browser.new_page()
    try:
        page.set_content(
            """<button id="one" style="position:absolute;left:0;top:0;width:90px">one</button>
            <button id="two" style="position:absolute;left:40px;top:0;width:90px">two</button>
            <ul style="position:absolute;top:60px;height:30px;overflow:auto;margin:0">
              <li style="height:30px">x</li><li><a href="/a" style="display:block">hidden</a></li>
            </ul>
            <input style="position:absolute;top:92px">
            <a href="/b" style="position:absolute;top:150px"><button>inside</button></a>"""
        )
        assert page.evaluate(OVERLAPS) == ['button#one "one" over button#two "two"']
    finally:
        page.close()


def test_the_scan_leaves_out_controls_under_a_modal_backdrop(browser: Browser) -> None:
    """With a sheet open over its backdrop, the page's buttons under the sheet are covered (no
    overlap); the sheet's own buttons one over the other, and a button above the backdrop
    over the sheet's, are found."""
    page = browser.new_page()
    try:
        page.set_content(
            """<button style="position:absolute;left:0;top:0;width:300px;height:300px">page</button>
            <div style="position:fixed;inset:0;z-index:40;background:#0006"></div>
            <section style="position:fixed;left:0;top:100px;z-index:41;width:300px">
              <button id="one" style="width:90px">one</button>
              <button id="two" style="margin-left:-60px;width:90px">two</button>
              <button id="three" style="display:block;margin-top:40px">three</button>
            </section>
            <button id="toast" style="position:fixed;left:0;top:160px;z-index:50">toast</button>"""
        )
        assert page.evaluate(OVERLAPS) == [
            'button#one "one" over button#two "two"',
            'button#three "three" over button#toast "toast"',
        ]
        page.evaluate("document.querySelector('div').remove()")  # no backdrop: all are read
        assert len(page.evaluate(OVERLAPS)) == 2 + 4
    finally:
        page.close()


def test_the_scan_finds_each_kind_of_leak() -> None:
    """The patterns catch what the issue saw, and pass the site's own words."""
    seen = [
        '{"detail": "not found"}',
        "not_your_goods",
        "vault.reveal",
        "user:4",
        "2026-12-07T03:29:26Z",
        "stock NaN",
        "undefined",
        "None",
        "[object Object]",
    ]
    assert [bool(_leaks(text, locale="en")) for text in seen] == [True] * len(seen)
    assert _leaks("order 40 paid by card", locale="zh-CN") != []
    assert _leaks("立即购买", locale="en") != []
    assert _leaks("立即购买 ¥39.00 · 12-07 16:00 · Linen shirt", locale="zh-CN") == []
    assert _leaks("Buy now CN¥39.00 https://x.test/l/a_b?c=d.e, e.g. 8 pm", locale="en") == []
    assert _leaks("Answered:Yes", locale="en") != []
    assert _leaks("Answered: Yes, at 10:30", locale="en") == []
    assert _leaks("Shipped 你的订单已发货", locale="en", foreign=["你的订单已发货"]) == []
    assert _leaks("None 你的订单已发货", locale="en", foreign=["None 你的订单已发货"]) != []
    assert _leaks("提问：Does it come in blue", locale="zh-CN") != []
    typed = ["Does it come in blue"]  # what a viewer typed, in an element with lang="en"
    assert _leaks("提问：Does it come in blue", locale="zh-CN", foreign=typed) == []
    assert _leaks("规则：review if is_order", locale="zh-CN", code=["review if is_order"]) == []


def test_the_risk_engines_reasons_are_read_for_the_page() -> None:
    """As risk/engine.py and risk/model.py write them; anything else is shown as written."""
    model = "model: amount_zscore=3.20 (legit p99 1.50)"
    assert reason_view(model) == ReasonView("model", "amount_zscore", "3.20", "1.50")
    assert reason_view("rule: block if x > 1") == ReasonView("rule", "block if x > 1")
    assert reason_view("velocity spike") == ReasonView("other", "velocity spike")
    assert subject_words("order:12") == ("订单 %(id)s", {"id": "12"})
    assert subject_words("vault_card:tok_1") is None

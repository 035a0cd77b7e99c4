"""Every page of the site, in both languages, as the role it is for, shows no leaked server
text (issue 18 §2): no raw JSON, no internal codes (``not_your_goods``, ``vault.reveal``,
``user:4``), no ISO timestamps, no 'None', 'undefined', 'NaN', 'null' or '[object Object]',
no English sentence on a Chinese page and no Chinese on an English one.

The pages are the app's own list: every GET route answering HTML, read from the app's
routes, so a new page fails :func:`test_every_page_of_the_app_is_scanned` until it has a
visit here. Pages are driven in Chromium and read once their scripts have filled them
(the network idle): Chinese at a phone's size, English at a desktop's, on one server."""

from __future__ import annotations

import re
import tempfile
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING

import pytest
from fastapi.responses import HTMLResponse
from fastapi.routing import APIRoute, iter_route_contexts
from playwright.sync_api import Page, expect

from liveshop.accounts.models import Role, User
from liveshop.app import create_app
from liveshop.core.clock import utcnow
from liveshop.core.db import unit_of_work
from liveshop.core.ids import new_id
from liveshop.core.settings import Settings
from liveshop.live.held_comments import store_held_comments
from liveshop.live.models import CommentKind, HeldCommentStatus
from liveshop.notifications.centre import unsubscribe_token
from liveshop.notifications.models import NotificationKind
from liveshop.tracking import config as tracking_config
from liveshop.web import tracking_pages
from liveshop.web.risk_pages import ReasonView, reason_view, subject_words
from tests.web.test_console_language_pages import (
    _campaign,
    _experiment,
    _paid_order,
    _wallet_path,
)
from tests.web.test_language_pages import CJK, VISIBLE_TEXT

if TYPE_CHECKING:
    from tests.web.conftest import LiveServer, OpenPage

pytestmark = pytest.mark.browser

# An order above 100 元 waits for a risk analyst: the review queue, the merchant's holds and
# the buyer's orders have one.
HELD_ABOVE = 10_000
SERVER_ENVIRONMENT = {"LIVESHOP_RISK_RULES": f"review if is_order and amount > {HELD_ABOVE}"}

# What people typed (English, so that Chinese on an English page is the site's); taken out
# of a Chinese page's text before it is searched for English sentences.
TYPED = (
    "Linen shirt",
    "Evening sale",
    "Last night's sale",
    "Light.",
    "Spring push",
    "Countdown test",
    "Welcome coupon",
    "Private deal",
    "Add me on WeChat for a better price",
    "Wrong size",
    "Rule 3: no deals off the platform",
    "Is this the lowest price",
    "Label checked",
)
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

Ready = Callable[[Page], None]


@dataclass(frozen=True)
class Visit:
    user: User | None
    path: str
    ready: Ready | None = None


def _room_ready(page: Page) -> None:
    expect(page.locator("#conn")).to_have_attribute("data-state", "open")


def _host_console_ready(page: Page) -> None:
    expect(page.locator("#conn")).to_have_attribute("data-state", "open")
    expect(page.locator("#room-orders tbody tr")).to_have_count(1)


def _regulator_ready(page: Page) -> None:
    expect(page.locator("#chain-status")).to_have_attribute("data-ok", "true")


@dataclass
class World:
    host: User
    merchant: User
    viewer: User
    moderator: User
    analyst: User
    regulator: User
    product_id: int
    room_id: int
    ended_room_id: int
    order_id: int
    coupon_id: int
    campaign_id: int
    experiment_id: int
    wallet_path: str
    unsubscribe_path: str

    def visits(self) -> dict[str, Visit]:
        """A visit for every HTML route, by the route's path."""
        room, ended, order = self.room_id, self.ended_room_id, self.order_id
        return {
            "/": Visit(self.viewer, "/"),
            "/login": Visit(None, "/login"),
            "/register": Visit(None, "/register"),
            "/forgot-password": Visit(None, "/forgot-password"),
            "/reset-password": Visit(None, f"/reset-password?token={'t' * 32}"),
            "/search": Visit(self.viewer, "/search?q=linen"),
            "/products/{product_id}": Visit(self.viewer, f"/products/{self.product_id}"),
            "/rooms/{room_id}": Visit(self.viewer, f"/rooms/{room}", _room_ready),
            "/rooms/{room_id}/replay": Visit(self.viewer, f"/rooms/{ended}/replay"),
            "/rooms/{room_id}/highlights/{product_id}": Visit(
                self.viewer, f"/rooms/{ended}/highlights/{self.product_id}"
            ),
            "/coupons/{coupon_id}": Visit(self.viewer, f"/coupons/{self.coupon_id}"),
            "/cart": Visit(self.viewer, "/cart"),
            "/orders": Visit(self.viewer, "/orders"),
            "/orders/{order_id}": Visit(self.viewer, f"/orders/{order}"),
            "/orders/{order_id}/tracking": Visit(self.viewer, f"/orders/{order}/tracking"),
            "/notifications": Visit(self.viewer, "/notifications"),
            "/notifications/unsubscribe": Visit(self.viewer, self.unsubscribe_path),
            "/wallet": Visit(self.viewer, "/wallet"),
            "/sandbox/wallet/{reference}": Visit(self.viewer, self.wallet_path),
            "/account/security": Visit(self.viewer, "/account/security"),
            "/account/privacy": Visit(self.viewer, "/account/privacy"),
            "/host/rooms/{room_id}": Visit(self.host, f"/host/rooms/{room}", _host_console_ready),
            "/host/prelive": Visit(self.host, "/host/prelive"),
            "/host/assistant": Visit(self.host, f"/host/assistant?room={room}"),
            "/earnings": Visit(self.host, "/earnings"),
            "/merchant": Visit(self.merchant, "/merchant"),
            "/merchant/compliance": Visit(self.merchant, "/merchant/compliance"),
            "/merchant/faq": Visit(self.merchant, "/merchant/faq"),
            "/dashboard": Visit(self.merchant, "/dashboard"),
            "/dashboard/rooms/{room_id}": Visit(self.merchant, f"/dashboard/rooms/{room}"),
            "/campaigns": Visit(self.merchant, "/campaigns"),
            "/campaigns/{campaign_id}": Visit(self.merchant, f"/campaigns/{self.campaign_id}"),
            "/experiments/{experiment_id}": Visit(
                self.merchant, f"/experiments/{self.experiment_id}"
            ),
            "/risk/held": Visit(self.merchant, "/risk/held"),
            "/moderation": Visit(self.moderator, "/moderation"),
            "/risk": Visit(self.analyst, "/risk"),
            "/regulator": Visit(self.regulator, "/regulator", _regulator_ready),
        }


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


def _coupon(server: LiveServer, merchant: User) -> int:
    body = {
        "code": server.unique("SCAN"),
        "name": "Welcome coupon",
        "kind": "fixed",
        "amount": 1_000,
        "starts_at": (utcnow() - timedelta(minutes=1)).isoformat(),
        "ends_at": (utcnow() + timedelta(days=7)).isoformat(),
        "total_quantity": 10,
    }
    return int(server.api(merchant, "POST", "/api/coupons", body, expect=201)["id"])


def _report(server: LiveServer, reporter: User, *, author: User, room_id: int) -> None:
    """A chat line reported: the moderation queue has a case with its evidence."""
    said = "Add me on WeChat for a better price"
    evidence = {
        "message": said,
        "author_id": author.id,
        "room_id": room_id,
        "at": utcnow().isoformat(),
        "context": [{"author_id": author.id, "text": said, "at": utcnow().isoformat()}],
    }
    report = {
        "target_type": "comment",
        "target_id": 987654,
        "reason": "off_platform_trading",
        "details": "Private deal",
        "evidence": evidence,
    }
    server.api(reporter, "POST", "/api/reports", report, expect=201)


def _key() -> dict[str, str]:
    return {"Idempotency-Key": uuid.uuid4().hex}


def _warning(server: LiveServer, moderator: User, *, host: User, room_id: int) -> None:
    """A warning to the host: the pre-live check, the regulator's penalties and log show it."""
    action = {
        "kind": "warning",
        "rule": "Rule 3: no deals off the platform",
        "subject_type": "user",
        "subject_id": host.id,
        "room_id": room_id,
    }
    server.api(moderator, "POST", "/api/moderation/actions", action, expect=201)


def _held_line(server: LiveServer, author: User, room_id: int) -> None:
    """A chat line the filter held for a moderator, as the hub writes it behind."""
    line = {
        "id": new_id(),
        "room_id": room_id,
        "user_id": author.id,
        "kind": CommentKind.COMMENT,
        "text": "Is this the lowest price",
        "categories": ["violence"],
        "status": HeldCommentStatus.HELD,
        "created_at": utcnow(),
    }
    with unit_of_work(server.database_url) as session:
        store_held_comments(session, held=[line])


def _inspection(server: LiveServer) -> None:
    """Every product sampled and the shop's passed: the regulator's inspections have one."""
    admin = server.create_user(server.unique("admin"), Role.ADMIN)
    sampled = server.api(admin, "POST", "/api/admin/inspections/sample", {"rate": "1"}, expect=201)
    result = {"result": "pass", "findings": "Label checked"}
    path = f"/api/admin/inspections/{sampled[0]['id']}/result"
    server.api(admin, "POST", path, result)


@pytest.fixture(scope="module")
def world(server: LiveServer) -> World:
    host, merchant, product, room_id = server.selling_room(
        title="Evening sale",
        product={"title": "Linen shirt", "price": 3_900, "stock": 50, "description": "Light."},
    )
    viewer = server.create_user(server.unique("viewer"), Role.VIEWER)
    sku_id = product["skus"][0]["id"]
    order_id = _paid_order(server, viewer, sku_id, room_id)
    shipment = {"carrier": "sandbox", "tracking_number": "SB40001"}
    server.api(merchant, "POST", f"/api/orders/{order_id}/shipment", shipment, expect=201)
    server.api(viewer, "POST", "/api/cart/items", {"sku_id": sku_id})
    ended_room_id = server.create_room(host, title="Last night's sale", start=True)
    server.api(host, "POST", f"/api/rooms/{ended_room_id}/end")
    held = {"items": [{"sku_id": sku_id, "quantity": 3}]}  # 117 元
    server.api(viewer, "POST", "/api/orders", held, expect=201, headers=_key())
    refund = {"kind": "refund", "reason": "Wrong size"}
    server.api(viewer, "POST", f"/api/orders/{order_id}/after-sales", refund, expect=201)
    _report(server, viewer, author=host, room_id=room_id)
    moderator = server.create_user(server.unique("moderator"), Role.MODERATOR)
    _warning(server, moderator, host=host, room_id=room_id)
    _held_line(server, viewer, room_id)
    _inspection(server)
    coupon_id = _coupon(server, merchant)
    server.api(viewer, "POST", f"/api/coupons/{coupon_id}/grab", expect=201)  # in the wallet
    secret = Settings(home=server.home).resolved_secret_key()
    token = unsubscribe_token(secret, user_id=viewer.id, kind=NotificationKind.ORDER_SHIPPED)
    return World(
        host=host,
        merchant=merchant,
        viewer=viewer,
        moderator=moderator,
        analyst=server.create_user(server.unique("analyst"), Role.RISK_ANALYST),
        regulator=server.create_user(server.unique("regulator"), Role.REGULATOR),
        product_id=product["id"],
        room_id=room_id,
        ended_room_id=ended_room_id,
        order_id=order_id,
        coupon_id=coupon_id,
        campaign_id=_campaign(server, merchant),
        experiment_id=_experiment(server, merchant),
        wallet_path=_wallet_path(server, viewer, sku_id),
        unsubscribe_path=f"/notifications/unsubscribe?token={token}",
    )


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
    else:
        for typed in TYPED:
            text = text.replace(typed, " ")
        found += [f"English: {match.group(0)!r}" for match in ENGLISH_SENTENCE.finditer(text)]
    return found


def test_every_page_of_the_app_is_scanned(world: World) -> None:
    assert _html_routes() == set(world.visits())


def test_every_carrier_has_a_name_in_the_pages_words() -> None:
    assert set(tracking_pages.CARRIER_NAMES) == set(tracking_config.CARRIER_NAMES)


@pytest.mark.parametrize(("locale", "size"), [("zh-CN", "phone"), ("en", "desktop")])
def test_no_page_shows_leaked_server_text(
    locale: str, size: str, world: World, open_page: OpenPage
) -> None:
    leaks: dict[str, list[str]] = {}
    for visit in world.visits().values():
        page = open_page(visit.user, visit.path, locale=locale, size=size)
        if visit.ready is not None:
            visit.ready(page)
        page.wait_for_load_state("networkidle")
        read = (page.title(), page.evaluate(VISIBLE_TEXT), page.evaluate(READ_ATTRIBUTES))
        text = "\n".join(read)
        found = _leaks(text, locale=locale, **page.evaluate(SET_APART))
        if found:
            leaks[visit.path] = sorted(set(found))
        page.context.close()
    shown = "\n".join(f"{path}: {found}" for path, found in leaks.items())
    assert leaks == {}, f"pages show server text a person should not see:\n{shown}"


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
    assert _leaks("Shipped 你的订单已发货", locale="en", foreign=["你的订单已发货"]) == []
    assert _leaks("None 你的订单已发货", locale="en", foreign=["None 你的订单已发货"]) != []
    assert _leaks("规则：review if is_order", locale="zh-CN", code=["review if is_order"]) == []


def test_the_risk_engines_reasons_are_read_for_the_page() -> None:
    """As risk/engine.py and risk/model.py write them; anything else is shown as written."""
    model = "model: amount_zscore=3.20 (legit p99 1.50)"
    assert reason_view(model) == ReasonView("model", "amount_zscore", "3.20", "1.50")
    assert reason_view("rule: block if x > 1") == ReasonView("rule", "block if x > 1")
    assert reason_view("velocity spike") == ReasonView("other", "velocity spike")
    assert subject_words("order:12") == ("订单 %(id)s", {"id": "12"})
    assert subject_words("vault_card:tok_1") is None

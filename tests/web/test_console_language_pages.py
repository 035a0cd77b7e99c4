"""Each back-office page speaks one language (issue 18 §2), in Chromium on a phone
(390x844) and a desktop (1280x800), signed in as the role the page is for: the host and
merchant consoles, the sign-in's second step, privacy, unsubscribe, earnings, the sandbox
wallet, moderation (queue, pre-live check, copy compliance), risk (review queue, holds),
the regulator's page, the dashboards and a room's report, campaigns and an experiment,
and the shop assistant's pages. In English no Chinese is left in the visible text; in
Chinese no English interface words; money follows the language."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING

import pytest
from playwright.sync_api import Page, expect

from liveshop.accounts.models import Role, User
from liveshop.core.clock import utcnow
from liveshop.core.settings import Settings
from liveshop.notifications.centre import unsubscribe_token
from liveshop.notifications.models import NotificationKind
from tests.notifications.helpers import Inbox, smtp_sink
from tests.ports import free_port
from tests.web.conftest import SIZES, OpenPage
from tests.web.test_language_pages import CJK, ENGLISH_UI_WORDS, VISIBLE_TEXT
from tests.web.visits import Visit

if TYPE_CHECKING:
    from tests.web.conftest import LiveServer

pytestmark = pytest.mark.browser

SINK_PORT = free_port()
SERVER_ENVIRONMENT = {
    "LIVESHOP_SMTP_PORT": str(SINK_PORT),
    "LIVESHOP_RISK_RULES": "challenge if is_login",  # every sign-in here has a second step
}
# The back office's English words, besides the viewer's (test_language_pages).
CONSOLE_WORDS = (
    "Host console",
    "Merchant console",
    "Earnings",
    "Privacy settings",
    "Moderation queue",
    "Risk review",
    "Campaigns",
    "Room report",
    "Confirm it is you",
    "Unsubscribe",
    "Sandbox wallet",
    "Shop assistant",
    "Page 1",
)
CODE = re.compile(r"验证码是：(\d{6})")


@dataclass
class World:
    host: User
    merchant: User
    viewer: User
    moderator: User
    analyst: User
    regulator: User
    room_id: int
    campaign_id: int
    experiment_id: int
    wallet_path: str
    unsubscribe_path: str

    def visits(self) -> list[Visit]:
        """Every converted back-office page, as the role it is for."""
        room = self.room_id
        return [
            Visit(self.host, f"/host/rooms/{room}", _host_console_ready),
            Visit(self.host, "/earnings"),
            Visit(self.host, "/host/prelive"),
            Visit(self.host, f"/host/assistant?room={room}"),
            Visit(self.merchant, "/merchant", _merchant_console_ready),
            Visit(self.merchant, "/merchant/compliance"),
            Visit(self.merchant, "/merchant/faq"),
            Visit(self.merchant, "/risk/held"),
            Visit(self.merchant, "/dashboard"),
            Visit(self.merchant, f"/dashboard/rooms/{room}"),
            Visit(self.merchant, "/campaigns"),
            Visit(self.merchant, f"/campaigns/{self.campaign_id}"),
            Visit(self.merchant, f"/experiments/{self.experiment_id}"),
            Visit(self.viewer, "/account/privacy", _privacy_ready),
            Visit(self.viewer, self.wallet_path),
            Visit(self.viewer, self.unsubscribe_path),
            Visit(self.viewer, self.unsubscribe_path, _unsubscribed),
            Visit(None, "/notifications/unsubscribe?token=1.room_live.forged", _unsubscribed),
            Visit(self.moderator, "/moderation"),
            Visit(self.analyst, "/risk"),
            Visit(self.regulator, "/regulator", _regulator_ready),
        ]


def _host_console_ready(page: Page) -> None:
    expect(page.locator("#conn")).to_have_attribute("data-state", "open")
    expect(page.locator("#room-orders tbody tr")).to_have_count(1)


def _merchant_console_ready(page: Page) -> None:
    expect(page.locator("#shop-orders tbody tr")).to_have_count(2)  # paid, and awaiting the wallet
    expect(page.locator("#product-table .sku-price").first).to_be_visible()


def _privacy_ready(page: Page) -> None:
    expect(page.locator(".consent-state").first).to_be_visible()


def _regulator_ready(page: Page) -> None:
    expect(page.locator("#chain-status")).to_have_attribute("data-ok", "true")


def _unsubscribed(page: Page) -> None:
    page.locator("#unsubscribe-confirm").click()
    expect(page.locator("#unsubscribe-done, #unsubscribe-error")).to_be_visible()


@pytest.fixture(scope="module")
def inbox() -> Iterator[Inbox]:
    with smtp_sink(SINK_PORT) as (sink, _port):
        yield sink


def _paid_order(server: LiveServer, buyer: User, sku_id: int, room_id: int) -> int:
    """An order placed in the room and paid by card: the consoles' lists have a line."""
    order = server.api(
        buyer,
        "POST",
        "/api/orders",
        {"items": [{"sku_id": sku_id, "quantity": 1}], "room_id": room_id},
        expect=201,
        headers={"Idempotency-Key": uuid.uuid4().hex},
    )
    server.pay_by_card(buyer, order["id"], idempotency_key=uuid.uuid4().hex)
    return int(order["id"])


def _wallet_path(server: LiveServer, buyer: User, sku_id: int) -> str:
    """The sandbox wallet's checkout page of an order paid through the third party."""
    order = server.api(
        buyer,
        "POST",
        "/api/orders",
        {"items": [{"sku_id": sku_id, "quantity": 1}]},
        expect=201,
        headers={"Idempotency-Key": uuid.uuid4().hex},
    )
    payment = server.api(
        buyer,
        "POST",
        "/api/payments",
        {"order_id": order["id"], "method": "third_party"},
        expect=201,
        headers={"Idempotency-Key": uuid.uuid4().hex},
    )
    return str(payment["redirect_url"])


def _campaign(server: LiveServer, merchant: User) -> int:
    now = utcnow()
    body = {
        "name": "Spring push",
        "channels": ["douyin", "wechat"],
        "budget": 200_000,
        "starts_at": (now - timedelta(days=1)).isoformat(),
        "ends_at": (now + timedelta(days=10)).isoformat(),
    }
    return int(server.api(merchant, "POST", "/api/campaigns", body, expect=201)["id"])


def _experiment(server: LiveServer, merchant: User) -> int:
    body = {
        "name": "Countdown test",
        "variants": [{"name": "A", "weight": 1}, {"name": "B", "weight": 1}],
    }
    return int(server.api(merchant, "POST", "/api/experiments", body, expect=201)["id"])


@pytest.fixture(scope="module")
def world(server: LiveServer) -> World:
    """Everything people typed is in English, so Chinese on an English page is the site's."""
    host, merchant, product, room_id = server.selling_room(
        title="Evening sale",
        product={"title": "Linen shirt", "price": 3_900, "stock": 50, "description": "Light."},
    )
    viewer = server.create_user(server.unique("viewer"), Role.VIEWER)
    sku_id = product["skus"][0]["id"]
    _paid_order(server, viewer, sku_id, room_id)
    secret = Settings(home=server.home).resolved_secret_key()
    token = unsubscribe_token(secret, user_id=viewer.id, kind=NotificationKind.ORDER_SHIPPED)
    return World(
        host=host,
        merchant=merchant,
        viewer=viewer,
        moderator=server.create_user(server.unique("moderator"), Role.MODERATOR),
        analyst=server.create_user(server.unique("analyst"), Role.RISK_ANALYST),
        regulator=server.create_user(server.unique("regulator"), Role.REGULATOR),
        room_id=room_id,
        campaign_id=_campaign(server, merchant),
        experiment_id=_experiment(server, merchant),
        wallet_path=_wallet_path(server, viewer, sku_id),
        unsubscribe_path=f"/notifications/unsubscribe?token={token}",
    )


def _visited(open_page: OpenPage, visit: Visit, *, locale: str, size: str) -> Page:
    page = open_page(visit.user, visit.path, locale=locale, size=size)
    if visit.ready is not None:
        visit.ready(page)
    page.wait_for_load_state("networkidle")
    return page


def _chinese_lines(page: Page) -> list[str]:
    text: str = page.evaluate(VISIBLE_TEXT)
    return sorted({line for line in text.splitlines() if CJK.search(line)})


def _english_words(page: Page) -> list[str]:
    text: str = page.evaluate(VISIBLE_TEXT)
    return [word for word in (*ENGLISH_UI_WORDS, *CONSOLE_WORDS) if word in text]


@pytest.mark.parametrize("size", SIZES)
def test_an_english_browser_gets_english_back_office_pages(
    size: str, world: World, open_page: OpenPage
) -> None:
    leftovers: dict[str, list[str]] = {}
    for visit in world.visits():
        page = _visited(open_page, visit, locale="en-US", size=size)
        assert page.evaluate("document.documentElement.lang") == "en", visit.path
        lines = _chinese_lines(page) + ([page.title()] if CJK.search(page.title()) else [])
        if lines:
            leftovers[visit.path] = lines
    assert leftovers == {}, "pages show Chinese to an English reader"


@pytest.mark.parametrize("size", SIZES)
def test_a_chinese_browser_gets_no_english_interface_in_the_back_office(
    size: str, world: World, open_page: OpenPage
) -> None:
    english: dict[str, list[str]] = {}
    for visit in world.visits():
        page = _visited(open_page, visit, locale="zh-CN", size=size)
        assert page.evaluate("document.documentElement.lang") == "zh-CN", visit.path
        words = _english_words(page)
        if words:
            english[visit.path] = words
    assert english == {}, "pages show English words to a Chinese reader"


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("locale", ["en-US", "zh-CN"])
def test_the_sign_ins_second_step_speaks_the_browsers_language(
    size: str, locale: str, server: LiveServer, inbox: Inbox, open_page: OpenPage
) -> None:
    user = server.create_user(server.unique("stepper"))
    email = f"{user.username}@example.com"
    server.api(user, "PUT", "/api/auth/me/email", {"email": email})
    code = inbox.wait_for(email, CODE.pattern).group(1)  # the email becomes a factor
    server.api(user, "POST", "/api/auth/me/email/confirm", {"code": code})

    page = open_page(None, "/login", locale=locale, size=size)
    page.fill("#username", user.username)
    page.fill("#password", server.password)
    page.click("#submit-btn")
    expect(page.locator("#email-hint")).to_have_text(f"{user.username[0]}***@example.com")
    page.fill("#email-code", "000000" if code != "000000" else "111111")  # a wrong code
    page.click("#email-submit")
    expect(page.locator("#form-error")).to_be_visible()  # the page's words, translated
    page.wait_for_load_state("networkidle")
    if locale == "en-US":
        assert _chinese_lines(page) == []
        expect(page.locator("#form-error")).to_contain_text("Not verified")
    else:
        assert _english_words(page) == []
        expect(page.locator("#form-error")).to_contain_text("验证未通过")


@pytest.mark.parametrize(("locale", "price"), [("en-US", "CN¥39.00"), ("zh-CN", "¥39.00")])
def test_console_money_follows_the_language(
    locale: str, price: str, world: World, open_page: OpenPage
) -> None:
    console = _visited(
        open_page,
        Visit(world.host, f"/host/rooms/{world.room_id}", _host_console_ready),
        locale=locale,
        size="phone",
    )
    expect(console.locator("#pinned-preview-price")).to_have_text(price)  # Babel
    expect(console.locator("#room-orders-sum")).to_have_text(price)  # formatPrice
    expect(console.locator("#room-orders tbody")).to_contain_text(price)

    merchant = _visited(
        open_page,
        Visit(world.merchant, "/merchant", _merchant_console_ready),
        locale=locale,
        size="phone",
    )
    expect(merchant.locator(".sku-price").first).to_have_value("39.00")  # what parsePrice reads
    wallet = open_page(world.viewer, world.wallet_path, locale=locale, size="phone")
    expect(wallet.locator("#provider-amount")).to_have_text(price)

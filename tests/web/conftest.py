"""Browser tests: a real ``liveshop serve`` per module, driven through Debian's Chromium.

Users, rooms and sessions are made with the service functions on the same SQLite
file the server uses; browsers get a session cookie instead of typing a password
(the login test is the one that types).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import (
    Browser,
    BrowserContext,
    ConsoleMessage,
    Dialog,
    Locator,
    Page,
    ViewportSize,
    expect,
    sync_playwright,
)

from liveshop.accounts import service as accounts
from liveshop.accounts.models import Role, User
from liveshop.core.clock import utcnow
from liveshop.core.db import unit_of_work
from liveshop.core.settings import Settings
from liveshop.live import service as live
from tests.ports import free_port

CHROMIUM = Path("/usr/bin/chromium")
# A page waits this long for an element or an assertion. The suite runs on two
# workers on a two-core machine: a room page's first purchase makes several
# requests in a row, which took over 5 s there while both workers were busy.
PAGE_TIMEOUT_MS = 15_000
# The sandbox's card that pays without a challenge, saved with the buyer's consent.
SAVED_CARD = {
    "card_number": "4242424242424242",
    "exp_month": 12,
    "exp_year": 2034,
    "cvc": "123",
    "save_consent": True,
}
# The two sizes pages are tried at: a phone held upright, a laptop.
SIZES: dict[str, ViewportSize] = {
    "phone": {"width": 390, "height": 844},
    "desktop": {"width": 1280, "height": 800},
}
OpenPage = Callable[..., Page]
expect.set_options(timeout=PAGE_TIMEOUT_MS)
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PASSWORD = "correct-horse-battery"
SERVER_START_SECONDS = 90.0  # a loaded 2-core machine can take 30 s just to import the app

if not CHROMIUM.exists():
    pytest.skip("Debian's Chromium is not installed at /usr/bin/chromium", allow_module_level=True)


@dataclass
class LiveServer:
    base_url: str
    database_url: str
    home: Path
    password: str = PASSWORD
    counter: int = 0
    tokens: dict[int, str] = field(default_factory=dict)

    def unique(self, prefix: str) -> str:
        self.counter += 1
        return f"{prefix}{self.counter}"

    def create_user(self, username: str, role: Role = Role.VIEWER) -> User:
        with unit_of_work(self.database_url) as session:
            return accounts.create_user(session, username=username, password=PASSWORD, role=role)

    def session_token(self, user: User) -> str:
        with unit_of_work(self.database_url) as session:
            return accounts.issue_token(session, user=user)

    def pay_by_card(self, buyer: User, order_id: int, *, idempotency_key: str) -> Any:
        """Save a test card (with the buyer's consent) and pay the order with it."""
        card = self.api(
            buyer,
            "POST",
            "/api/payment-methods",
            {
                "card_number": "4242424242424242",
                "exp_month": 12,
                "exp_year": utcnow().year + 2,
                "cvc": "123",
                "save_consent": True,
            },
            expect=201,
        )
        return self.api(
            buyer,
            "POST",
            "/api/payments",
            {"order_id": order_id, "payment_method_id": card["id"]},
            expect=201,
            headers={"Idempotency-Key": idempotency_key},
        )

    def api(
        self,
        user: User,
        method: str,
        path: str,
        body: Any = None,
        *,
        expect: int = 200,
        headers: dict[str, str] | None = None,
    ) -> Any:
        """Call the server's JSON API as ``user`` (Bearer token), checking the status.

        Setup goes through the server, not the service functions, so the room's hub
        in the server process hears about flash sales, coupons and pins.
        """
        if user.id not in self.tokens:
            self.tokens[user.id] = self.session_token(user)
        response = httpx.request(
            method,
            f"{self.base_url}{path}",
            json=body,
            headers={"Authorization": f"Bearer {self.tokens[user.id]}", **(headers or {})},
            timeout=10,
        )
        assert response.status_code == expect, (response.status_code, response.text)
        return response.json() if response.content else None

    def create_product(self, merchant: User, **body: Any) -> dict[str, Any]:
        product: dict[str, Any] = self.api(merchant, "POST", "/api/products", body, expect=201)
        return product

    def create_room(self, host: User, *, title: str, start: bool) -> int:
        """A room; started here (before any browser opens it) when ``start``."""
        with unit_of_work(self.database_url) as session:
            room = live.create_room(session, host=host, title=title)
            if start:
                live.start_room(session, actor=host, room_id=room.id)
            return room.id

    def selling_room(
        self, *, title: str, product: dict[str, Any], host_name: str = "host"
    ) -> tuple[User, User, dict[str, Any], int]:
        """A merchant's product pinned in a live room of a host who acts for the merchant's
        shop (invited and accepted): (host, merchant, product, room id)."""
        host = self.create_user(self.unique(host_name), Role.HOST)
        merchant = self.create_user(self.unique("merchant"), Role.MERCHANT)
        created = self.create_product(merchant, **product)
        invited = {"user_id": host.id}
        invitation = self.api(
            merchant, "POST", "/api/shops/mine/staff-invitations", invited, expect=201
        )
        self.api(host, "POST", f"/api/staff-invitations/{invitation['id']}/accept")
        room_id = self.create_room(host, title=title, start=True)
        self.api(host, "PUT", f"/api/rooms/{room_id}/pinned", {"product_id": created["id"]})
        return host, merchant, created, room_id

    def room_coupon_drop(self, host: User, room_id: int, *, name: str, code: str) -> dict[str, Any]:
        """The room host's coupon drop: 20 off, 50 of them, from a minute ago for an hour."""
        now = utcnow()
        body = {
            "code": self.unique(code).replace("_", ""),
            "name": name,
            "kind": "fixed",
            "amount": 2_000,
            "room_id": room_id,
            "starts_at": (now - timedelta(minutes=1)).isoformat(),
            "ends_at": (now + timedelta(hours=1)).isoformat(),
            "total_quantity": 50,
        }
        coupon: dict[str, Any] = self.api(host, "POST", "/api/coupons", body, expect=201)
        return coupon


@pytest.fixture(scope="module")
def server(
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
    sqlite_template: Path,
) -> Iterator[LiveServer]:
    """The module's server; a module's ``SERVER_ENVIRONMENT`` dict adds LIVESHOP_* settings."""
    home = tmp_path_factory.mktemp("liveshop_home")
    settings = Settings(home=home)
    database_url = settings.resolved_database_url()
    assert database_url == f"sqlite:///{home / 'liveshop.db'}", database_url
    shutil.copy(sqlite_template, home / "liveshop.db")  # migrated once per worker
    port = free_port()
    env = os.environ | {"LIVESHOP_HOME": str(home)}
    env.pop("LIVESHOP_DATABASE_URL", None)
    env.pop("LIVESHOP_REDIS_URL", None)
    env |= getattr(request.module, "SERVER_ENVIRONMENT", {})
    log = (home / "server.log").open("wb")
    process = subprocess.Popen(
        [sys.executable, "-m", "liveshop.cli", "serve", "--port", str(port)],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base_url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + SERVER_START_SECONDS
    while True:
        if process.poll() is not None:
            raise RuntimeError(f"the server exited: {(home / 'server.log').read_text()}")
        try:
            if httpx.get(f"{base_url}/healthz", timeout=1).status_code == 200:
                break
        except httpx.TransportError:
            pass
        if time.monotonic() > deadline:
            process.kill()
            raise RuntimeError("the server did not answer /healthz in time")
        time.sleep(0.1)
    try:
        yield LiveServer(base_url=base_url, database_url=database_url, home=home)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


class PageOpener:
    """Opens pages in fresh browser contexts, signed in as ``user`` if given.

    It records every page's script dialogs and page errors, so a test can
    assert that nothing ran and nothing broke, and every Content-Security-Policy
    violation the browser reports, which fail the test (see ``new_page``).
    """

    def __init__(self, server: LiveServer, browser: Browser) -> None:
        self.server = server
        self.browser = browser
        self.contexts: list[BrowserContext] = []
        self.dialogs: dict[Page, list[str]] = {}
        self.errors: dict[Page, list[str]] = {}
        self.csp_violations: dict[Page, list[str]] = {}

    def __call__(self, user: User | None = None, path: str = "/") -> Page:
        context = self.browser.new_context(base_url=self.server.base_url, locale="zh-CN")
        self.contexts.append(context)
        if user is not None:
            context.add_cookies(
                [
                    {
                        "name": "liveshop_session",
                        "value": self.server.session_token(user),
                        "url": self.server.base_url,
                        "httpOnly": True,
                        "sameSite": "Lax",
                    }
                ]
            )
        page = context.new_page()
        page.set_default_timeout(PAGE_TIMEOUT_MS)
        dialogs = self.dialogs[page] = []
        errors = self.errors[page] = []

        def on_dialog(dialog: Dialog) -> None:
            dialogs.append(dialog.message)
            dialog.dismiss()

        page.on("dialog", on_dialog)
        page.on("pageerror", lambda error: errors.append(str(error)))
        violations = self.csp_violations[page] = []

        def on_console(message: ConsoleMessage) -> None:
            if "Content Security Policy" in message.text:
                violations.append(f"{page.url}: {message.text}")

        page.on("console", on_console)
        page.goto(path)
        return page

    def close(self) -> None:
        for context in self.contexts:
            context.close()


@pytest.fixture
def new_page(server: LiveServer, browser: Browser) -> Iterator[PageOpener]:
    opener = PageOpener(server, browser)
    yield opener
    opener.close()
    violations = [text for texts in opener.csp_violations.values() for text in texts]
    assert violations == [], "the pages broke their Content-Security-Policy"


def expect_image_loaded(image: Locator) -> None:
    """The image has loaded and decoded to a picture. (Playwright's wait_for_function polls
    a string by eval, which the pages' Content-Security-Policy refuses.)"""
    expect(image).to_have_js_property("complete", True)
    assert image.evaluate("(img) => img.naturalWidth") > 0


@pytest.fixture
def open_page(server: LiveServer, browser: Browser) -> Iterator[OpenPage]:
    """Pages in a browser whose language is ``locale`` (its Accept-Language and
    navigator.language) at one of :data:`SIZES`, failing the test on a script error or a
    CSP violation: ``open_page(user, path, locale="en", size="phone")``."""
    contexts: list[BrowserContext] = []
    problems: list[str] = []

    def open_(user: User | None, path: str, *, locale: str, size: str) -> Page:
        context = browser.new_context(base_url=server.base_url, locale=locale, viewport=SIZES[size])
        contexts.append(context)
        if user is not None:
            token = server.session_token(user)
            context.add_cookies(
                [{"name": "liveshop_session", "value": token, "url": server.base_url}]
            )
        page = context.new_page()
        page.set_default_timeout(PAGE_TIMEOUT_MS)
        page.on("pageerror", lambda error: problems.append(f"{page.url}: {error}"))
        page.on(
            "console",
            lambda message: (
                problems.append(f"{page.url}: {message.text}")
                if "Content Security Policy" in message.text
                else None
            ),
        )
        page.goto(path)
        return page

    yield open_
    for context in contexts:
        context.close()
    assert problems == []

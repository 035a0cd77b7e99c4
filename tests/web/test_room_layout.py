"""The room on a phone (390x844) and on a desktop (1280x800): the page is no wider than the
viewport, the top bar keeps the brand on one line, the buttons a viewer taps (like, buy,
gift, shelf, flash-sale grab) are not covered by an overlay and each receives a click at its
centre, red packets take one place on the stage (used ones leave it) and 已抢完 stays on
one line.

Set LIVESHOP_SCREENSHOT_DIR to keep screenshots of the room at both sizes.
"""

from __future__ import annotations

import os
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from playwright.sync_api import Page, expect

if TYPE_CHECKING:
    from tests.web.conftest import LiveServer
    from tests.web.conftest import PageOpener as NewPage

pytestmark = pytest.mark.browser

SIZES = {"phone": {"width": 390, "height": 844}, "desktop": {"width": 1280, "height": 800}}
BUTTONS = ["#like-btn", "#buy-btn", "#gift-btn", "#shelf-btn", "#flash-buy-btn"]
# the card a button sits on is not in its way
OWN_CARD = {"#buy-btn": "#pinned", "#flash-buy-btn": "#flash-banner"}
OVERLAYS = ["#red-packets .red-packet", "#flash-banner", "#pinned", ".stage-top", ".video-chat"]


def _screenshot(page: Page, name: str) -> None:
    folder = os.environ.get("LIVESHOP_SCREENSHOT_DIR")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.wait_for_timeout(400)
        page.screenshot(path=str(Path(folder) / f"{name}.png"))


def _iso(seconds: float) -> str:
    return (datetime.now(UTC) + timedelta(seconds=seconds)).isoformat()


def _key() -> dict[str, str]:
    return {"Idempotency-Key": uuid.uuid4().hex}


def _busy_room(server: LiveServer) -> tuple[int, Any]:
    """A live room with a pinned product, a running flash sale and three red packets, one
    of them already grabbed out by a fan."""
    coat_product = {"title": "加厚羽绒服 冬季新款 长款过膝", "price": 29900, "stock": 50}
    host, _merchant, coat, room_id = server.selling_room(title="冬季专场", product=coat_product)
    sale = {
        "room_id": room_id,
        "sku_id": coat["skus"][0]["id"],
        "price": 9900,
        "quantity": 10,
        "per_user_limit": 1,
        "starts_at": _iso(-1),
        "ends_at": _iso(600),
    }
    server.api(host, "POST", "/api/flash-sales", sale, expect=201)
    card = server.api(
        host,
        "POST",
        "/api/payment-methods",
        {
            "card_number": "4242424242424242",
            "exp_month": 12,
            "exp_year": 2034,
            "cvc": "123",
            "save_consent": True,
        },
        expect=201,
        headers=_key(),
    )
    top_up = {"kind": "wallet", "amount": 5000, "method": "card", "payment_method_id": card["id"]}
    server.api(host, "POST", "/api/top-ups", top_up, expect=201, headers=_key())
    packets = [
        server.api(
            host,
            "POST",
            f"/api/rooms/{room_id}/red-packets",
            {"total": 100, "shares": 1, "greeting": "恭喜发财", "minutes": 5},
            expect=201,
            headers=_key(),
        )
        for _ in range(3)
    ]
    fan = server.create_user(server.unique("fan"))
    server.api(fan, "POST", f"/api/red-packets/{packets[0]['id']}/grab", expect=201)
    return room_id, host


def _box(page: Page, selector: str) -> list[dict[str, float]]:
    boxes: list[dict[str, float]] = page.eval_on_selector_all(
        selector,
        """(nodes) => nodes
             .filter((n) => n.offsetParent !== null && getComputedStyle(n).display !== "none")
             .map((n) => n.getBoundingClientRect())
             .map((r) => ({x: r.x, y: r.y, w: r.width, h: r.height}))
             .filter((r) => r.w > 0 && r.h > 0)""",
    )
    return boxes


def _intersect(a: dict[str, float], b: dict[str, float]) -> bool:
    return (
        a["x"] < b["x"] + b["w"]
        and b["x"] < a["x"] + a["w"]
        and a["y"] < b["y"] + b["h"]
        and b["y"] < a["y"] + a["h"]
    )


@pytest.mark.parametrize("size", list(SIZES))
def test_the_room_fits_the_screen_and_nothing_covers_its_buttons(
    server: LiveServer, new_page: NewPage, size: str
) -> None:
    room_id, _host = _busy_room(server)
    viewer = server.create_user(server.unique("phoneviewer"))
    page = new_page(viewer, "/")
    page.set_viewport_size(SIZES[size])
    page.goto(f"/rooms/{room_id}")
    expect(page.locator("#conn")).to_have_attribute("data-state", "open")
    expect(page.locator("#conn")).to_be_hidden()  # no connection words while connected
    expect(page.locator("#flash-banner")).to_be_visible()
    expect(page.locator("#pinned")).to_be_visible()
    packets = page.locator("#red-packets .red-packet")
    expect(packets.first).to_be_visible()
    page.wait_for_timeout(500)
    _screenshot(page, f"room-{size}")
    expect(packets).to_have_count(1)  # one envelope on the stage, not a pile

    width = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert width[0] <= width[1], f"the page is {width[0]} px wide in a {width[1]} px viewport"
    brand = page.locator(".topbar .brand").bounding_box()
    assert brand is not None
    assert brand["height"] < 40, brand  # one line, not a column
    # every account link is reachable: inside the bar (which scrolls sideways) or on screen
    for link in ("#nav-orders", "#nav-security", "#logout-btn"):
        page.locator(link).scroll_into_view_if_needed()
        expect(page.locator(link)).to_be_in_viewport()
        page.locator(link).click(trial=True)
    page.evaluate("window.scrollTo(0, 0); document.querySelector('.topnav').scrollLeft = 0")

    overlays = {selector: _box(page, selector) for selector in OVERLAYS}
    for button in BUTTONS:
        box = _box(page, button)
        assert len(box) == 1, (button, box)
        for selector, boxes in overlays.items():
            if OWN_CARD.get(button) == selector:
                continue
            for other in boxes:
                assert not _intersect(box[0], other), f"{selector} covers {button} at {size}"
        centre_is_button = page.eval_on_selector(
            button,
            """(node) => { const r = node.getBoundingClientRect();
                 const hit = document.elementFromPoint(r.x + r.width / 2, r.y + r.height / 2);
                 return hit === node || node.contains(hit); }""",
        )
        assert centre_is_button, f"something over {button} at {size}"
        page.locator(button).click(trial=True, timeout=3000)

    grab = packets.locator(".red-packet-grab")
    grab.click()
    expect(packets).to_have_count(1)
    # the next packet, open, takes its place once the result has been read
    expect(packets.locator(".red-packet-grab")).to_have_text("抢", timeout=15_000)
    page.wait_for_timeout(300)
    assert new_page.errors[page] == []


def test_a_grabbed_out_packet_says_so_on_one_line(server: LiveServer, new_page: NewPage) -> None:
    room_id, _host = _busy_room(server)
    viewer = server.create_user(server.unique("lateviewer"))
    page = new_page(viewer, "/")
    page.set_viewport_size(SIZES["phone"])
    page.goto(f"/rooms/{room_id}")
    expect(page.locator("#conn")).to_have_attribute("data-state", "open")
    packets = page.locator("#red-packets .red-packet")
    expect(packets).to_have_count(1)
    # the other two are grabbed out by fans while the viewer watches
    previous = 0
    for _ in range(2):
        button = packets.locator(".red-packet-grab")
        expect(button).to_have_text("抢", timeout=15_000)
        shown = int(packets.first.get_attribute("data-packet-id") or 0)
        assert shown != previous
        fan = server.create_user(server.unique("quickfan"))
        server.api(fan, "POST", f"/api/red-packets/{shown}/grab", expect=201)
        expect(button).to_have_text("已抢完")
        height = button.evaluate("(node) => node.getBoundingClientRect().height")
        line = button.evaluate("(node) => parseFloat(getComputedStyle(node).lineHeight) || 24")
        assert height < 2 * line, f"已抢完 wraps: {height} px for a {line} px line"
        expect(packets).to_have_count(1)
        previous = shown
    # used packets leave the stage
    expect(packets).to_have_count(0, timeout=15_000)
    assert new_page.errors[page] == []

"""The room on a phone (390x844) and on a desktop (1280x800): the page is no wider than the
viewport, the top bar keeps the brand on one line, the buttons a viewer taps (like, buy,
gift, shelf, flash-sale grab) are not covered by an overlay and each receives a click at its
centre, red packets take one place on the stage (used ones leave it) and 已抢完 stays on
one line. With every kind of overlay shown at once (an auction, a flash sale, the pinned
card, a red packet, a gift banner, danmaku or the chat over the video), in Chinese and in
English, each keeps its own lane: no two overlap, none covers a control, and each stays on
the stage; so do the stage's top bar (a host named as long as names come, the viewer
count, the connection pill while it reconnects), the room's title (one line, however long)
and the tap-for-sound button a muted autoplay shows, and a toast shows off the stage.

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
    from tests.web.conftest import LiveServer, OpenPage
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


def _top_up(server: LiveServer, user: Any, kind: str, amount: int) -> None:
    """``amount`` 分 into the user's wallet or coins, paid by a new card."""
    body = {
        "card_number": "4242424242424242",
        "exp_month": 12,
        "exp_year": 2034,
        "cvc": "123",
        "save_consent": True,
    }
    card = server.api(user, "POST", "/api/payment-methods", body, expect=201, headers=_key())
    top_up = {"kind": kind, "amount": amount, "method": "card", "payment_method_id": card["id"]}
    server.api(user, "POST", "/api/top-ups", top_up, expect=201, headers=_key())


def _busy_room(server: LiveServer) -> tuple[int, Any, Any]:
    """A live room with a pinned product, a running flash sale and three red packets, one
    of them already grabbed out by a fan: (room id, host, merchant)."""
    coat_product = {"title": "加厚羽绒服 冬季新款 长款过膝", "price": 29900, "stock": 50}
    # longer than a line on the stage
    title = "冬季专场 · 加厚羽绒服 羊毛大衣 围巾手套 全场包邮 下单再送暖宝宝 限时三天"
    host_name = "Winter-Outlet_Official_Flagship_Store"  # a host's name as long as they come
    host, merchant, coat, room_id = server.selling_room(
        title=title, product=coat_product, host_name=host_name
    )
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
    _top_up(server, host, "wallet", 5000)
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
    return room_id, host, merchant


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
    room_id, _host, _merchant = _busy_room(server)
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
    room_id, _host, _merchant = _busy_room(server)
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


# What shows over the video, one lane per kind; danmaku and gift banners move inside theirs.
STAGE_OVERLAYS = {
    "host": ".host-chip",
    "counters": ".stage-counters > *",
    "sound": "#unmute-btn",
    "title": ".stage-title",
    "flash sale": "#flash-banner",
    "auction": ".auction-card",
    "pinned card": "#pinned",
    "red packet": "#red-packets .red-packet",
    "gift banners": "#gift-layer",
    "danmaku": "#danmaku",
    "chat": ".video-chat",
}
CONTROLS = "button, a[href], input, select, textarea"
# the controls an overlay that does not hold them covers
COVERED_CONTROLS = """(controls, overlays) => {
  const shown = (n) => n.checkVisibility() && n.getBoundingClientRect().width > 0;
  const lanes = overlays.flatMap((sel) => [...document.querySelectorAll(sel)]).filter(shown);
  const meet = (a, b) =>
    a.left < b.right && b.left < a.right && a.top < b.bottom && b.top < a.bottom;
  const name = (n) => n.id || n.className || n.tagName;
  return controls.filter(shown).flatMap((control) => lanes
    .filter((lane) => !lane.contains(control))
    .filter((lane) => meet(lane.getBoundingClientRect(), control.getBoundingClientRect()))
    .map((lane) => `${name(lane)} covers ${name(control)}`));
}"""


# what the stage shows while the video plays muted (autoplay) and the connection is lost:
# the tap-for-sound button and the connection pill, with the page's own words
MUTED_AND_RECONNECTING = """async () => {
  document.getElementById("unmute-btn").hidden = false;
  const { showConnection } = await import("/static/live.js");
  const pill = document.getElementById("conn");
  showConnection(pill, "reconnecting", "websocket", { quietWhenOpen: true });
}"""


# the moving ones held where they are, the gift banner a moment in, where it rests
HOLD_ANIMATIONS = """document.getAnimations().forEach((a) => {
  a.pause();
  if (a.effect.target.closest("#gift-layer")) a.currentTime = 1200;
})"""


def _start_auction(server: LiveServer, host: Any, merchant: Any, room_id: int) -> None:
    vase = server.create_product(merchant, title="青花瓷瓶 明代风格 手绘", price=99_900, stock=1)
    body = {"room_id": room_id, "sku_id": vase["skus"][0]["id"], "starting_price": 10_000}
    body["duration_seconds"] = 600
    auction = server.api(host, "POST", "/api/auctions", body, expect=201)
    server.api(host, "POST", f"/api/auctions/{auction['id']}/start")


def _overlay_boxes(page: Page) -> dict[str, list[dict[str, float]]]:
    """The shown overlays' boxes; a lane counts while something plays in it."""
    boxes: dict[str, list[dict[str, float]]] = {}
    for kind, selector in STAGE_OVERLAYS.items():
        shown = page.eval_on_selector_all(
            selector,
            """(nodes) => nodes
                 .filter((n) => n.checkVisibility() && (n.id !== "gift-layer" && n.id !== "danmaku"
                   || n.childElementCount > 0))
                 .map((n) => n.getBoundingClientRect())
                 .filter((r) => r.width > 0 && r.height > 0)
                 .map((r) => ({x: r.x, y: r.y, w: r.width, h: r.height}))""",
        )
        if shown:
            boxes[kind] = shown
    return boxes


def _lane_problems(page: Page) -> list[str]:
    """Overlays on each other, over a control that is not theirs, or off the stage."""
    stage = _box(page, "#video-box")[0]
    boxes = _overlay_boxes(page)
    problems = []
    kinds = list(boxes)
    for i, kind in enumerate(kinds):
        for box in boxes[kind]:
            inside = (
                box["x"] >= stage["x"] - 0.5
                and box["y"] >= stage["y"] - 0.5
                and box["x"] + box["w"] <= stage["x"] + stage["w"] + 0.5
                and box["y"] + box["h"] <= stage["y"] + stage["h"] + 0.5
            )
            if not inside:
                problems.append(f"{kind} {box} leaves the stage {stage}")
            for other in kinds[i + 1 :]:
                problems += [
                    f"{kind} {box} overlaps {other} {theirs}"
                    for theirs in boxes[other]
                    if _intersect(box, theirs)
                ]
    covered: list[str] = page.eval_on_selector_all(
        CONTROLS, COVERED_CONTROLS, list(STAGE_OVERLAYS.values())
    )
    return problems + covered


# an element's box, fixed ones too (_box keeps those in the page's flow)
RECT = """(n) => { const r = n.getBoundingClientRect();
  return {x: r.x, y: r.y, w: r.width, h: r.height}; }"""


def _check_sound_and_toast(page: Page, size: str) -> None:
    """Tap for sound shows its words whole and takes a tap; a toast (a claimed coupon, a
    draw joined, a bid) shows off the stage, not over a lane."""
    sound = page.locator("#unmute-btn")
    assert sound.evaluate("(n) => n.scrollWidth <= n.clientWidth"), (
        f"tap for sound is cut at {size}"
    )
    sound.click(trial=True)
    page.evaluate("""async () => (await import("/static/common.js")).toast(
      document.getElementById("room-title").textContent)""")
    toast = page.locator("#toast")
    expect(toast).to_be_visible()
    shown, stage = page.eval_on_selector("#toast", RECT), page.eval_on_selector("#video-box", RECT)
    assert not _intersect(shown, stage), f"the toast {shown} is on the stage {stage}"


@pytest.mark.parametrize("locale", ["zh-CN", "en"])
@pytest.mark.parametrize("size", list(SIZES))
def test_every_overlay_keeps_its_lane(
    server: LiveServer, open_page: OpenPage, size: str, locale: str
) -> None:
    room_id, host, merchant = _busy_room(server)
    _start_auction(server, host, merchant, room_id)
    fan = server.create_user(server.unique("giftfan"))
    _top_up(server, fan, "coins", 1000)
    viewer = server.create_user(server.unique("laneviewer"))
    page = open_page(viewer, f"/rooms/{room_id}", locale=locale, size=size)
    expect(page.locator("#conn")).to_have_attribute("data-state", "open")
    for shown in ("#flash-banner", "#pinned", ".auction-card", "#red-packets .red-packet"):
        expect(page.locator(shown)).to_be_visible()
    page.locator("#chat-input").fill("这件瓷瓶有证书吗")
    page.locator("#chat-send").click()
    for gift in ({"gift": "rose", "count": 3}, {"gift": "lightstick", "count": 1}):
        server.api(fan, "POST", f"/api/rooms/{room_id}/gifts", gift, expect=201, headers=_key())
    expect(page.locator("#chat-list .kind-gift")).to_have_count(2)
    expect(page.locator("#gift-layer .gift-anim")).to_have_count(1)  # the second one waits
    lines = page.locator(".video-chat .video-chat-line" if size == "phone" else ".danmaku-line")
    expect(lines.first).to_be_attached()
    page.evaluate(HOLD_ANIMATIONS)
    page.evaluate(MUTED_AND_RECONNECTING)
    page.evaluate("window.scrollTo(0, 0)")
    _screenshot(page, f"room-lanes-{size}-{locale}")
    problems = _lane_problems(page)
    assert problems == [], "\n".join(problems)
    _check_sound_and_toast(page, size)
    # the waiting gift plays in the same lane once the first has ended
    page.evaluate("document.getAnimations().forEach((a) => a.play())")
    expect(page.locator('#gift-layer .gift-anim[data-animation="burst"]')).to_have_count(1)
    expect(page.locator("#gift-layer .gift-anim")).to_have_count(1)
    page.evaluate(HOLD_ANIMATIONS)
    _screenshot(page, f"room-lanes-{size}-{locale}-next-gift")
    problems = _lane_problems(page)
    assert problems == [], "\n".join(problems)

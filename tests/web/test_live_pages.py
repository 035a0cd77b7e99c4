"""The pages in a real browser: chat between viewers, host pins, XSS, SSE fallback, login."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

import pytest
from playwright.sync_api import Page, WebSocketRoute, expect

from liveshop.accounts.models import Role

if TYPE_CHECKING:
    from tests.web.conftest import LiveServer
    from tests.web.conftest import PageOpener as NewPage

pytestmark = pytest.mark.browser


def _wait_connected(page: Page, transport: str = "websocket") -> None:
    expect(page.locator("#conn")).to_have_attribute("data-state", "open")
    expect(page.locator("#conn")).to_have_attribute("data-transport", transport)


def _say(page: Page, text: str) -> None:
    page.fill("#chat-input", text)
    page.press("#chat-input", "Enter")


def _chat_texts(page: Page) -> list[str]:
    return page.locator("#chat-list .chat-line .text").all_text_contents()


def test_a_comment_reaches_another_viewer(server: LiveServer, new_page: NewPage) -> None:
    host = server.create_user(server.unique("host"), Role.HOST)
    alice = server.create_user(server.unique("alice"))
    bob = server.create_user(server.unique("bob"))
    room_id = server.create_room(host, title="冬季羽绒服专场", start=True)
    alice_page = new_page(alice, f"/rooms/{room_id}")
    bob_page = new_page(bob, f"/rooms/{room_id}")
    _wait_connected(alice_page)
    _wait_connected(bob_page)

    # How fast a comment travels is benchmarks/fanout.py's to measure, on a quiet machine;
    # here: it arrives, once, in the other viewer's chat and danmaku.
    _say(alice_page, "主播好 hello")
    line = bob_page.locator("#chat-list .chat-line", has_text="主播好 hello")
    expect(line).to_have_count(1)
    expect(line.locator(".user")).to_have_text(alice.username)
    expect(bob_page.locator("#danmaku .danmaku-line", has_text="主播好 hello")).to_have_count(1)
    # The author sees the line once: the acknowledgement and the frame are deduplicated.
    expect(alice_page.locator("#chat-list .chat-line", has_text="主播好 hello")).to_have_count(1)
    expect(alice_page.locator("#chat-input")).to_have_value("")
    expect(bob_page.locator("#viewer-count")).to_have_text("2")
    assert _chat_texts(bob_page) == ["主播好 hello"]
    assert new_page.errors[alice_page] == new_page.errors[bob_page] == []


def test_likes_are_coalesced_and_reach_the_room_total(
    server: LiveServer, new_page: NewPage
) -> None:
    host = server.create_user(server.unique("host"), Role.HOST)
    fan = server.create_user(server.unique("fan"))
    room_id = server.create_room(host, title="点赞测试", start=True)
    fan_page = new_page(fan, f"/rooms/{room_id}")
    watcher = new_page(None, f"/rooms/{room_id}")
    _wait_connected(fan_page)
    _wait_connected(watcher)

    for _ in range(7):
        fan_page.click("#like-btn")
    expect(fan_page.locator("#hearts .heart").first).to_be_visible()
    expect(watcher.locator("#like-total")).to_have_text("7", timeout=2000)
    # An anonymous viewer may watch but not chat: the input says to log in.
    expect(watcher.locator("#chat-input")).to_be_disabled()
    expect(watcher.locator("#chat-input")).to_have_attribute("placeholder", "登录后参与聊天")


def test_a_pinned_product_shows_on_the_viewer_page(server: LiveServer, new_page: NewPage) -> None:
    host = server.create_user(server.unique("host"), Role.HOST)
    merchant = server.create_user(server.unique("merchant"), Role.MERCHANT)
    viewer = server.create_user(server.unique("viewer"))
    coat = server.create_product(
        merchant,
        title="轻薄羽绒服 90% 白鸭绒",
        skus=[
            {"options": {"尺码": "M"}, "price": 29900, "stock": 5},
            {"options": {"尺码": "L"}, "price": 31900, "stock": 0},
        ],
    )
    scarf = server.create_product(merchant, title="羊毛围巾", price=5990, stock=3)
    room_id = server.create_room(host, title="好物推荐", start=False)
    console = new_page(host, f"/host/rooms/{room_id}")
    _wait_connected(console)
    viewer_page = new_page(viewer, f"/rooms/{room_id}")
    _wait_connected(viewer_page)
    expect(viewer_page.locator("#pinned")).to_be_hidden()
    expect(viewer_page.locator("#status-overlay")).to_be_visible()

    console.click("#start-btn")
    expect(console.locator("#room-status")).to_have_text("直播中")
    expect(viewer_page.locator("#status-overlay")).to_be_hidden()

    # The host loads the merchant's shop and pins the coat from it (which shelves it).
    # (picked by the shop's name: typing part of it finds it and selects it)
    shop_name = server.api(merchant, "GET", "/api/shops/mine")["name"]
    console.fill("#shop-search", shop_name[1:])
    expect(console.locator("#shop-id option:checked")).to_have_text(shop_name)
    console.click("#shop-load")
    console.locator(f'#shop-products [data-product-id="{coat["id"]}"] .pin-btn').click()
    card = viewer_page.locator("#pinned")
    expect(card).to_be_visible(timeout=1500)
    expect(card.locator("#pinned-title")).to_have_text("轻薄羽绒服 90% 白鸭绒")
    expect(card.locator("#pinned-price")).to_have_text("¥299.00")
    expect(card.locator(".sku-chip")).to_have_text(["M", "L"])
    expect(card.locator('.sku-chip[aria-pressed="true"]')).to_have_text("M")
    expect(card.locator(".sku-chip", has_text="L")).to_be_disabled()  # sold out
    expect(console.locator("#pinned-preview-price")).to_have_text("¥299.00")
    expect(console.locator("#host-shelf .host-product-title")).to_have_text(
        ["轻薄羽绒服 90% 白鸭绒"]
    )

    # A product added from the shop's list goes on the shelf; pinning it switches the card.
    console.locator(f'#shop-products [data-product-id="{scarf["id"]}"] .shelf-add-btn').click()
    shelf = console.locator("#host-shelf .host-product-title")
    expect(shelf).to_have_text(["轻薄羽绒服 90% 白鸭绒", "羊毛围巾"])
    console.locator(f'#host-shelf [data-product-id="{scarf["id"]}"] .pin-btn').click()
    expect(card.locator("#pinned-price")).to_have_text("¥59.90", timeout=1500)
    expect(card.locator(".sku-chip")).to_have_count(0)
    assert server.api(host, "GET", f"/api/rooms/{room_id}/shelf")[1]["id"] == scarf["id"]

    console.click("#unpin-btn")
    expect(card).to_be_hidden(timeout=1500)

    console.fill("#announce-input", "8 点整开抢")
    console.click("#announce-btn")
    notice = viewer_page.locator("#chat-list .kind-announcement")
    expect(notice.locator(".text")).to_have_text("8 点整开抢", timeout=1500)
    assert new_page.errors[console] == new_page.errors[viewer_page] == []


def test_host_console_mutes_a_viewer_from_the_chat(server: LiveServer, new_page: NewPage) -> None:
    host = server.create_user(server.unique("host"), Role.HOST)
    chatty = server.create_user(server.unique("chatty"))
    room_id = server.create_room(host, title="禁言测试", start=True)
    console = new_page(host, f"/host/rooms/{room_id}")
    chatty_page = new_page(chatty, f"/rooms/{room_id}")
    _wait_connected(console)
    _wait_connected(chatty_page)

    _say(chatty_page, "广告广告")
    line = console.locator("#chat-list .chat-line", has_text="广告广告")
    expect(line).to_have_count(1, timeout=1500)
    expect(console.locator("#comments-per-minute")).to_have_text("1", timeout=2000)
    console.fill("#restrict-minutes", "5")
    line.locator('button[data-action="mute"]').click()
    expect(line).to_have_class(re.compile(r"\bwas-mute\b"))
    expect(chatty_page.locator("#chat-input")).to_be_disabled(timeout=1500)
    expect(chatty_page.locator("#chat-input")).to_have_attribute(
        "placeholder", "你已被禁言，约 5 分钟后恢复"
    )
    # A muted viewer's message is refused, and nobody sees it.
    chatty_page.evaluate("document.getElementById('chat-input').disabled = false")
    _say(chatty_page, "禁言中还想说")
    expect(chatty_page.locator("#toast")).to_have_text("你已被禁言")

    line.locator('button[data-action="kick"]').click()
    expect(chatty_page.locator("#conn")).to_have_attribute("data-state", "kicked", timeout=1500)
    expect(chatty_page.locator("#conn")).to_have_text("你已被移出直播间")
    texts = console.locator("#chat-list .chat-line .text").all_text_contents()
    assert texts == ["广告广告"]


def test_an_xss_payload_is_shown_literally_and_runs_nothing(
    server: LiveServer, new_page: NewPage
) -> None:
    host = server.create_user(server.unique("host"), Role.HOST)
    merchant = server.create_user(server.unique("merchant"), Role.MERCHANT)
    mallory = server.create_user(server.unique("mallory"))
    victim = server.create_user(server.unique("victim"))
    room_id = server.create_room(host, title="<script>alert('title')</script>", start=True)
    # Usernames are checked for every caller now; product titles are free text.
    product_title = "<img src=x onerror=alert(2)><b>围巾</b>"
    product = server.create_product(
        merchant,
        title=product_title,
        skus=[
            {"options": {"<i>色</i>": "<img src=y onerror=alert(3)>"}, "price": 100, "stock": 1},
            {"options": {"<i>色</i>": "白"}, "price": 200, "stock": 1},
        ],
    )
    server.api(host, "PUT", f"/api/rooms/{room_id}/pinned", {"product_id": product["id"]})
    attacker_page = new_page(mallory, f"/rooms/{room_id}")
    victim_page = new_page(victim, f"/rooms/{room_id}")
    _wait_connected(attacker_page)
    _wait_connected(victim_page)

    payload = "<img src=x onerror=alert(1)>"
    _say(attacker_page, payload)
    line = victim_page.locator("#chat-list .chat-line").last
    expect(line.locator(".text")).to_have_text(payload, timeout=1500)
    expect(line.locator(".user")).to_have_text(mallory.username)
    expect(victim_page.locator("#danmaku .danmaku-line").first).to_have_text(payload)
    expect(victim_page.locator("#room-title")).to_have_text("<script>alert('title')</script>")
    expect(victim_page.locator("#pinned-title")).to_have_text(product_title)
    expect(victim_page.locator("#pinned .sku-chip")).to_have_text(
        ["<img src=y onerror=alert(3)>", "白"]
    )
    victim_page.click("#shelf-btn")
    expect(victim_page.locator("#shelf-list .shelf-title")).to_have_text(["讲解中" + product_title])
    victim_page.wait_for_timeout(300)  # give an injected onerror handler time to fire
    injected = "#chat-list img, #danmaku img, #chat-list b, #pinned b, #pinned i, #shelf-list b"
    assert victim_page.locator(injected).count() == 0
    assert victim_page.locator("#pinned img:not(#pinned-img), #shelf-list img").count() == 0
    assert new_page.dialogs[victim_page] == []
    assert new_page.errors[victim_page] == []
    # no inline script but the pages' JSON data blocks (never run: test_security_headers.py)
    inline = "script:not([src]):not([type='application/json'])"
    assert victim_page.evaluate(f'document.querySelectorAll("{inline}").length') == 0


def test_server_sent_events_fallback_sees_and_sends_comments(
    server: LiveServer, new_page: NewPage
) -> None:
    host = server.create_user(server.unique("host"), Role.HOST)
    carol = server.create_user(server.unique("carol"))
    dave = server.create_user(server.unique("dave"))
    room_id = server.create_room(host, title="SSE 测试", start=True)
    sse_page = new_page(carol, f"/rooms/{room_id}?transport=sse")
    ws_page = new_page(dave, f"/rooms/{room_id}")
    _wait_connected(sse_page, "sse")
    _wait_connected(ws_page)

    _say(ws_page, "来自 WebSocket")
    expect(sse_page.locator("#chat-list .chat-line .text")).to_have_text(
        ["来自 WebSocket"], timeout=1500
    )
    # Talking back goes over HTTP with the CSRF header.
    _say(sse_page, "来自 SSE")
    expect(ws_page.locator("#chat-list .chat-line .text")).to_have_text(
        ["来自 WebSocket", "来自 SSE"], timeout=1500
    )
    expect(sse_page.locator("#chat-list .chat-line", has_text="来自 SSE")).to_have_count(1)
    assert new_page.errors[sse_page] == []


def test_websocket_failure_falls_back_to_server_sent_events(
    server: LiveServer, new_page: NewPage
) -> None:
    host = server.create_user(server.unique("host"), Role.HOST)
    room_id = server.create_room(host, title="断线测试", start=True)
    page = new_page(None, "/")
    page.context.route_web_socket(re.compile(r"/ws/rooms/"), lambda route: route.close())
    page.goto(f"/rooms/{room_id}")
    _wait_connected(page, "sse")


def test_register_log_out_and_log_in(server: LiveServer, new_page: NewPage) -> None:
    username = server.unique("新用户")
    page = new_page(None, "/register")
    page.fill("#username", username)
    page.fill("#password", server.password)
    page.click("#submit-btn")
    expect(page).to_have_url(f"{server.base_url}/")
    expect(page.locator("#nav-user .who-name")).to_have_text(username)

    page.click("#logout-btn")
    expect(page.locator("#nav-login")).to_be_visible()
    expect(page.locator("#nav-user")).to_have_count(0)

    page.goto("/login")
    page.fill("#username", username)
    page.fill("#password", "wrong-password")
    page.click("#submit-btn")
    expect(page.locator("#form-error")).to_have_text("用户名或密码不正确")  # the page's words
    expect(page.locator("#nav-user")).to_have_count(0)

    page.fill("#username", username)
    page.fill("#password", server.password)
    page.click("#submit-btn")
    expect(page.locator("#nav-user .who-name")).to_have_text(username)

    # A taken name is refused with the reason, and nobody gets signed in.
    other = new_page(None, "/register")
    other.fill("#username", username)
    other.fill("#password", server.password)
    other.click("#submit-btn")
    expect(other.locator("#form-error")).to_have_text("这个用户名已被注册，请换一个")
    expect(other.locator("#nav-user")).to_have_count(0)

    # The form checks names like the JSON API does: markup is not a username.
    other.goto("/register")
    other.fill("#username", "<b>bad</b>")
    other.fill("#password", server.password)
    other.evaluate("document.getElementById('auth-form').noValidate = true")
    other.click("#submit-btn")
    expect(other.locator("#form-error")).to_have_text(
        "用户名需要 3-40 个字母、数字、下划线、横线或汉字"
    )
    expect(other.locator("#nav-user")).to_have_count(0)


def test_home_lists_live_and_upcoming_rooms(server: LiveServer, new_page: NewPage) -> None:
    host = server.create_user(server.unique("host"), Role.HOST)
    live_id = server.create_room(host, title="正在播的房间", start=True)
    soon_id = server.create_room(host, title="明晚的预告", start=False)
    page = new_page(None, "/")
    expect(page.locator(f'#live-now a[data-room-id="{live_id}"] .room-title')).to_have_text(
        "正在播的房间"
    )
    expect(page.locator(f'#upcoming a[data-room-id="{soon_id}"] .room-title')).to_have_text(
        "明晚的预告"
    )
    page.click(f'#upcoming a[data-room-id="{soon_id}"]')
    expect(page).to_have_url(f"{server.base_url}/rooms/{soon_id}")
    expect(page.locator("#status-overlay")).to_be_visible()


def test_a_dropped_websocket_reconnects_and_resumes(server: LiveServer, new_page: NewPage) -> None:
    host = server.create_user(server.unique("host"), Role.HOST)
    erin = server.create_user(server.unique("erin"))
    frank = server.create_user(server.unique("frank"))
    room_id = server.create_room(host, title="重连测试", start=True)
    routes: list[WebSocketRoute] = []

    def relay(route: WebSocketRoute) -> None:
        route.connect_to_server()
        routes.append(route)

    page = new_page(erin, "/")
    page.context.route_web_socket(re.compile(r"/ws/rooms/"), relay)
    page.goto(f"/rooms/{room_id}")
    _wait_connected(page)
    other = new_page(frank, f"/rooms/{room_id}")
    _wait_connected(other)
    _say(other, "断线前")
    expect(page.locator("#chat-list .chat-line .text")).to_have_text(["断线前"], timeout=1500)

    routes[0].close(code=1011, reason="test drop")
    expect(page.locator("#conn")).to_have_attribute("data-state", "reconnecting")
    _say(other, "断线后")
    _wait_connected(page)
    expect(page.locator("#chat-list .chat-line .text")).to_have_text(
        ["断线前", "断线后"], timeout=3000
    )
    assert len(routes) == 2
    assert routes[0].url.endswith(f"/ws/rooms/{room_id}")
    assert re.search(r"\?last_seq=\d+&stream=[\w-]+$", routes[1].url), routes[1].url

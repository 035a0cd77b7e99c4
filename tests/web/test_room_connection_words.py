"""The viewer's room speaks of its connection only when it is not working (issue 18 §2):
no "WebSocket", no "已连接" while all is well, a plain 已断开，正在重连… while the line is
down, at phone and desktop sizes."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

import pytest
from playwright.sync_api import Route, WebSocketRoute, expect

from liveshop.accounts.models import Role

if TYPE_CHECKING:
    from tests.web.conftest import LiveServer
    from tests.web.conftest import PageOpener as NewPage

pytestmark = pytest.mark.browser

SIZES = {"phone": {"width": 390, "height": 844}, "desktop": {"width": 1280, "height": 800}}
ENGINEERING_WORDS = ["WebSocket", "websocket", "SSE", "已连接", "reconnecting", "connecting"]


@pytest.mark.parametrize("size", list(SIZES))
def test_the_connection_shows_only_while_it_is_down(
    server: LiveServer, new_page: NewPage, size: str
) -> None:
    host = server.create_user(server.unique("host"), Role.HOST)
    viewer = server.create_user(server.unique("viewer"))
    room_id = server.create_room(host, title="连接提示", start=True)
    sockets: list[WebSocketRoute] = []
    line_down = False

    def relay(route: WebSocketRoute) -> None:
        if line_down:
            route.close(code=1011, reason="down")
            return
        route.connect_to_server()
        sockets.append(route)

    def stream(route: Route) -> None:
        if line_down:
            route.abort()
        else:
            route.continue_()

    page = new_page(viewer, "/")
    page.set_viewport_size(SIZES[size])
    page.context.route_web_socket(re.compile(r"/ws/rooms/"), relay)
    page.route(re.compile(r"/api/rooms/\d+/stream"), stream)
    page.goto(f"/rooms/{room_id}")
    pill = page.locator("#conn")
    expect(pill).to_have_attribute("data-state", "open")
    expect(pill).to_be_hidden()
    stage_text = page.locator("#room").inner_text()
    assert not [word for word in ENGINEERING_WORDS if word in stage_text], stage_text

    line_down = True
    sockets[0].close(code=1011, reason="test drop")
    expect(pill).to_be_visible()
    expect(pill).to_have_text("已断开，正在重连…")

    line_down = False
    expect(pill).to_have_attribute("data-state", "open", timeout=15_000)
    expect(pill).to_be_hidden()

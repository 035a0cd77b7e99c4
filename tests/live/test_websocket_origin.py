"""The room WebSocket refuses pages of other sites (cross-site WebSocket hijacking:
the browser would send the viewer's session cookie along)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from starlette.websockets import WebSocketDisconnect

from liveshop.app import create_app
from liveshop.core.security import is_allowed_origin
from liveshop.core.settings import Settings
from tests.conftest import Account
from tests.live.helpers import live_room, receive, wait_for_viewers, ws_path


@pytest.fixture
def database_url(sqlite_url: str) -> str:
    return sqlite_url


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient]:
    allowing_the_app = settings.model_copy(update={"allowed_origins": "https://m.shop.example/"})
    with TestClient(create_app(allowing_the_app)) as test_client:
        yield test_client


@pytest.mark.parametrize(
    "origin", ["https://evil.example", "http://testserver:8080", "null", "http://testserver.evil"]
)
def test_a_page_of_another_site_is_refused_with_1008_before_joining(
    client: TestClient, host: Account, viewer: Account, origin: str
) -> None:
    room_id = live_room(client, host)
    client.cookies.set("liveshop_session", viewer.token)

    with (
        pytest.raises(WebSocketDisconnect) as refused,
        client.websocket_connect(ws_path(room_id), headers={"Origin": origin}) as ws,
    ):
        receive(ws)

    assert refused.value.code == 1008
    assert refused.value.reason == "this page's origin may not open the room"
    assert wait_for_viewers(client, room_id, 0) == 0


@pytest.mark.parametrize(
    "headers",
    [
        {"Origin": "http://testserver"},  # the site's own pages
        {"Origin": "https://m.shop.example"},  # LIVESHOP_ALLOWED_ORIGINS
        {},  # no Origin: benchmarks, OBS tools
    ],
)
def test_the_site_s_own_pages_allowed_origins_and_non_browsers_are_let_in(
    client: TestClient, host: Account, viewer: Account, headers: dict[str, str]
) -> None:
    room_id = live_room(client, host)

    with client.websocket_connect(ws_path(room_id, viewer), headers=headers) as ws:
        snapshot = receive(ws)

    assert snapshot["type"] == "snapshot"


@pytest.mark.parametrize(
    ("origin", "host", "allowed"),
    [
        (None, "shop.example", True),
        ("https://shop.example", "shop.example", True),  # behind a TLS proxy
        ("http://shop.example", "shop.example:80", True),
        ("https://SHOP.example:443", "shop.example", True),
        ("http://127.0.0.1:8000", "127.0.0.1:8000", True),
        ("http://[::1]:8000", "[::1]:8000", True),
        ("https://m.shop.example", "shop.example", True),  # configured
        ("https://evil.example", "shop.example", False),
        ("https://shop.example.evil.example", "shop.example", False),
        ("http://shop.example:8080", "shop.example", False),
        ("http://127.0.0.1:9000", "127.0.0.1:8000", False),
        ("null", "shop.example", False),
        ("file://", "shop.example", False),
        ("http://shop.example:99999", "shop.example", False),
        ("https://shop.example", None, False),
    ],
)
def test_which_origins_are_the_site_s_own(
    origin: str | None, host: str | None, allowed: bool
) -> None:
    assert is_allowed_origin(origin, host=host, allowed={"https://m.shop.example"}) is allowed

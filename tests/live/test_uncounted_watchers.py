"""A host's console or a dashboard watches a room without counting as its audience:
no viewer in the count, no join or leave in the behaviour log. Only the platform's
people may ask for it; a viewer who asks is refused, on both transports."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from starlette.websockets import WebSocketDisconnect

from liveshop.accounts.models import Role
from liveshop.app import create_app
from liveshop.core.settings import Settings
from liveshop.events.store import read_events
from tests.conftest import Account, MakeAccount
from tests.live.helpers import live_room, receive, wait_for_viewers, ws_path


def test_an_uncounted_watcher_is_not_in_the_count_nor_the_log(
    settings: Settings, host: Account, viewer: Account, make_account: MakeAccount
) -> None:
    merchant = make_account(Role.MERCHANT, "merchant_mia")
    with TestClient(create_app(settings)) as client:
        room_id = live_room(client, host)
        with (
            client.websocket_connect(ws_path(room_id, host, uncounted="true")) as console,
            client.websocket_connect(ws_path(room_id, merchant, uncounted="true")) as dashboard,
            client.websocket_connect(ws_path(room_id, viewer)) as audience,
        ):
            for socket in (console, dashboard, audience):
                assert receive(socket)["type"] == "snapshot"
            assert wait_for_viewers(client, room_id, 1) == 1
        assert wait_for_viewers(client, room_id, 0) == 0

    events = read_events(settings.event_store_path(), room_id=room_id)
    assert [event["event_type"] for event in events] == ["join", "leave"]


def test_a_counted_host_is_in_the_count(client: TestClient, host: Account) -> None:
    room_id = live_room(client, host)
    with client.websocket_connect(ws_path(room_id, host)) as ws:
        receive(ws)
        assert wait_for_viewers(client, room_id, 1) == 1


@pytest.mark.parametrize("who", ["viewer", "anonymous"])
def test_a_viewer_may_not_watch_uncounted(
    client: TestClient, host: Account, viewer: Account, who: str
) -> None:
    room_id = live_room(client, host)
    account = viewer if who == "viewer" else None

    with (
        pytest.raises(WebSocketDisconnect) as refused,
        client.websocket_connect(ws_path(room_id, account, uncounted="true")) as ws,
    ):
        receive(ws)
    headers = {"Authorization": f"Bearer {viewer.token}"} if account else {}
    stream = client.get(f"/api/rooms/{room_id}/stream?uncounted=true", headers=headers)

    assert refused.value.code == 1008
    assert stream.status_code == 403
    assert stream.json()["code"] == "wrong_role"
    assert wait_for_viewers(client, room_id, 0) == 0

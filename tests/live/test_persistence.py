"""Write-behind of chat and counters, restarts, and behaviour events."""

from __future__ import annotations

from fastapi.testclient import TestClient

from liveshop.app import create_app
from liveshop.core.settings import Settings
from liveshop.events.recorder import pseudonymous_id
from liveshop.events.store import read_events
from tests.conftest import SECRET_KEY, Account
from tests.live.helpers import has_comment, live_room, persist, receive, receive_until, ws_path


def _chat_and_like(client: TestClient, room_id: int, viewer: Account, host: Account) -> None:
    with (
        client.websocket_connect(ws_path(room_id, viewer)) as ws,
        client.websocket_connect(ws_path(room_id, host)) as host_ws,
    ):
        receive(ws)
        receive(host_ws)
        ws.send_json({"type": "comment", "text": "first!"})
        receive_until(ws, has_comment("first!"))
        host_ws.send_json({"type": "comment", "text": "welcome"})
        receive_until(ws, has_comment("welcome"))
        ws.send_json({"type": "like", "count": 7})
        # viewer counts are reported at most every 0.3 s, so a crowd joining is cheap
        receive_until(ws, lambda frame: (frame.get("likes"), frame.get("viewers")) == (7, 2))
        live = client.get(f"/api/rooms/{room_id}").json()
        assert (live["viewers"], live["peak_viewers"], live["likes"]) == (2, 2, 7)
        persist(client)


def test_comments_and_counters_are_written_behind(
    client: TestClient, host: Account, viewer: Account
) -> None:
    room_id = live_room(client, host)

    _chat_and_like(client, room_id, viewer, host)

    comments = client.get(f"/api/rooms/{room_id}/comments").json()
    assert [(line["user"], line["kind"], line["text"]) for line in comments] == [
        ("viewer_bo", "comment", "first!"),
        ("host_anna", "host", "welcome"),
    ]
    after_first = client.get(f"/api/rooms/{room_id}/comments?after_id={comments[0]['id']}").json()
    assert [line["text"] for line in after_first] == ["welcome"]
    room = client.get(f"/api/rooms/{room_id}").json()
    assert room["likes"] == 7
    assert room["comment_count"] == 2
    assert room["peak_viewers"] == 2


def test_stats_survive_a_restart(settings: Settings, host: Account, viewer: Account) -> None:
    with TestClient(create_app(settings)) as client:
        room_id = live_room(client, host)
        _chat_and_like(client, room_id, viewer, host)

    with TestClient(create_app(settings)) as client:
        room = client.get(f"/api/rooms/{room_id}").json()
        with client.websocket_connect(ws_path(room_id)) as ws:
            snapshot = receive(ws)

    assert room["likes"] == 7
    assert room["comment_count"] == 2
    assert room["peak_viewers"] == 2
    assert room["viewers"] == 0  # nobody is watching after the shutdown
    assert snapshot["likes"] == 7
    assert [line["text"] for line in snapshot["comments"]] == ["first!", "welcome"]


def test_behaviour_events_are_recorded_with_pseudonymous_ids(
    settings: Settings, host: Account, viewer: Account
) -> None:
    with TestClient(create_app(settings)) as client:
        room_id = live_room(client, host)
        with client.websocket_connect(ws_path(room_id, viewer)) as ws:
            receive(ws)
            ws.send_json({"type": "comment", "text": "hello"})
            receive_until(ws, has_comment("hello"))
            ws.send_json({"type": "like", "count": 3})
            receive_until(ws, lambda frame: frame.get("likes") == 3)

    events = read_events(settings.event_store_path(), room_id=room_id)

    pseudonym = pseudonymous_id(viewer.id, SECRET_KEY)
    assert [(event["event_type"], event["user_id"]) for event in events] == [
        ("join", pseudonym),
        ("comment", pseudonym),
        ("like", pseudonym),
        ("leave", pseudonym),
    ]
    assert pseudonym.startswith("u_")
    assert str(viewer.id) != pseudonym
    assert events[0]["properties"] == {"transport": "websocket"}
    assert events[1]["properties"] == {"length": 5}
    assert events[2]["properties"] == {"count": 3, "messages": 1}  # likes per flush
    assert events[3]["properties"]["watch_seconds"] > 0

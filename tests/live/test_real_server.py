"""Through a real uvicorn server: Server-Sent Events, HTTP chat, WebSocket close codes."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import uvicorn
from websockets.exceptions import ConnectionClosed
from websockets.frames import Frame, Opcode
from websockets.sync.client import ClientConnection, connect

from liveshop.app import create_app
from liveshop.core.settings import Settings
from liveshop.live import metrics
from liveshop.live.subscribers import encoded_frame
from tests.conftest import Account
from tests.ports import free_port


@pytest.fixture
def database_url(sqlite_url: str) -> str:
    return sqlite_url


@pytest.fixture
def server(settings: Settings) -> Iterator[str]:
    """The app served by uvicorn in a thread, as ``liveshop serve`` does."""
    port = free_port()
    config = uvicorn.Config(
        create_app(settings),
        host="127.0.0.1",
        port=port,
        ws="websockets-sansio",
        ws_per_message_deflate=False,
        log_level="warning",
    )
    instance = uvicorn.Server(config)
    thread = threading.Thread(target=instance.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not instance.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.02)
    yield f"127.0.0.1:{port}"
    instance.should_exit = True
    thread.join(10)


def _live_room(base: str, host: Account) -> int:
    room = httpx.post(f"{base}/api/rooms", json={"title": "Live"}, headers=host.headers)
    assert room.status_code == 201
    room_id: int = room.json()["id"]
    assert httpx.post(f"{base}/api/rooms/{room_id}/start", headers=host.headers).status_code == 200
    return room_id


def _recv_until_closed(ws: ClientConnection) -> list[dict[str, Any]]:
    """Every message up to the server's close (TimeoutError if it never closes)."""
    frames = []
    while True:
        try:
            frames.append(json.loads(ws.recv(timeout=3)))
        except ConnectionClosed:
            return frames


def _sse_events(lines: Iterator[str]) -> Iterator[tuple[str | None, dict[str, Any]]]:
    event_id: str | None = None
    for line in lines:
        if line.startswith("id: "):
            event_id = line[4:]
        elif line.startswith("data: "):
            yield event_id, json.loads(line[6:])
            event_id = None


def test_sse_stream_delivers_a_snapshot_then_frames(
    server: str, host: Account, viewer: Account
) -> None:
    base = f"http://{server}"
    room_id = _live_room(base, host)
    received: list[tuple[str | None, dict[str, Any]]] = []

    with (
        httpx.Client(timeout=5) as http,
        http.stream("GET", f"{base}/api/rooms/{room_id}/stream") as stream,
    ):
        assert stream.status_code == 200
        assert stream.headers["content-type"].startswith("text/event-stream")
        events = _sse_events(stream.iter_lines())
        received.append(next(events))
        posted = http.post(
            f"{base}/api/rooms/{room_id}/chat", json={"text": "over http"}, headers=viewer.headers
        )
        deadline = time.monotonic() + 2
        for event in events:
            received.append(event)
            texts = [line["text"] for line in event[1].get("comments", [])]
            if "over http" in texts or time.monotonic() > deadline:
                break

    assert posted.status_code == 201
    assert posted.json()["text"] == "over http"
    assert posted.json()["user"] == "viewer_bo"
    first_id, snapshot = received[0]
    assert snapshot["type"] == "snapshot"
    assert snapshot["you"] is None
    assert first_id == f"{snapshot['stream']}:{snapshot['seq']}"
    last_id, last = received[-1]
    assert last["type"] == "frame"
    assert [line["text"] for line in last["comments"]] == ["over http"]
    assert last_id == f"{snapshot['stream']}:{last['seq']}"


def test_http_chat_needs_a_login_and_a_live_room(server: str, host: Account) -> None:
    base = f"http://{server}"
    created = httpx.post(f"{base}/api/rooms", json={"title": "Soon"}, headers=host.headers)
    room_id = created.json()["id"]

    anonymous = httpx.post(f"{base}/api/rooms/{room_id}/chat", json={"text": "hi"})
    not_live = httpx.post(
        f"{base}/api/rooms/{room_id}/chat", json={"text": "hi"}, headers=host.headers
    )
    missing = httpx.post(f"{base}/api/rooms/424242/chat", json={"text": "hi"}, headers=host.headers)

    assert anonymous.status_code == 401
    assert not_live.status_code == 403
    assert not_live.json() == {"detail": "the room is not live", "code": "room_not_live"}
    assert missing.status_code == 404
    assert httpx.get(f"{base}/api/rooms/{room_id}/comments").json() == []


def test_flood_closes_with_1008_after_the_reason_over_a_real_socket(
    server: str, host: Account, viewer: Account
) -> None:
    room_id = _live_room(f"http://{server}", host)
    with connect(f"ws://{server}/ws/rooms/{room_id}?token={viewer.token}") as ws:
        assert json.loads(ws.recv(timeout=2))["type"] == "snapshot"
        for number in range(20):
            try:
                ws.send(json.dumps({"type": "comment", "text": f"spam {number}"}))
            except ConnectionClosed:
                break  # the server closed first: what it sent before is still readable
        received = _recv_until_closed(ws)

    assert ws.close_code == 1008
    assert ws.close_reason == "too many refused messages"
    errors = [frame["code"] for frame in received if frame["type"] == "error"]
    assert errors[-1] == "policy_violation"
    assert errors.count("rate_limited") == 9


def test_kick_closes_with_4403_over_a_real_socket(
    server: str, host: Account, viewer: Account
) -> None:
    base = f"http://{server}"
    room_id = _live_room(base, host)

    with connect(f"ws://{server}/ws/rooms/{room_id}?token={viewer.token}") as ws:
        assert json.loads(ws.recv(timeout=2))["type"] == "snapshot"
        kicked = httpx.post(
            f"{base}/api/rooms/{room_id}/kicks",
            json={"user_id": viewer.id, "minutes": 5},
            headers=host.headers,
        )
        assert kicked.status_code == 201
        kinds = [frame["type"] for frame in _recv_until_closed(ws)]

    assert ws.close_code == 4403
    assert "kick" in kinds


def test_frames_go_out_as_shared_bytes_and_arrive_whole(server: str, host: Account) -> None:
    room_id = _live_room(f"http://{server}", host)
    shared_before = metrics.frames_shared._value.get()
    with connect(f"ws://{server}/ws/rooms/{room_id}?token={host.token}") as ws:
        assert json.loads(ws.recv(timeout=3))["type"] == "snapshot"
        ws.send(json.dumps({"type": "comment", "text": "共享字节"}))
        texts: list[str] = []
        while "共享字节" not in texts:
            frame = json.loads(ws.recv(timeout=3))
            texts += [line["text"] for line in frame.get("comments", [])]
    assert metrics.frames_shared._value.get() > shared_before


def test_encoded_frame_is_what_websockets_would_send() -> None:
    frame = json.dumps({"type": "frame", "comments": [{"text": "x" * 70_000}]})
    expected = Frame(Opcode.TEXT, frame.encode()).serialize(mask=False, extensions=[])
    assert encoded_frame(frame) == expected
    assert encoded_frame(frame) is encoded_frame(frame)  # encoded once per frame

"""Going live from the browser: WebM chunks over ``/ws/rooms/{id}/broadcast`` make
LiveShop's ffmpeg publish to Debian's nginx-rtmp under a key the browser never sees.
Refusals first (no sign-in, a viewer, another page's Origin, a second broadcast),
then a host's chunks go live, then Chromium's fake camera does the same from the host
console's button."""

from __future__ import annotations

import json
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, sync_playwright
from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.sync.client import ClientConnection, connect

from liveshop.accounts.models import Role, User
from tests.web.conftest import CHROMIUM, CHROMIUM_ARGS, LiveServer, PageOpener
from tests.web.test_live_video import (  # the same nginx fixture, on this module's ports
    HTTP_PORT,
    SERVER_ENVIRONMENT,
    _wait_for,
    media_server,
    pytestmark,
)

__all__ = ["SERVER_ENVIRONMENT", "media_server", "pytestmark"]
FAKE_DEVICES = ["--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream"]


def _socket(
    server: LiveServer, room_id: int, user: User | None, **headers: str
) -> ClientConnection:
    url = server.base_url.replace("http://", "ws://") + f"/ws/rooms/{room_id}/broadcast"
    if user is not None:
        headers["Cookie"] = f"liveshop_session={server.session_token(user)}"
    return connect(url, additional_headers=headers, open_timeout=10)


def _refused(server: LiveServer, room_id: int, user: User | None, **headers: str) -> int:
    """The handshake's HTTP status when refused before it (who may not broadcast), else
    the close code (a second broadcast of the room)."""
    try:
        socket = _socket(server, room_id, user, **headers)
    except InvalidStatus as refused:
        return refused.response.status_code
    with socket, pytest.raises(ConnectionClosed) as closed:
        socket.recv(timeout=10)
    assert closed.value.rcvd is not None
    return closed.value.rcvd.code


def _webm_source() -> subprocess.Popen[bytes]:
    """What MediaRecorder sends: WebM (VP8 + Opus) as it is made, in real time."""
    return subprocess.Popen(
        [
            "ffmpeg",
            "-nostdin",
            "-loglevel",
            "error",
            "-re",
            "-f",
            "lavfi",
            "-i",
            "testsrc=size=320x240:rate=25",
            "-f",
            "lavfi",
            "-i",
            "sine=frequency=440",
            "-t",
            "30",
            "-c:v",
            "libvpx",
            "-deadline",
            "realtime",
            "-cpu-used",
            "8",
            "-b:v",
            "500k",
            "-c:a",
            "libopus",
            "-f",
            "webm",
            "pipe:1",
        ],
        stdout=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
    )


def _status(server: LiveServer, host: User, room_id: int) -> str:
    status: str = server.api(host, "GET", f"/api/rooms/{room_id}")["stream_status"]
    return status


def test_only_the_host_broadcasts_and_the_chunks_go_live(
    server: LiveServer, media_server: Path
) -> None:
    host = server.create_user(server.unique("host"), Role.HOST)
    viewer = server.create_user(server.unique("viewer"), Role.VIEWER)
    other_host = server.create_user(server.unique("host"), Role.HOST)
    room_id = server.create_room(host, title="浏览器开播", start=True)
    playlist = f"http://127.0.0.1:{HTTP_PORT}/hls/room-{room_id}.m3u8"

    # Refused before the handshake (a browser sees a 403; tests/test_route_access.py
    # checks the close codes in-process).
    assert _refused(server, room_id, None) == 403  # not signed in
    assert _refused(server, room_id, viewer) == 403
    assert _refused(server, room_id, other_host) == 403  # another room's host
    assert _refused(server, room_id, host, Origin="https://evil.example") == 403
    assert _refused(server, 10**12, host) == 403
    assert _status(server, host, room_id) == "offline"

    source = _webm_source()
    assert source.stdout is not None
    try:
        with _socket(server, room_id, host) as socket:
            assert json.loads(socket.recv(timeout=10)) == {"type": "ready"}
            assert _refused(server, room_id, host) == 4409  # one broadcast per room
            deadline = time.monotonic() + 25
            while (
                _status(server, host, room_id) != "live" or httpx.get(playlist).status_code != 200
            ):
                assert time.monotonic() < deadline, "the browser's broadcast did not go live"
                socket.send(source.stdout.read1(64 * 1024))
            first = httpx.get(playlist).text
            assert ".ts" in first
            deadline = time.monotonic() + 10
            while httpx.get(playlist).text == first:  # fresh segments
                assert time.monotonic() < deadline, "no fresh segments"
                socket.send(source.stdout.read1(64 * 1024))
            health = server.api(host, "GET", f"/api/rooms/{room_id}/stream-health")
            assert health["stream_status"] == "live"
    finally:
        source.kill()
        source.wait()
    # The socket closed: ffmpeg is stopped and the media server marks the stream offline.
    _wait_for(lambda: _status(server, host, room_id) == "offline", 15, "offline after close")


def test_a_key_rotated_by_the_host_elsewhere_does_not_leak_to_the_browser(
    server: LiveServer, media_server: Path
) -> None:
    """The broadcast mints its own key: the socket's only message is "ready"."""
    host = server.create_user(server.unique("host"), Role.HOST)
    room_id = server.create_room(host, title="密钥", start=True)
    with _socket(server, room_id, host) as socket:
        message = socket.recv(timeout=10)
        assert json.loads(message) == {"type": "ready"}
        assert "key" not in str(message)


@pytest.fixture(scope="module")
def camera_browser() -> Iterator[Browser]:
    """Chromium with a fake camera and microphone, and permission granted without a prompt."""
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=[*CHROMIUM_ARGS, *FAKE_DEVICES]
        )
        yield chromium
        chromium.close()


def test_the_host_goes_live_from_the_console_camera(
    server: LiveServer, media_server: Path, camera_browser: Browser
) -> None:
    host = server.create_user(server.unique("host"), Role.HOST)
    room_id = server.create_room(host, title="摄像头开播", start=True)
    playlist = f"http://127.0.0.1:{HTTP_PORT}/hls/room-{room_id}.m3u8"
    opener = PageOpener(server, camera_browser)
    try:
        page = opener(host, f"/host/rooms/{room_id}")
        page.context.grant_permissions(["camera", "microphone"])
        page.locator("#camera-start").click()
        page.locator("#camera-stop").wait_for(state="visible")
        _wait_for(lambda: _status(server, host, room_id) == "live", 30, "the camera went live")
        _wait_for(lambda: httpx.get(playlist).status_code == 200, 15, "the playlist")
        assert page.evaluate("document.getElementById('camera-preview').videoWidth") > 0
        page.locator("#camera-stop").click()
        page.locator("#camera-start").wait_for(state="visible")
        _wait_for(lambda: _status(server, host, room_id) == "offline", 15, "offline after stop")
        assert opener.errors[page] == []
        assert [v for vs in opener.csp_violations.values() for v in vs] == []
    finally:
        opener.close()

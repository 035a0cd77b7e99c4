"""Live video end to end: Debian's nginx with its RTMP module, ffmpeg publishing a test
pattern with a tone under the room's key, and Debian's Chromium playing the HLS in the
viewer page through hls.js. A wrong key is refused; the playlist appears with fresh
segments; the video's currentTime advances. Then the room ends and its replay and a
highlight open in the browser."""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import expect

from liveshop.accounts.models import Role
from liveshop.core.settings import Settings
from liveshop.media.naming import callback_secret
from liveshop.media.server import start_media_server, stop_media_server
from liveshop.media.server_config import RTMP_MODULE, ServerOptions, media_paths
from tests.ports import free_port
from tests.web.conftest import LiveServer, PageOpener

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        shutil.which("ffmpeg") is None or not RTMP_MODULE.exists(),
        reason="nginx's RTMP module and ffmpeg: scripts/ensure-media.sh",
    ),
]
VENDORED_HLS = Path(__file__).parents[2] / "src/liveshop/web/static/vendor/hls/hls.min.js"


RTMP_PORT, HTTP_PORT = free_port(), free_port()
SERVER_ENVIRONMENT = {
    "LIVESHOP_MEDIA_INGEST_URL": f"rtmp://127.0.0.1:{RTMP_PORT}/live",
    "LIVESHOP_MEDIA_PUBLIC_URL": f"http://127.0.0.1:{HTTP_PORT}",
    "LIVESHOP_MEDIA_SERVER_URL": f"http://127.0.0.1:{HTTP_PORT}",
}
PLAYLIST_SECONDS = 15.0


@pytest.fixture(scope="module")
def media_server(server: LiveServer) -> Iterator[Path]:
    """``liveshop media run``'s nginx for the module's server, on free ports."""
    paths = media_paths(server.home)
    options = ServerOptions(
        rtmp_port=RTMP_PORT,
        http_port=HTTP_PORT,
        api_url=server.base_url,
        callback_secret=callback_secret(Settings(home=server.home).resolved_secret_key()),
        listen_address="127.0.0.1",
    )
    process = start_media_server(paths, options)
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                with socket.create_connection(("127.0.0.1", RTMP_PORT), timeout=0.5):
                    break
            except OSError:
                assert process.poll() is None, (paths.logs / "error.log").read_text()
                assert time.monotonic() < deadline, "nginx did not listen"
                time.sleep(0.1)
        yield paths.root
    finally:
        stop_media_server(process)


def publish(stream_key: str, *, seconds: float | None = None) -> subprocess.Popen[bytes]:
    """ffmpeg's test pattern with a tone, as OBS would send it (a keyframe a second)."""
    duration = [] if seconds is None else ["-t", str(seconds)]
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
            "testsrc=size=640x360:rate=25",
            "-f",
            "lavfi",
            "-i",
            "sine=frequency=440",
            *duration,
            "-c:v",
            "libx264",
            "-preset",
            "veryfast",
            "-tune",
            "zerolatency",
            "-g",
            "25",
            "-c:a",
            "aac",
            "-f",
            "flv",
            f"rtmp://127.0.0.1:{RTMP_PORT}/live/{stream_key}",
        ],
        stdin=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _wait_for(check, seconds: float, what: str):  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + seconds
    while True:
        value = check()
        if value:
            return value
        assert time.monotonic() < deadline, what
        time.sleep(0.25)


def test_a_host_streams_and_a_viewer_watches_then_the_replay_opens(
    server: LiveServer, media_server: Path, new_page: PageOpener
) -> None:
    assert VENDORED_HLS.exists(), "hls.js is vendored by scripts/ensure-media.sh"
    host = server.create_user(server.unique("host"), Role.HOST)
    merchant = server.create_user(server.unique("seller"), Role.MERCHANT)
    product = server.create_product(merchant, title="测试围巾", price=12_900, stock=5)
    room_id = server.create_room(host, title="视频测试", start=True)
    stream_key = server.api(host, "POST", f"/api/rooms/{room_id}/stream-key")["stream_key"]
    playlist = f"http://127.0.0.1:{HTTP_PORT}/hls/room-{room_id}.m3u8"

    wrong = publish(f"room-{room_id}?key=not-the-key", seconds=5)
    assert wrong.wait(timeout=20) != 0  # refused by on_publish's 403
    assert server.api(host, "GET", f"/api/rooms/{room_id}")["stream_status"] == "offline"
    assert httpx.get(playlist).status_code == 404

    viewer = new_page(path=f"/rooms/{room_id}")  # opened while offline: the poster
    expect(viewer.locator("#player-poster")).to_be_visible()
    publisher = publish(stream_key)
    try:
        _wait_for(lambda: httpx.get(playlist).status_code == 200, PLAYLIST_SECONDS, "playlist")
        first = httpx.get(playlist).text
        assert "#EXTM3U" in first
        assert ".ts" in first
        _wait_for(lambda: httpx.get(playlist).text != first, 5, "fresh segments")
        room = server.api(host, "GET", f"/api/rooms/{room_id}")
        assert (room["stream_status"], room["playback_url"]) == ("live", playlist)
        health = _wait_for(
            lambda: server.api(host, "GET", f"/api/rooms/{room_id}/stream-health")["fps"],
            10,
            "stream health",
        )
        assert health == 25

        server.api(host, "PUT", f"/api/rooms/{room_id}/pinned", {"product_id": product["id"]})
        video = viewer.locator("#player")
        expect(video).to_be_visible()  # the stream's notice reached the open page
        expect(viewer.locator("#player-poster")).to_be_hidden()
        _wait_for(
            lambda: viewer.evaluate("document.getElementById('player').currentTime") > 1.0,
            20,
            "the video plays",
        )
        before = viewer.evaluate("document.getElementById('player').currentTime")
        time.sleep(1.5)
        assert viewer.evaluate("document.getElementById('player').currentTime") > before + 0.5
        assert viewer.evaluate("document.getElementById('player').muted") is True
        viewer.locator("#unmute-btn").click()
        assert viewer.evaluate("document.getElementById('player').muted") is False
        assert new_page.errors[viewer] == []
        time.sleep(2)  # the pin spans some video
        server.api(host, "DELETE", f"/api/rooms/{room_id}/pinned")
        server.api(host, "POST", f"/api/rooms/{room_id}/end")
        # the open page says the show ended, offers its replay, and drops the live buttons
        expect(viewer.locator("#replay-link")).to_be_visible()
        expect(viewer.locator("#like-btn")).to_be_hidden()
        expect(viewer.locator("#shelf-btn")).to_be_visible()  # its products are still on sale
        publisher.wait(timeout=15)  # the media server drops an ended room's publisher
    finally:
        _stop(publisher)

    replay = _wait_for(
        lambda: httpx.get(f"{server.base_url}/api/rooms/{room_id}/replay").status_code == 200,
        20,
        "the replay is remuxed",
    )
    assert replay
    body = httpx.get(f"{server.base_url}/api/rooms/{room_id}/replay").json()
    assert body["duration_s"] > 3
    assert [item["type"] for item in body["timeline"] if item["type"] in {"pin", "unpin"}] == [
        "pin",
        "unpin",
    ]
    page = new_page(path="/")  # the home page lists the replay
    page.locator(f'[data-replay-room-id="{room_id}"]').click()
    expect(page).to_have_url(f"{server.base_url}/rooms/{room_id}/replay")
    expect(page.locator("video.replay-video")).to_be_visible()
    expect(page.locator("#chapters li")).to_have_count(1)
    page.locator("#chapters button").click()
    expect(page.locator("#replay-shelf-title")).to_have_text("测试围巾")
    expect(page.locator("#replay-shelf-price")).to_have_text("¥129.00")
    _wait_for(
        lambda: page.evaluate("document.querySelector('video.replay-video').currentTime") > 0.5,
        15,
        "the replay plays",
    )
    assert new_page.errors[page] == []
    highlights = httpx.get(f"{server.base_url}/api/rooms/{room_id}/highlights").json()
    assert [item["product_id"] for item in highlights] == [product["id"]]
    clip = new_page(path=highlights[0]["page_url"])
    expect(clip.locator("video.replay-video")).to_be_visible()
    clip.evaluate(
        "(v => { v.muted = true; return v.play(); })(document.querySelector('.replay-video'))"
    )
    _wait_for(
        lambda: clip.evaluate("document.querySelector('video.replay-video').currentTime") > 0.3,
        15,
        "the highlight plays",
    )
    assert new_page.errors[clip] == []

"""``make demo``'s video (``demo/runner.py``'s ``_start_demo_video``): Debian's nginx with
its RTMP module and the ffmpeg test pattern published into the demo room under its host's
key, so the room's playlist appears and the room is live; without ffmpeg the demo says why
and goes on without video."""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import httpx
import pytest

from liveshop.accounts.models import Role
from liveshop.core.settings import Settings
from liveshop.demo.runner import _start_demo_video
from liveshop.media.demo_video import start_demo_video
from liveshop.media.server_config import RTMP_MODULE
from tests.ports import free_port
from tests.web.conftest import LiveServer

RTMP_PORT, HTTP_PORT = free_port(), free_port()
SERVER_ENVIRONMENT = {
    "LIVESHOP_MEDIA_INGEST_URL": f"rtmp://127.0.0.1:{RTMP_PORT}/live",
    "LIVESHOP_MEDIA_PUBLIC_URL": f"http://127.0.0.1:{HTTP_PORT}",
    "LIVESHOP_MEDIA_SERVER_URL": f"http://127.0.0.1:{HTTP_PORT}",
}
PLAYLIST_SECONDS = 20.0


def _segments(playlist_url: str) -> list[str]:
    try:
        response = httpx.get(playlist_url, timeout=2)
    except httpx.TransportError:
        return []
    if response.status_code != 200:
        return []
    return [line for line in response.text.splitlines() if line.endswith(".ts")]


@pytest.mark.skipif(
    shutil.which("ffmpeg") is None or not RTMP_MODULE.exists(),
    reason="nginx's RTMP module and ffmpeg: scripts/ensure-media.sh",
)
def test_the_demo_video_streams_into_the_demo_room(server: LiveServer) -> None:
    host = server.create_user(server.unique("demo_host"), Role.HOST)
    room_id = server.create_room(host, title="演示直播间", start=True)
    settings = Settings(
        home=server.home,
        media_ingest_url=SERVER_ENVIRONMENT["LIVESHOP_MEDIA_INGEST_URL"],
        media_public_url=SERVER_ENVIRONMENT["LIVESHOP_MEDIA_PUBLIC_URL"],
    )
    playlist = f"http://127.0.0.1:{HTTP_PORT}/hls/room-{room_id}.m3u8"

    video = start_demo_video(settings, room_id=room_id, api_url=server.base_url)
    try:
        deadline = time.monotonic() + PLAYLIST_SECONDS
        while len(_segments(playlist)) < 2:
            assert video.publisher.poll() is None, "ffmpeg's test pattern stopped"
            assert video.media_server.poll() is None, "nginx stopped"
            assert time.monotonic() < deadline, "no playlist with segments"
            time.sleep(0.5)
        room = server.api(host, "GET", f"/api/rooms/{room_id}")
        assert (room["stream_status"], room["playback_url"]) == ("live", playlist)
    finally:
        video.stop()
    assert video.publisher.poll() is not None
    assert video.media_server.poll() is not None


def test_without_ffmpeg_the_demo_says_why_and_goes_on(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))  # no ffmpeg, no nginx

    assert _start_demo_video("127.0.0.1", 8000, room_id=1) is None
    said = " ".join(capsys.readouterr().out.split())
    assert "no live video: ffmpeg is not installed: run scripts/ensure-media.sh" in said

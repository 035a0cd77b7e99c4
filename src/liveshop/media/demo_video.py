"""The demo's video: the media server and an ffmpeg test pattern published into the
demo room under its own key, so a newcomer sees moving video with the chat over it."""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import dataclass
from urllib.parse import urlsplit

from liveshop.accounts.models import User
from liveshop.core.db import unit_of_work
from liveshop.core.settings import Settings
from liveshop.live.models import Room
from liveshop.media.naming import callback_secret
from liveshop.media.server import MediaServerMissing, start_media_server, stop_media_server
from liveshop.media.server_config import ServerOptions, media_paths
from liveshop.media.streams import issue_stream_key

DEFAULT_RTMP_PORT = 1935
DEFAULT_HTTP_PORT = 8088


@dataclass
class DemoVideo:
    media_server: subprocess.Popen[bytes]
    publisher: subprocess.Popen[bytes]

    def stop(self) -> None:
        if self.publisher.poll() is None:
            self.publisher.terminate()
            try:
                self.publisher.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.publisher.kill()
                self.publisher.wait()
        stop_media_server(self.media_server)


def test_pattern_command(rtmp_url: str, *, label: str) -> list[str]:
    """ffmpeg's test pattern with a tone and a running clock, as OBS would send it."""
    text = label.replace("\\", "").replace(":", "").replace("'", "")
    clock = "%{localtime\\:%H\\\\\\:%M\\\\\\:%S}"
    draw = (
        f"drawtext=text='{text} {clock}':x=16:y=h-36:fontsize=20"
        ":fontcolor=white:box=1:boxcolor=black@0.5"
    )
    return [
        "ffmpeg", "-nostdin", "-loglevel", "error", "-re",
        "-f", "lavfi", "-i", "testsrc=size=640x360:rate=25",
        "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=44100",
        "-vf", draw,
        "-c:v", "libx264", "-preset", "veryfast", "-tune", "zerolatency", "-g", "25",
        "-b:v", "800k", "-c:a", "aac", "-b:a", "96k",
        "-f", "flv", rtmp_url,
    ]  # fmt: skip


def start_demo_video(settings: Settings, *, room_id: int, api_url: str) -> DemoVideo:
    """Start the media server and publish the test pattern into the room (its host's key).

    Raises MediaServerMissing when nginx, its RTMP module or ffmpeg is not installed.
    """
    if shutil.which("ffmpeg") is None:
        raise MediaServerMissing("ffmpeg is not installed: run scripts/ensure-media.sh")
    ingest = urlsplit(settings.media_ingest_url)
    public = urlsplit(settings.media_public_url)
    options = ServerOptions(
        rtmp_port=ingest.port or DEFAULT_RTMP_PORT,
        http_port=public.port or DEFAULT_HTTP_PORT,
        api_url=api_url,
        callback_secret=callback_secret(settings.resolved_secret_key()),
        listen_address="127.0.0.1",
    )
    media_server = start_media_server(media_paths(settings.ensure_home()), options)
    with unit_of_work(settings.resolved_database_url()) as session:
        room = session.get_one(Room, room_id)
        host = session.get_one(User, room.host_id)
        stream_key = issue_stream_key(session, actor=host, room_id=room_id).stream_key
    rtmp_url = f"rtmp://127.0.0.1:{options.rtmp_port}/live/{stream_key}"
    publisher = subprocess.Popen(
        test_pattern_command(rtmp_url, label="LiveShop demo"),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
    )
    return DemoVideo(media_server=media_server, publisher=publisher)

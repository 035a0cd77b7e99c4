"""Capture-to-playback latency of LiveShop's live video in Chromium.

Run by hand (not a test); prints one JSON document on stdout, progress on stderr::

    .venv/bin/python benchmarks/video.py              # 20 s of samples
    .venv/bin/python benchmarks/video.py --seconds 60

It runs the whole path on this machine: ``liveshop serve`` on a fresh home, the
media server (``liveshop.media``'s nginx with its RTMP module, 1 s HLS fragments),
ffmpeg publishing a test pattern under the room's key, and Debian's Chromium on
the viewer page (hls.js with ``liveSyncDurationCount: 1``).

The clock: ffmpeg burns the wall-clock time of each frame's capture into the
picture as 24 black-or-white blocks (the milliseconds modulo 2^24, one bit per
20x24-pixel block; ``setpts=RTCTIME`` before ``geq`` so the expression sees the
wall clock). The page copies the displayed frame to a canvas, reads the blocks
back, and compares them with ``Date.now()``: the same machine's clock, so the
difference is the delay from capture to display (plus up to one frame, 40 ms).
Blocks survive H.264 well, where digits drawn with ``drawtext`` would need OCR.
Beside it, hls.js's own ``latency`` estimate (from the playlist, not the picture).
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
from playwright.sync_api import sync_playwright

from liveshop.accounts import service as accounts
from liveshop.accounts.models import Role
from liveshop.core.db import unit_of_work
from liveshop.core.migrations import upgrade_database
from liveshop.core.settings import Settings
from liveshop.live import service as live
from liveshop.media.naming import callback_secret
from liveshop.media.server import start_media_server, stop_media_server
from liveshop.media.server_config import ServerOptions, media_paths

CHROMIUM = "/usr/bin/chromium"
BITS = 24
BLOCK = 20  # pixels per bit
BAR_HEIGHT = 24
FPS = 25
MODULO = 1 << BITS

BAR_FILTER = (
    f"[1:v]setpts=RTCTIME/(TB*1000000),format=gray,"
    f"geq=lum='255*mod(floor(mod(floor(T*1000)\\,{MODULO})/pow(2\\,floor(X/{BLOCK})))\\,2)',"
    f"setpts=N/({FPS}*TB),format=yuv420p[bar];[0:v][bar]overlay=0:0:shortest=1[v]"
)

# Reads the burnt-in clock from the frame on screen; answers [latency ms, hls.js latency s].
READ_CLOCK = f"""() => {{
  const video = document.getElementById("player");
  if (!video || video.readyState < 2) return null;
  const canvas = window.__clockCanvas || (window.__clockCanvas = document.createElement("canvas"));
  canvas.width = {BITS * BLOCK}; canvas.height = {BAR_HEIGHT};
  const context = canvas.getContext("2d", {{ willReadFrequently: true }});
  context.drawImage(video, 0, 0, {BITS * BLOCK}, {BAR_HEIGHT}, 0, 0, {BITS * BLOCK}, {BAR_HEIGHT});
  const now = Date.now();
  const row = context.getImageData(0, {BAR_HEIGHT // 2}, {BITS * BLOCK}, 1).data;
  let captured = 0;
  for (let bit = 0; bit < {BITS}; bit++) {{
    if (row[(bit * {BLOCK} + {BLOCK // 2}) * 4] > 128) captured += 2 ** bit;
  }}
  const latency = (((now % {MODULO}) - captured) % {MODULO} + {MODULO}) % {MODULO};
  return [latency, Number(video.dataset.hlsLatency || "NaN")];
}}"""


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def start_server(home: Path, port: int, media_env: dict[str, str]) -> subprocess.Popen[bytes]:
    env = os.environ | {"LIVESHOP_HOME": str(home)} | media_env
    env.pop("LIVESHOP_DATABASE_URL", None)
    env.pop("LIVESHOP_REDIS_URL", None)
    process = subprocess.Popen(
        [sys.executable, "-m", "liveshop.cli", "serve", "--port", str(port)],
        env=env,
        stdout=(home / "server.log").open("wb"),
        stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 120
    while True:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                return process
        except httpx.TransportError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError((home / "server.log").read_text()[-2000:])
        time.sleep(0.2)


def publisher(rtmp_url: str) -> subprocess.Popen[bytes]:
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
            f"testsrc=size=640x360:rate={FPS}",
            "-re",
            "-f",
            "lavfi",
            "-i",
            f"color=c=black:s={BITS * BLOCK}x{BAR_HEIGHT}:r={FPS}",
            "-re",
            "-f",
            "lavfi",
            "-i",
            "sine=frequency=440",
            "-filter_complex",
            BAR_FILTER,
            "-map",
            "[v]",
            "-map",
            "2:a",
            "-c:v",
            "libx264",
            "-preset",
            "veryfast",
            "-tune",
            "zerolatency",
            "-g",
            str(FPS),
            "-c:a",
            "aac",
            "-f",
            "flv",
            rtmp_url,
        ],
        stdin=subprocess.DEVNULL,
    )


def summary(values: list[float]) -> dict[str, float]:
    ordered = sorted(values)
    return {
        "median": round(statistics.median(ordered), 3),
        "p10": round(ordered[len(ordered) // 10], 3),
        "p90": round(ordered[(len(ordered) * 9) // 10], 3),
        "min": round(ordered[0], 3),
        "max": round(ordered[-1], 3),
    }


def measure(base_url: str, room_id: int, seconds: float) -> dict[str, Any]:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"]
        )
        page = browser.new_page()
        opened = time.monotonic()
        page.goto(f"{base_url}/rooms/{room_id}")
        page.wait_for_function(
            "() => { const v = document.getElementById('player');"
            " return v && v.readyState >= 2 && v.currentTime > 0; }",
            timeout=60_000,
        )
        first_frame_s = time.monotonic() - opened
        log(f"first frame {first_frame_s:.2f} s after the page opened; sampling {seconds:.0f} s")
        time.sleep(2)  # hls.js settles on its live sync point
        samples: list[float] = []
        estimates: list[float] = []
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            answer = page.evaluate(READ_CLOCK)
            if answer is not None and answer[0] < 60_000:  # a frame mid-switch reads garbage
                samples.append(answer[0] / 1000)
                if answer[1] == answer[1]:  # not NaN
                    estimates.append(float(answer[1]))
            time.sleep(0.2)
        browser.close()
    return {
        "first_frame_s": round(first_frame_s, 3),
        "samples": len(samples),
        "capture_to_playback_s": summary(samples),
        "hls_js_latency_s": summary(estimates) if estimates else None,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=20.0, help="how long to sample")
    arguments = parser.parse_args()
    app_port, rtmp_port, http_port = free_port(), free_port(), free_port()
    media_env = {
        "LIVESHOP_MEDIA_INGEST_URL": f"rtmp://127.0.0.1:{rtmp_port}/live",
        "LIVESHOP_MEDIA_PUBLIC_URL": f"http://127.0.0.1:{http_port}",
        "LIVESHOP_MEDIA_SERVER_URL": f"http://127.0.0.1:{http_port}",
    }
    with tempfile.TemporaryDirectory(prefix="liveshop-video-") as directory:
        home = Path(directory)
        settings = Settings(home=home)
        database_url = settings.resolved_database_url()
        upgrade_database(database_url)
        with unit_of_work(database_url) as session:
            host = accounts.create_user(
                session, username="bench_host", password="benchmark-password-1", role=Role.HOST
            )
            room_id = live.start_room(
                session, actor=host, room_id=live.create_room(session, host=host, title="延迟").id
            ).id
            token = accounts.issue_token(session, user=host)
        log("starting liveshop serve and the media server")
        server = start_server(home, app_port, media_env)
        base_url = f"http://127.0.0.1:{app_port}"
        options = ServerOptions(
            rtmp_port=rtmp_port,
            http_port=http_port,
            api_url=base_url,
            callback_secret=callback_secret(settings.resolved_secret_key()),
            listen_address="127.0.0.1",
        )
        nginx = start_media_server(media_paths(home), options)
        stream = None
        try:
            key = httpx.post(
                f"{base_url}/api/rooms/{room_id}/stream-key",
                headers={"Authorization": f"Bearer {token}"},
            ).json()["stream_key"]
            time.sleep(1)
            stream = publisher(f"rtmp://127.0.0.1:{rtmp_port}/live/{key}")
            result = measure(base_url, room_id, arguments.seconds)
        finally:
            if stream is not None:
                stream.terminate()
                stream.wait()
            stop_media_server(nginx)
            server.terminate()
            server.wait()
    result |= {
        "goal_s": 3.0,
        "hls_fragment_s": 1,
        "hls_js": {"liveSyncDurationCount": 1},
        "encoder": "libx264 veryfast zerolatency, keyframe every 1 s, 640x360 at 25 fps",
        "machine": "a shared 2-core machine, other work running (figures are upper bounds)",
    }
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()

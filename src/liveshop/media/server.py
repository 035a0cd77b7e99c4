"""Running the media server (nginx) in the foreground, supervised by the command."""

from __future__ import annotations

import shutil
import signal
import subprocess
import time
from pathlib import Path
from types import FrameType

from liveshop.media.server_config import RTMP_MODULE, MediaPaths, ServerOptions, render_config

NGINX_CANDIDATES = ("nginx", "/usr/sbin/nginx")
STOP_GRACE_SECONDS = 5.0


class MediaServerMissing(RuntimeError):
    """nginx or its RTMP module is not installed (``scripts/ensure-media.sh``)."""


def nginx_binary() -> str:
    for candidate in NGINX_CANDIDATES:
        found = shutil.which(candidate)
        if found:
            return found
    raise MediaServerMissing("nginx is not installed: run scripts/ensure-media.sh")


def write_config(paths: MediaPaths, options: ServerOptions) -> Path:
    if not RTMP_MODULE.exists():
        raise MediaServerMissing(f"{RTMP_MODULE} is missing: run scripts/ensure-media.sh")
    paths.make()
    for name in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"):
        (paths.temp / name).mkdir(exist_ok=True)
    # the callback URLs carry the shared secret: the file is its owner's alone
    paths.config.touch(mode=0o600)
    paths.config.chmod(0o600)
    paths.config.write_text(render_config(paths, options))
    return paths.config


def nginx_command(paths: MediaPaths) -> list[str]:
    return [
        nginx_binary(),
        "-p",
        str(paths.root),
        "-c",
        str(paths.config),
        "-e",
        str(paths.logs / "error.log"),
        "-g",
        "daemon off;",
    ]


def start_media_server(paths: MediaPaths, options: ServerOptions) -> subprocess.Popen[bytes]:
    """Write the configuration, check it, and start nginx in the foreground."""
    write_config(paths, options)
    check = subprocess.run(
        [*nginx_command(paths)[:-2], "-t", "-q"], capture_output=True, text=True, check=False
    )
    if check.returncode != 0:
        raise RuntimeError(f"nginx refused its configuration: {check.stderr.strip()}")
    return subprocess.Popen(nginx_command(paths), stdin=subprocess.DEVNULL)


def stop_media_server(process: subprocess.Popen[bytes]) -> None:
    """A fast shutdown (TERM), then KILL if nginx has not gone within the grace."""
    if process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=STOP_GRACE_SECONDS)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def run_media_server(paths: MediaPaths, options: ServerOptions) -> int:
    """Run nginx until it exits or this process is told to stop (INT or TERM); nginx
    stops with it. Answers nginx's exit status (0 when stopped by a signal)."""
    process = start_media_server(paths, options)
    stopping = False

    def stop(_signum: int, _frame: FrameType | None) -> None:
        nonlocal stopping
        stopping = True

    previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        while not stopping and process.poll() is None:
            time.sleep(0.2)
    finally:
        stop_media_server(process)
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    return 0 if stopping else (process.returncode or 0)

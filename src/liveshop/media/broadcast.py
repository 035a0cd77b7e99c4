"""Going live from the browser: the host console's camera and microphone, recorded by
the browser's MediaRecorder (WebM, VP8 + Opus) and sent in binary frames over a
WebSocket, piped into one ffmpeg per broadcast that encodes H.264 + AAC and publishes
it by RTMP to the media server under a key minted here (the browser never sees it).

- Only whoever runs the room (``access.require_stream_manager``, as for the stream key)
  opens it; the Origin is checked before the session cookie is read, like the room's
  socket. Nothing reaches ffmpeg before that.
- One broadcast per room at a time (per server process; the media server also refuses
  a second publisher of the same stream name).
- Bounded: if ffmpeg falls more than ``MAX_BACKLOG_BYTES`` behind, the broadcast is
  dropped rather than buffered without end. ffmpeg is killed when the socket closes.
"""

from __future__ import annotations

import asyncio
import contextlib
import shutil
from collections.abc import MutableMapping
from typing import Any

from fastapi import APIRouter, WebSocket

from liveshop.accounts.dependencies import SESSION_COOKIE
from liveshop.accounts.service import user_for_token
from liveshop.core.db import unit_of_work
from liveshop.core.dependencies import RowId, SettingsDep
from liveshop.core.errors import LiveShopError, NotAuthenticated
from liveshop.core.security import is_allowed_origin
from liveshop.live import service as live_service
from liveshop.media import access, streams
from liveshop.media.addresses import ingest_url

router = APIRouter(tags=["media"])

MAX_FRAME_BYTES = 4 * 1024 * 1024  # a MediaRecorder chunk of a second is ~0.1-0.5 MB
MAX_BACKLOG_BYTES = 4 * 1024 * 1024  # what ffmpeg may owe before the broadcast is dropped
FFMPEG_STOP_SECONDS = 5.0
CLOSE_POLICY = 1008  # bad origin, not signed in (as the room's socket)
CLOSE_TOO_BIG = 1009
CLOSE_ENCODER_ENDED = 1011
CLOSE_TOO_SLOW = 1013
CLOSE_FORBIDDEN = 4403
CLOSE_NOT_FOUND = 4404
CLOSE_BUSY = 4409

_broadcasting: set[int] = set()  # rooms with a broadcast in this process


def encoder_command(target: str) -> list[str]:
    """ffmpeg reading WebM from stdin and publishing FLV (H.264 + AAC) to ``target``:
    a keyframe a second, so the media server cuts 1 s HLS fragments."""
    return [
        "ffmpeg",
        "-loglevel",
        "error",
        "-f",
        "webm",
        "-i",
        "pipe:0",
        "-c:v",
        "libx264",
        "-preset",
        "veryfast",
        "-tune",
        "zerolatency",
        "-pix_fmt",
        "yuv420p",
        "-force_key_frames",
        "expr:gte(t,n_forced*1)",
        "-c:a",
        "aac",
        "-ar",
        "44100",
        "-b:a",
        "128k",
        "-f",
        "flv",
        target,
    ]


def _authorise(database_url: str, token: str | None, room_id: int) -> None:
    """Whoever runs the room, or an error (nothing written)."""
    with unit_of_work(database_url, writes=False) as session:
        user = user_for_token(session, token=token) if token else None
        if user is None:
            raise NotAuthenticated("sign in to broadcast", code="not_authenticated")
        room = live_service.get_room(session, room_id=room_id)
        access.require_stream_manager(user, room=room)


def _mint_key(database_url: str, token: str, room_id: int) -> str:
    """A fresh stream key for this broadcast (the previous key stops working)."""
    with unit_of_work(database_url) as session:
        user = user_for_token(session, token=token)
        if user is None:
            raise NotAuthenticated("sign in to broadcast", code="not_authenticated")
        return streams.issue_stream_key(session, actor=user, room_id=room_id).stream_key


def _close_code(error: LiveShopError) -> int:
    if error.status_code == 404:
        return CLOSE_NOT_FOUND
    return CLOSE_FORBIDDEN if error.status_code == 403 else CLOSE_POLICY


@router.websocket("/ws/rooms/{room_id}/broadcast")
async def broadcast_socket(
    websocket: WebSocket, room_id: RowId, settings: SettingsDep, token: str | None = None
) -> None:
    origin, host = websocket.headers.get("origin"), websocket.headers.get("host")
    if not is_allowed_origin(origin, host=host, allowed=settings.websocket_allowed_origins()):
        await websocket.close(code=CLOSE_POLICY, reason="this page's origin may not broadcast")
        return
    token = token or websocket.cookies.get(SESSION_COOKIE)
    database_url = settings.resolved_database_url()
    try:
        await asyncio.to_thread(_authorise, database_url, token, room_id)
    except LiveShopError as error:
        await websocket.close(code=_close_code(error), reason=error.message)
        return
    if room_id in _broadcasting:
        # Accepted first, so the host's page learns why (a refusal before the
        # handshake reaches a browser as a bare 403).
        await websocket.accept()
        await websocket.close(code=CLOSE_BUSY, reason="this room is already broadcasting")
        return
    _broadcasting.add(room_id)
    try:
        await _broadcast(
            websocket,
            ingest=ingest_url(settings),
            db=database_url,
            token=token or "",
            room_id=room_id,
        )
    finally:
        _broadcasting.discard(room_id)


async def _broadcast(
    websocket: WebSocket, *, ingest: str, db: str, token: str, room_id: int
) -> None:
    try:
        stream_key = await asyncio.to_thread(_mint_key, db, token, room_id)
    except LiveShopError as error:
        await websocket.close(code=_close_code(error), reason=error.message)
        return
    binary = shutil.which("ffmpeg")
    if binary is None:
        await websocket.close(code=CLOSE_ENCODER_ENDED, reason="ffmpeg is not installed")
        return
    command = encoder_command(f"{ingest}/{stream_key}")
    process = await asyncio.create_subprocess_exec(
        binary,
        *command[1:],
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
    )
    dropped = True  # unless the host closed the socket: then ffmpeg may flush its tail
    try:
        await websocket.accept()
        await websocket.send_json({"type": "ready"})
        code, reason = await _pump(websocket, process)
        dropped = code is not None
        if code is not None:
            with contextlib.suppress(Exception):
                await websocket.close(code=code, reason=reason)
    finally:
        await _stop(process, at_once=dropped)


async def _pump(
    websocket: WebSocket, process: asyncio.subprocess.Process
) -> tuple[int | None, str]:
    """Frames to ffmpeg's stdin until the socket closes (None) or the broadcast is dropped."""
    stdin = process.stdin
    assert stdin is not None
    exited = asyncio.ensure_future(process.wait())
    try:
        while True:
            receiving = asyncio.ensure_future(websocket.receive())
            await asyncio.wait({receiving, exited}, return_when=asyncio.FIRST_COMPLETED)
            if not receiving.done():
                receiving.cancel()
                return (
                    CLOSE_ENCODER_ENDED,
                    "the encoder stopped (the media server refused or ended the stream)",
                )
            message: MutableMapping[str, Any] = receiving.result()
            if message["type"] == "websocket.disconnect":
                return None, ""
            data = message.get("bytes")
            if not data:
                continue  # text frames carry nothing for the encoder
            if len(data) > MAX_FRAME_BYTES:
                return CLOSE_TOO_BIG, "a video chunk is too large"
            stdin.write(data)
            if stdin.transport.get_write_buffer_size() > MAX_BACKLOG_BYTES:
                return CLOSE_TOO_SLOW, "the encoder fell behind: broadcast dropped"
    finally:
        exited.cancel()


async def _stop(process: asyncio.subprocess.Process, *, at_once: bool) -> None:
    """End of input, then a few seconds to flush; killed if it does not finish (or at
    once when the broadcast was dropped)."""
    if at_once and process.returncode is None:
        process.kill()
    if process.stdin is not None:
        with contextlib.suppress(Exception):
            process.stdin.close()
    try:
        await asyncio.wait_for(process.wait(), FFMPEG_STOP_SECONDS)
    except TimeoutError:
        process.kill()
        await process.wait()

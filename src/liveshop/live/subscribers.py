"""The receiving end of a room: a WebSocket or an SSE stream, each with a bounded queue.

The hub hands every subscriber the same pre-serialised frame. A WebSocket
send normally completes without suspending (the socket buffer has room), so
the hub drives it to completion inline: no task per client per frame, which
measured about twice as cheap. Under uvicorn's sans-I/O WebSocket protocol
without per-message deflate, a server's frame is the same bytes for every
client, so the frame is encoded once per tick and written straight to each
client's transport while it has room (the ASGI send path, with its per-message
framing, is kept for everything else). Only when the socket pushes back does the
rest of that send, and the frames queued behind it, move to a task of its
own; frames beyond ``max_backlog`` are skipped, and a client that keeps on
skipping is dropped, so a stalled viewer never delays the others.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import time
from collections import deque
from collections.abc import Coroutine
from typing import Any, Protocol

from starlette.types import ASGIApp, Receive, Scope, Send
from starlette.websockets import WebSocket
from websockets.frames import Frame, Opcode

from liveshop.live import metrics

MAX_BACKLOG = 30  # frames: 3 s of ticks
MAX_SKIPPED = 100  # about 10 s of frames skipped in a row: the client is gone or hopeless
# The kernel's send buffer per viewer. Linux autotunes it up to tcp_wmem's maximum
# (4 MiB here): a viewer who stops reading would absorb minutes of frames, in
# kernel memory, before the server saw any push-back. 128 KiB (the kernel doubles
# it) is still seconds of frames at 10 a second, plenty for a slow mobile link.
SEND_BUFFER_BYTES = 128 * 1024
CLOSE_GRACE_SECONDS = 1.0  # time for frames queued before a close (its reason) to leave


class Subscriber(Protocol):
    user_id: int | None
    closed: bool
    connected_at: float
    counted: bool  # one of the room's viewers; False for a console or dashboard watching

    def deliver(self, frame: str) -> bool:
        """Hand over one frame; True when it went out as the tick's shared bytes, which
        the caller counts (one metric update per tick, not one per client)."""
        ...

    def close(self, code: int, reason: str) -> None: ...


async def _finish_suspended(coroutine: Coroutine[Any, Any, Any], waiting_on: Any) -> None:
    """Run a coroutine that was started by hand and suspended on ``waiting_on`` to its end.

    This is what asyncio's Task does for every coroutine (and what Python 3.12's
    eager tasks do for the first step); here only the rare suspended send pays for it.
    """
    while True:
        if isinstance(waiting_on, asyncio.Future):
            waiting_on._asyncio_future_blocking = False
            await asyncio.wait([waiting_on])
        else:
            await asyncio.sleep(0)
        try:
            waiting_on = coroutine.send(None)
        except StopIteration:
            return


def count_shared(frames: int) -> None:
    metrics.frames_sent.inc(frames)
    metrics.frames_shared.inc(frames)


def deliver_one(subscriber: Subscriber, frame: str) -> None:
    """A frame for one client (a reply, a resume, a notice), counted here."""
    if subscriber.deliver(frame):
        count_shared(1)


class _Encoded:
    """The last frame encoded as WebSocket bytes: the hub hands every client the same
    string object each tick, so an identity check finds it."""

    frame: str | None = None
    data: bytes = b""


_encoded = _Encoded()


def encoded_frame(frame: str) -> bytes:
    if frame is not _encoded.frame:
        _encoded.data = Frame(Opcode.TEXT, frame.encode()).serialize(mask=False, extensions=[])
        _encoded.frame = frame
    return _encoded.data


SERVER_SEND = "liveshop.server_send"


class KeepServerSend:
    """ASGI middleware: keeps the server's own ``send`` in a WebSocket's scope (the
    framework wraps it further in), so the hub can reach the connection's transport."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "websocket":
            scope[SERVER_SEND] = send
        await self.app(scope, receive, send)


def _limit_send_buffer(protocol: Any) -> None:
    sock = protocol.transport.get_extra_info("socket")
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, SEND_BUFFER_BYTES)


def _shared_bytes_protocol(websocket: WebSocket) -> Any | None:
    """uvicorn's sans-I/O protocol object behind this connection's ASGI ``send``, when
    frames may be written to it as shared bytes (no per-message deflate negotiated)."""
    protocol = getattr(websocket.scope.get(SERVER_SEND), "__self__", None)
    connection = getattr(protocol, "conn", None)
    if protocol is None or connection is None or not hasattr(protocol, "writable"):
        return None
    return None if getattr(connection, "extensions", None) else protocol


class WebSocketSubscriber:
    def __init__(self, websocket: WebSocket, user_id: int | None, *, counted: bool = True) -> None:
        self.websocket = websocket
        self.counted = counted
        self.protocol = _shared_bytes_protocol(websocket)
        if self.protocol is not None:
            _limit_send_buffer(self.protocol)
        self.user_id = user_id
        self.closed = False
        self.skipped_in_a_row = 0
        self.backlog: deque[dict[str, Any]] = deque()
        self.draining: asyncio.Task[None] | None = None
        self.closing: asyncio.Task[None] | None = None
        self.connected_at = time.monotonic()

    def deliver(self, frame: str) -> bool:
        if self.closed:
            return False
        if self.draining is None and self._write_shared(frame):
            return True
        message = {"type": "websocket.send", "text": frame}
        if self.draining is not None:
            self._queue(message)
            return False
        coroutine = self.websocket.send(message)
        try:
            waiting_on = coroutine.send(None)
        except StopIteration:
            self.skipped_in_a_row = 0
            metrics.frames_sent.inc()
            return False
        except Exception:
            self.closed = True
            return False
        self.draining = asyncio.get_running_loop().create_task(self._drain(coroutine, waiting_on))
        return False

    def _write_shared(self, frame: str) -> bool:
        """Write the tick's shared bytes if the socket has room; False: take the ASGI path."""
        protocol = self.protocol
        if (
            protocol is None
            or not protocol.writable.is_set()
            or protocol.disconnected
            or protocol.close_sent
            or protocol.transport.is_closing()
        ):
            return False
        protocol.transport.write(encoded_frame(frame))
        self.skipped_in_a_row = 0
        return True

    def _queue(self, message: dict[str, Any]) -> None:
        if len(self.backlog) >= MAX_BACKLOG:
            self.backlog.popleft()
            self.skipped_in_a_row += 1
            metrics.frames_skipped.inc()
            if self.skipped_in_a_row > MAX_SKIPPED:
                metrics.clients_dropped.inc()
                self.backlog.clear()  # hopelessly behind: nothing queued is worth sending
                self.close(1008, "too far behind")
                return
        self.backlog.append(message)

    async def _drain(self, coroutine: Coroutine[Any, Any, Any], waiting_on: Any) -> None:
        try:
            await _finish_suspended(coroutine, waiting_on)
            metrics.frames_sent.inc()
            # Also after close(): the frames queued before it (such as the error
            # explaining it) still leave, bounded by CLOSE_GRACE_SECONDS.
            while self.backlog:
                await self.websocket.send(self.backlog.popleft())
                metrics.frames_sent.inc()
            self.skipped_in_a_row = 0
        except Exception:
            self.closed = True
        finally:
            self.draining = None

    def close(self, code: int, reason: str) -> None:
        """Stop taking frames; send what is already queued, then the close frame."""
        if self.closed:
            return
        self.closed = True
        self.closing = asyncio.get_running_loop().create_task(
            self._close(code, reason, self.draining)
        )

    async def wait_closed(self) -> None:
        """Wait for a close started by :meth:`close` to be sent (the handler awaits this
        before returning, since the server drops the connection when the handler ends)."""
        if self.closing is not None:
            await asyncio.shield(self.closing)

    async def _close(self, code: int, reason: str, draining: asyncio.Task[None] | None) -> None:
        if draining is not None:
            _done, pending = await asyncio.wait({draining}, timeout=CLOSE_GRACE_SECONDS)
            for task in pending:
                task.cancel()
        self.backlog.clear()
        try:
            await self.websocket.close(code=code, reason=reason)
        except Exception:  # already gone
            return


class StreamSubscriber:
    """A Server-Sent Events client: frames wait in a bounded asyncio queue."""

    def __init__(
        self, user_id: int | None, max_backlog: int = MAX_BACKLOG, *, counted: bool = True
    ) -> None:
        self.user_id = user_id
        self.counted = counted
        self.connected_at = time.monotonic()
        self.closed = False
        self.queue: asyncio.Queue[str | None] = asyncio.Queue(maxsize=max_backlog)
        self.skipped_in_a_row = 0

    def deliver(self, frame: str) -> bool:
        if self.closed:
            return False
        if self.queue.full():
            self.queue.get_nowait()
            self.skipped_in_a_row += 1
            metrics.frames_skipped.inc()
            if self.skipped_in_a_row > MAX_SKIPPED:
                metrics.clients_dropped.inc()
                self.close(1008, "too far behind")
                return False
        else:
            self.skipped_in_a_row = 0
        self.queue.put_nowait(frame)
        metrics.frames_sent.inc()
        return False

    def close(self, code: int, reason: str) -> None:
        if not self.closed:
            self.closed = True
            while self.queue.full():
                self.queue.get_nowait()
            self.queue.put_nowait(None)

"""Live-room fan-out benchmark: LiveShop's hub against a plain python-socketio peer.

Run by hand (not a test); prints one JSON document on stdout, progress on stderr::

    /tmp/venv/bin/python benchmarks/fanout.py                 # a, b, peer, ramp
    /tmp/venv/bin/python benchmarks/fanout.py --quick         # ~1 min smoke run
    /tmp/venv/bin/python benchmarks/fanout.py --scenarios a,peer --viewers 3000

Three processes:

* the server under test, one worker pinned to CPU 0 (``taskset -c 0``):
  ``python -m liveshop.cli serve`` on a fresh SQLite ``LIVESHOP_HOME``, or the
  peer, a minimal python-socketio ``AsyncServer`` on aiohttp that emits every
  comment and every like message to the room as it arrives;
* the load generator, pinned to CPU 1 (asyncio + uvloop): chatters and
  "parsing" viewers are aiohttp WebSocket clients that decode every frame and
  time each comment; the bulk of viewers are raw asyncio protocols that only
  walk WebSocket frame headers (counting frames and bytes, answering pings),
  so one core can hold many thousand viewers without its own backlog
  showing up as latency;
* this orchestrator, which seeds users, starts and stops the servers and
  collects the generator's JSON.

Every comment text is unique (``q`` then the counter's digits joined by ``x``,
so LiveShop's fold key, which drops punctuation and collapses repeated
characters, never folds two of them); latency is the time from the chatter's
send to a parsing viewer's receipt, on the generator's monotonic clock.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import contextlib
import json
import math
import os
import random
import resource
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, cast

NOFILE = 65_536
HOST = "127.0.0.1"
COMMENT_PREFIX = "q"


# --------------------------------------------------------------------------- shared


def raise_nofile(limit: int = NOFILE) -> None:
    """Raise the open-files limit (root may raise the hard limit too)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    try:
        resource.setrlimit(resource.RLIMIT_NOFILE, (limit, max(limit, hard)))
    except (ValueError, OSError):
        resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, hard), hard))


def log(message: str) -> None:
    print(f"[fanout {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def comment_text(number: int) -> str:
    """A text no other counter value folds into: no punctuation, no repeated character."""
    return COMMENT_PREFIX + "x".join(str(number))


def comment_number(text: str) -> int | None:
    if not text.startswith(COMMENT_PREFIX):
        return None
    digits = text[len(COMMENT_PREFIX) :].replace("x", "")
    return int(digits) if digits.isdigit() else None


def percentile(sorted_values: list[float], share: float) -> float | None:
    if not sorted_values:
        return None
    index = min(len(sorted_values) - 1, max(0, math.ceil(share * len(sorted_values)) - 1))
    return sorted_values[index]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        port: int = probe.getsockname()[1]
        return port


# --------------------------------------------------------------------------- load generator


@dataclass
class LoadConfig:
    server: str  # "liveshop" or "socketio"
    port: int
    room_id: int
    server_pid: int
    viewers: int
    parsers: int
    chatter_tokens: list[str]
    comments_per_second: float
    likes_per_second: float
    duration: float
    warmup: float = 3.0
    stalled_share: float = 0.0
    connect_concurrency: int = 100
    max_server_rss_mb: float = 4096.0
    drain_seconds: float = 1.5


@dataclass
class ViewerStats:
    frames: int = 0
    comments: int = 0
    latencies: list[float] = field(default_factory=list)


class RawViewer(asyncio.Protocol):
    """A WebSocket client that only walks frame headers: frames and bytes, no decoding.

    Answers WebSocket pings (uvicorn sends one every 20 s) and, for the
    Socket.IO peer, Engine.IO pings (a text frame ``2``, answered with ``3``).
    """

    def __init__(self, request: bytes, socketio: bool) -> None:
        self.request = request
        self.socketio = socketio
        self.transport: asyncio.Transport | None = None
        self.ready: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.handshaking = True
        self.pending = b""
        self.skip = 0
        self.frames = 0
        self.nbytes = 0
        self.closed = False
        self.close_frame_seen = False
        self.stalled = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)
        self.transport.write(self.request)

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        if not self.ready.done():
            self.ready.set_exception(ConnectionError("closed during the handshake"))

    def data_received(self, data: bytes) -> None:
        if self.handshaking:
            self.pending += data
            end = self.pending.find(b"\r\n\r\n")
            if end < 0:
                return
            head, data = self.pending[:end], self.pending[end + 4 :]
            self.pending = b""
            self.handshaking = False
            if not head.startswith(b"HTTP/1.1 101"):
                if not self.ready.done():
                    self.ready.set_exception(ConnectionError(head[:80].decode(errors="replace")))
                assert self.transport is not None
                self.transport.close()
                return
            if self.socketio:
                self._send(0x1, b"40")  # connect the default namespace
            self.ready.set_result(None)
            if not data:
                return
        self.nbytes += len(data)
        if self.skip:
            if self.skip >= len(data):
                self.skip -= len(data)
                return
            data = data[self.skip :]
            self.skip = 0
        if self.pending:
            data = self.pending + data
            self.pending = b""
        self._walk(data)

    def _walk(self, data: bytes) -> None:
        pos, size = 0, len(data)
        while size - pos >= 2:
            opcode = data[pos] & 0x0F
            length = data[pos + 1] & 0x7F
            head = 2
            if length == 126:
                if size - pos < 4:
                    break
                length = int.from_bytes(data[pos + 2 : pos + 4], "big")
                head = 4
            elif length == 127:
                if size - pos < 10:
                    break
                length = int.from_bytes(data[pos + 2 : pos + 10], "big")
                head = 10
            end = pos + head + length
            if opcode >= 0x8 or (self.socketio and length == 1):
                if end > size:
                    break
                self._small_frame(opcode, data[pos + head : end])
                pos = end
                continue
            self.frames += 1
            if end > size:
                self.skip = end - size
                return
            pos = end
        self.pending = data[pos:]

    def _small_frame(self, opcode: int, payload: bytes) -> None:
        if opcode == 0x9:
            self._send(0xA, payload)
        elif opcode == 0x8:
            self.close_frame_seen = True
            if self.transport is not None:
                self.transport.close()
        elif opcode == 0x1 and payload == b"2":
            self._send(0x1, b"3")
        elif opcode < 0x8:
            self.frames += 1

    def _send(self, opcode: int, payload: bytes) -> None:
        if self.transport is None or self.transport.is_closing():
            return
        mask = os.urandom(4)
        masked = bytes(byte ^ mask[index % 4] for index, byte in enumerate(payload))
        self.transport.write(bytes([0x80 | opcode, 0x80 | len(payload)]) + mask + masked)

    def stall(self) -> None:
        self.stalled = True
        if self.transport is not None:
            self.transport.pause_reading()

    def unstall(self) -> None:
        if self.transport is not None and not self.transport.is_closing():
            self.transport.resume_reading()


class LoadGenerator:
    def __init__(self, config: LoadConfig) -> None:
        self.config = config
        self.socketio = config.server == "socketio"
        self.sent: dict[int, float] = {}
        self.counter = 0
        self.measuring = False
        self.window_start = 0.0
        self.window_end = 0.0
        self.comments_sent = 0
        self.likes_sent = 0
        self.acks = 0
        self.errors: dict[str, int] = {}
        self.raw: list[RawViewer] = []
        self.parser_stats: list[ViewerStats] = []
        self.parser_closed: list[bool] = []
        self.chatter_closed: list[bool] = []
        self.chatter_frames = 0
        self.connect_failures = 0
        self.connect_errors: dict[str, int] = {}
        self.rss_peak = 0
        self.rss_cap_hit_at: float | None = None

    # --- connecting ---

    def ws_path(self, token: str | None = None) -> str:
        if self.socketio:
            return "/socket.io/?EIO=4&transport=websocket"
        query = f"?token={token}" if token else ""
        return f"/ws/rooms/{self.config.room_id}{query}"

    def _note_failure(self, error: BaseException) -> None:
        self.connect_failures += 1
        key = type(error).__name__ + ": " + str(error)[:60]
        self.connect_errors[key] = self.connect_errors.get(key, 0) + 1

    async def connect_raw(self, gate: asyncio.Semaphore) -> None:
        loop = asyncio.get_running_loop()
        key = base64.b64encode(os.urandom(16)).decode()
        request = (
            f"GET {self.ws_path()} HTTP/1.1\r\nHost: {HOST}:{self.config.port}\r\n"
            "Upgrade: websocket\r\nConnection: Upgrade\r\n"
            f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n"
        ).encode()
        async with gate:
            try:
                _, protocol = await asyncio.wait_for(
                    loop.create_connection(
                        lambda: RawViewer(request, self.socketio), HOST, self.config.port
                    ),
                    timeout=30,
                )
                await asyncio.wait_for(protocol.ready, timeout=30)
            except (OSError, TimeoutError, ConnectionError) as error:
                self._note_failure(error)
                return
        self.raw.append(protocol)

    async def open_ws(self, session: Any, gate: asyncio.Semaphore, token: str | None) -> Any:
        import aiohttp

        async with gate:
            try:
                ws = await session.ws_connect(
                    f"http://{HOST}:{self.config.port}{self.ws_path(token)}",
                    timeout=aiohttp.ClientWSTimeout(ws_close=5),
                    max_msg_size=0,
                )
                if self.socketio:
                    opening = await asyncio.wait_for(ws.receive(), 30)
                    if not str(opening.data).startswith("0"):
                        raise ConnectionError(f"unexpected Engine.IO opening {opening.data!r}")
                    await ws.send_str("40")
                return ws
            except (OSError, TimeoutError, ConnectionError, aiohttp.ClientError) as error:
                self._note_failure(error)
                return None

    # --- reading ---

    async def parse_frames(self, ws: Any, index: int) -> None:
        import aiohttp
        import orjson

        stats = self.parser_stats[index]
        sent = self.sent
        try:
            async for message in ws:
                if message.type != aiohttp.WSMsgType.TEXT:
                    continue
                now = time.monotonic()
                data: str = message.data
                texts: list[str]
                if self.socketio:
                    if data == "2":
                        await ws.send_str("3")
                        continue
                    if not data.startswith('42["comment"'):
                        if self.measuring:
                            stats.frames += 1
                        continue
                    texts = [orjson.loads(data[2:])[1]["text"]]
                else:
                    frame = orjson.loads(data)
                    if frame.get("type") not in ("frame", "snapshot"):
                        continue
                    texts = [line["text"] for line in frame.get("comments", ())]
                if not self.measuring:
                    continue
                stats.frames += 1
                for text in texts:
                    number = comment_number(text)
                    if number is None:
                        continue
                    sent_at = sent.get(number)
                    if sent_at is not None:
                        stats.comments += 1
                        stats.latencies.append(now - sent_at)
        except Exception as error:  # a reset connection ends this viewer
            log(f"parser {index} ended: {error!r}")
        finally:
            self.parser_closed[index] = True

    async def chatter_reader(self, ws: Any, index: int) -> None:
        import aiohttp

        try:
            async for message in ws:
                if message.type != aiohttp.WSMsgType.TEXT:
                    continue
                data: str = message.data
                if self.socketio:
                    if data == "2":
                        await ws.send_str("3")
                    continue
                if self.measuring:
                    self.chatter_frames += 1
                if data.startswith('{"type":"ack"'):
                    self.acks += 1
                elif data.startswith('{"type":"error"'):
                    code = data.split('"code":"', 1)[-1].split('"', 1)[0]
                    self.errors[code] = self.errors.get(code, 0) + 1
        except Exception as error:
            log(f"chatter {index} reader ended: {error!r}")
        finally:
            self.chatter_closed[index] = True

    # --- sending ---

    async def chat(self, ws: Any, interval: float) -> None:
        loop = asyncio.get_running_loop()
        next_at = self.window_start + random.uniform(0, interval)
        while True:
            await asyncio.sleep(max(0.0, next_at - loop.time()))
            if loop.time() >= self.window_end:
                return
            self.counter += 1
            number = self.counter
            text = comment_text(number)
            if self.socketio:
                payload = '42["comment",' + json.dumps({"text": text}) + "]"
            else:
                payload = json.dumps({"type": "comment", "text": text})
            self.sent[number] = time.monotonic()
            try:
                await ws.send_str(payload)
            except Exception:
                return
            self.comments_sent += 1
            next_at += interval

    async def like(self, ws: Any, per_second: float) -> None:
        loop = asyncio.get_running_loop()
        interval = 1.0 if per_second <= 50 else 50 / per_second
        owed = 0.0
        next_at = self.window_start + random.uniform(0, interval)
        while True:
            await asyncio.sleep(max(0.0, next_at - loop.time()))
            if loop.time() >= self.window_end:
                return
            owed += per_second * interval
            count = min(50, int(owed))
            next_at += interval
            if count < 1:
                continue
            owed -= count
            if self.socketio:
                payload = '42["like",' + json.dumps({"count": count}) + "]"
            else:
                payload = json.dumps({"type": "like", "count": count})
            try:
                await ws.send_str(payload)
            except Exception:
                return
            self.likes_sent += count

    # --- the run ---

    async def fetch_metrics(self, session: Any) -> dict[str, float]:
        if self.socketio:
            return {}
        async with session.get(f"http://{HOST}:{self.config.port}/metrics") as response:
            text = await response.text()
        values: dict[str, float] = {}
        for line in text.splitlines():
            if line.startswith("liveshop_") and " " in line:
                name, _, value = line.rpartition(" ")
                with contextlib.suppress(ValueError):
                    values[name] = values.get(name, 0.0) + float(value)
        return values

    async def sample_server(self, server: Any) -> None:
        while True:
            with contextlib.suppress(Exception):
                rss = server.memory_info().rss
                self.rss_peak = max(self.rss_peak, rss)
                if (
                    self.measuring
                    and self.rss_cap_hit_at is None
                    and rss > self.config.max_server_rss_mb * 2**20
                ):
                    self.rss_cap_hit_at = asyncio.get_running_loop().time()
            await asyncio.sleep(0.25)

    async def run(self) -> dict[str, Any]:
        import aiohttp
        import psutil

        config = self.config
        loop = asyncio.get_running_loop()
        server = psutil.Process(config.server_pid)
        me = psutil.Process()
        rss_before = server.memory_info().rss
        self.rss_peak = rss_before
        sampler = loop.create_task(self.sample_server(server))

        chatters = min(len(config.chatter_tokens), config.viewers)
        parsers = min(config.parsers, config.viewers - chatters)
        light = config.viewers - chatters - parsers
        stalled = min(light, round(config.viewers * config.stalled_share))
        gate = asyncio.Semaphore(config.connect_concurrency)
        connector = aiohttp.TCPConnector(limit=0, force_close=False)
        session = aiohttp.ClientSession(connector=connector)
        log(
            f"{config.server}: connecting {config.viewers} ({chatters} chatters, "
            f"{parsers} parsers, {light} light of which {stalled} will stall)"
        )
        started = time.monotonic()
        chatter_ws: list[Any] = []
        parser_ws: list[Any] = []
        readers: list[asyncio.Task[None]] = []

        async def open_chatter(token: str) -> None:
            ws = await self.open_ws(session, gate, token)
            if ws is not None:
                self.chatter_closed.append(False)
                readers.append(loop.create_task(self.chatter_reader(ws, len(chatter_ws))))
                chatter_ws.append(ws)

        async def open_parser() -> None:
            ws = await self.open_ws(session, gate, None)
            if ws is not None:
                self.parser_stats.append(ViewerStats())
                self.parser_closed.append(False)
                readers.append(loop.create_task(self.parse_frames(ws, len(parser_ws))))
                parser_ws.append(ws)

        await asyncio.gather(*(open_chatter(token) for token in config.chatter_tokens[:chatters]))
        await asyncio.gather(*(open_parser() for _ in range(parsers)))
        await asyncio.gather(*(self.connect_raw(gate) for _ in range(light)))
        connect_seconds = time.monotonic() - started
        connected = len(chatter_ws) + len(parser_ws) + len(self.raw)
        log(
            f"{config.server}: {connected} connected in {connect_seconds:.1f} s, "
            f"{self.connect_failures} failed {self.connect_errors}"
        )
        await asyncio.sleep(config.warmup)
        rss_connected = server.memory_info().rss
        stalled_viewers = self.raw[:stalled]
        healthy_raw = self.raw[stalled:]

        # --- the measured window ---
        metrics_before = await self.fetch_metrics(session)
        server_cpu_before = server.cpu_times()
        my_cpu_before = me.cpu_times()
        cores_before = psutil.cpu_times(percpu=True)
        raw_frames_before = [viewer.frames for viewer in self.raw]
        raw_bytes_before = sum(viewer.nbytes for viewer in self.raw)
        closed_before = sum(viewer.closed for viewer in healthy_raw)
        for viewer in stalled_viewers:
            viewer.stall()
        self.window_start = loop.time()
        self.window_end = self.window_start + config.duration
        wall_start = time.monotonic()
        self.measuring = True
        senders = []
        if chatter_ws:
            interval = len(chatter_ws) / max(config.comments_per_second, 1e-9)
            likes_each = config.likes_per_second / len(chatter_ws)
            for ws in chatter_ws:
                if config.comments_per_second > 0:
                    senders.append(loop.create_task(self.chat(ws, interval)))
                if likes_each > 0:
                    senders.append(loop.create_task(self.like(ws, likes_each)))
        while loop.time() < self.window_end and self.rss_cap_hit_at is None:  # noqa: ASYNC110
            await asyncio.sleep(0.1)
        self.window_end = min(self.window_end, loop.time())
        send_seconds = time.monotonic() - wall_start
        for task in senders:
            task.cancel()
        await asyncio.sleep(config.drain_seconds)  # the last comments' frames
        self.measuring = False
        elapsed = time.monotonic() - wall_start
        server_cpu_after = server.cpu_times()
        my_cpu_after = me.cpu_times()
        cores_after = psutil.cpu_times(percpu=True)
        metrics_after = await self.fetch_metrics(session)

        # --- what the stalled viewers saw, once they read again ---
        stalled_closed_while_paused = sum(viewer.closed for viewer in stalled_viewers)
        for viewer in stalled_viewers:
            viewer.unstall()
        if stalled_viewers:
            await asyncio.sleep(3.0)
        stalled_dropped_seen = sum(
            viewer.close_frame_seen or viewer.closed for viewer in stalled_viewers
        )

        # --- figures ---
        def cpu_seconds(before: Any, after: Any) -> float:
            return float((after.user - before.user) + (after.system - before.system))

        server_cpu = cpu_seconds(server_cpu_before, server_cpu_after) / elapsed * 100
        my_cpu = cpu_seconds(my_cpu_before, my_cpu_after) / elapsed * 100
        core_busy = [
            round(100 * (1 - (after.idle - before.idle) / max(sum(after) - sum(before), 1e-9)), 1)
            for before, after in zip(cores_before, cores_after, strict=True)
        ]
        latencies = sorted(x for stats in self.parser_stats for x in stats.latencies)
        comments_sent = self.comments_sent
        raw_frames = [
            viewer.frames - before
            for viewer, before in zip(self.raw, raw_frames_before, strict=True)
        ]
        healthy_frames = raw_frames[stalled:]
        disconnected = (
            sum(viewer.closed for viewer in healthy_raw)
            - closed_before
            + sum(self.parser_closed)
            + sum(self.chatter_closed)
        )
        receiving = connected - stalled - disconnected
        parser_comments = [stats.comments for stats in self.parser_stats]
        per_parser = statistics.fmean(parser_comments) if parser_comments else 0.0
        frames_per_viewer = (
            statistics.fmean(healthy_frames) / send_seconds if healthy_frames else 0.0
        )
        parser_frames = sum(stats.frames for stats in self.parser_stats)
        frames_total = sum(raw_frames) + parser_frames + self.chatter_frames
        delivered_per_s = per_parser * receiving / send_seconds
        delta = {
            name: metrics_after.get(name, 0.0) - metrics_before.get(name, 0.0)
            for name in metrics_after
        }
        comments_in = delta.get("liveshop_comments_in_total", 0.0)
        sampled_out = delta.get("liveshop_comments_sampled_out_total", 0.0)
        result: dict[str, Any] = {
            "server": config.server,
            "viewers_target": config.viewers,
            "viewers_connected": connected,
            "connect_failures": self.connect_failures,
            "connect_errors": self.connect_errors,
            "connect_seconds": round(connect_seconds, 1),
            "viewers_disconnected": disconnected,
            "chatters": len(chatter_ws),
            "parsing_viewers": len(parser_ws),
            "window_seconds": round(send_seconds, 2),
            "comments_sent_per_s": round(comments_sent / send_seconds, 1),
            "likes_sent_per_s": round(self.likes_sent / send_seconds, 1),
            "comments_acked": self.acks,
            "messages_refused": self.errors,
            "comments_delivered_per_s": round(delivered_per_s, 1),
            "comments_delivered_how": (
                "mean comments received per parsing viewer x viewers still receiving / window"
            ),
            "comment_receipt_share_per_viewer": (
                round(per_parser / comments_sent, 4) if comments_sent else None
            ),
            "frames_per_s_per_viewer": round(frames_per_viewer, 2),
            "frames_per_s_total": round(frames_total / send_seconds, 1),
            "received_mb_per_s_light_viewers": round(
                (sum(viewer.nbytes for viewer in self.raw) - raw_bytes_before) / elapsed / 1e6, 2
            ),
            "latency_ms": {
                "samples": len(latencies),
                "p50": _ms(percentile(latencies, 0.50)),
                "p95": _ms(percentile(latencies, 0.95)),
                "p99": _ms(percentile(latencies, 0.99)),
                "max": _ms(latencies[-1] if latencies else None),
            },
            "sampled_out_share": (round(sampled_out / comments_in, 4) if comments_in else None),
            "server_cpu_pct": round(server_cpu, 1),
            "server_rss_mb": {
                "before_connect": round(rss_before / 2**20, 1),
                "connected": round(rss_connected / 2**20, 1),
                "peak": round(self.rss_peak / 2**20, 1),
            },
            "bytes_per_connection": round((rss_connected - rss_before) / max(connected, 1)),
            "generator_cpu_pct": round(my_cpu, 1),
            "core_busy_pct": core_busy,
            "other_processes_on_server_core_pct": round(max(core_busy[0] - server_cpu, 0.0), 1),
            "load_average_1m": round(os.getloadavg()[0], 2),
            "delivered_comments_per_server_cpu_s": (
                round(delivered_per_s / (server_cpu / 100), 1) if server_cpu > 0 else None
            ),
            "server_rss_cap_hit": self.rss_cap_hit_at is not None,
        }
        if stalled:
            result["stalled"] = {
                "viewers": stalled,
                "dropped_per_server_metric": delta.get("liveshop_clients_dropped_total"),
                "closed_while_paused": stalled_closed_while_paused,
                "close_seen_after_resuming_3s": stalled_dropped_seen,
                "frames_skipped_per_server_metric": delta.get("liveshop_frames_skipped_total"),
            }
        if delta:
            result["server_metrics_delta"] = {k: round(v, 1) for k, v in sorted(delta.items())}
            result["server_connections_gauge_end"] = metrics_after.get("liveshop_connections")
        sampler.cancel()
        for task in readers:
            task.cancel()
        for viewer in self.raw:
            if viewer.transport is not None:
                viewer.transport.abort()
        with contextlib.suppress(Exception):
            await asyncio.wait_for(session.close(), 5)
        return result


def _ms(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds * 1000, 1)


def loadgen_main() -> None:
    raise_nofile()
    import uvloop

    config = LoadConfig(**json.loads(sys.stdin.read()))
    result = uvloop.run(LoadGenerator(config).run())
    sys.stdout.write(json.dumps(result) + "\n")
    sys.stdout.flush()
    os._exit(0)  # skip tearing down thousands of sockets one by one


# --------------------------------------------------------------------------- the peer


def peer_main(port: int) -> None:
    """python-socketio the common way: every comment and like emitted to the room at once."""
    raise_nofile()
    import itertools

    import socketio
    import uvloop
    from aiohttp import web

    room = "room"
    ids = itertools.count(1)
    likes = {"total": 0}
    sio = socketio.AsyncServer(async_mode="aiohttp", cors_allowed_origins="*")
    app = web.Application()
    sio.attach(app)

    async def connect(sid: str, environ: dict[str, Any], auth: Any = None) -> None:
        await sio.enter_room(sid, room)

    async def comment(sid: str, data: dict[str, Any]) -> None:
        line = {
            "id": next(ids),
            "user": sid[:8],
            "kind": "comment",
            "text": str(data.get("text", ""))[:200],
            "ts": time.time(),
        }
        await sio.emit("comment", line, room=room)

    async def like(sid: str, data: dict[str, Any]) -> None:
        likes["total"] += min(int(data.get("count", 1)), 50)
        await sio.emit("likes", {"total": likes["total"]}, room=room)

    for handler in (connect, comment, like):
        sio.on(handler.__name__, handler)

    asyncio.set_event_loop_policy(uvloop.EventLoopPolicy())
    web.run_app(app, host=HOST, port=port, print=None, access_log=None, backlog=4096)


# --------------------------------------------------------------------------- orchestrator


@dataclass
class Seeded:
    home: Path
    chatter_tokens: list[str]


HOST_USER = "bench_host"
HOST_PASSWORD = "bench-host-password"


def seed_home(chatters: int) -> Seeded:
    """A fresh LIVESHOP_HOME with a host and ``chatters`` viewers holding tokens."""
    from liveshop.accounts import service as accounts
    from liveshop.accounts.models import Role, User
    from liveshop.core.db import unit_of_work
    from liveshop.core.migrations import upgrade_database
    from liveshop.core.security import hash_password
    from liveshop.core.settings import Settings

    home = Path(tempfile.mkdtemp(prefix="liveshop-fanout-"))
    url = Settings(home=home).resolved_database_url()
    upgrade_database(url)
    shared_hash = hash_password("bench-chatter-password")  # argon2 once, not 400 times
    with unit_of_work(url) as session:
        accounts.create_user(session, username=HOST_USER, password=HOST_PASSWORD, role=Role.HOST)
        users = [
            User(username=f"chatter{i}", password_hash=shared_hash, role=Role.VIEWER)
            for i in range(chatters)
        ]
        session.add_all(users)
        session.flush()
        tokens = [accounts.issue_token(session, user=user) for user in users]
    return Seeded(home=home, chatter_tokens=tokens)


def http_json(method: str, url: str, body: Any = None, token: str | None = None) -> Any:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, method=method)
    request.add_header("Content-Type", "application/json")
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read() or b"null")


def wait_until_up(url: str, process: subprocess.Popen[bytes], seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"server not up at {url}")


def _raise_nofile_in_child() -> None:
    raise_nofile()


def start_process(
    command: list[str], env: dict[str, str], log_path: Path
) -> subprocess.Popen[bytes]:
    with log_path.open("ab") as log_file:
        return subprocess.Popen(
            command,
            env=env,
            stdout=log_file,
            stderr=subprocess.STDOUT,
            preexec_fn=_raise_nofile_in_child,
        )


def stop_process(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


NICE: list[int] = [0]  # set from --nice: raise the measured processes over other work


def pinned(cpu: int, command: list[str]) -> list[str]:
    niceness = ["nice", "-n", str(NICE[0])] if NICE[0] else []
    return [*niceness, "taskset", "-c", str(cpu), *command]


def run_loadgen(config: LoadConfig) -> dict[str, Any]:
    command = pinned(1, [sys.executable, str(Path(__file__).resolve()), "_loadgen"])
    completed = subprocess.run(
        command,
        input=json.dumps(asdict(config)).encode(),
        stdout=subprocess.PIPE,
        check=True,
        timeout=config.duration + 600,
        preexec_fn=_raise_nofile_in_child,
    )
    lines = completed.stdout.decode().strip().splitlines()
    result: dict[str, Any] = json.loads(lines[-1])
    return result


@dataclass
class Load:
    viewers: int
    comments_per_second: float
    likes_per_second: float
    chatters: int
    parsers: int
    duration: float
    stalled_share: float = 0.0
    max_server_rss_mb: float = 4096.0


def run_liveshop(load: Load, comments_per_frame: int | None = None) -> dict[str, Any]:
    seeded = seed_home(load.chatters)
    port = free_port()
    env = dict(os.environ, LIVESHOP_HOME=str(seeded.home))
    if comments_per_frame is not None:
        env["LIVESHOP_COMMENTS_PER_FRAME"] = str(comments_per_frame)
    command = pinned(0, [sys.executable, "-m", "liveshop.cli", "serve", "--port", str(port)])
    server = start_process(command, env, seeded.home / "server.log")
    log(f"liveshop server pid {server.pid} on port {port}, home {seeded.home}")
    try:
        base = f"http://{HOST}:{port}"
        wait_until_up(f"{base}/healthz", server)
        login = http_json(
            "POST", f"{base}/api/auth/login", {"username": HOST_USER, "password": HOST_PASSWORD}
        )
        room = http_json("POST", f"{base}/api/rooms", {"title": "fan-out bench"}, login["token"])
        http_json("POST", f"{base}/api/rooms/{room['id']}/start", {}, login["token"])
        config = LoadConfig(
            server="liveshop",
            port=port,
            room_id=room["id"],
            server_pid=server.pid,
            viewers=load.viewers,
            parsers=load.parsers,
            chatter_tokens=seeded.chatter_tokens,
            comments_per_second=load.comments_per_second,
            likes_per_second=load.likes_per_second,
            duration=load.duration,
            stalled_share=load.stalled_share,
            max_server_rss_mb=load.max_server_rss_mb,
        )
        result = run_loadgen(config)
        result["server_alive_after"] = server.poll() is None
        log(
            f"liveshop: p99 {result['latency_ms']['p99']} ms, "
            f"server CPU {result['server_cpu_pct']} %"
        )
        return result
    finally:
        stop_process(server)


def run_peer(load: Load) -> dict[str, Any]:
    port = free_port()
    log_path = Path(tempfile.mkdtemp(prefix="socketio-peer-")) / "peer.log"
    script = str(Path(__file__).resolve())
    command = pinned(0, [sys.executable, script, "_peer", "--port", str(port)])
    server = start_process(command, dict(os.environ), log_path)
    try:
        wait_until_up(f"http://{HOST}:{port}/socket.io/?EIO=4&transport=polling", server)
        config = LoadConfig(
            server="socketio",
            port=port,
            room_id=0,
            server_pid=server.pid,
            viewers=load.viewers,
            parsers=load.parsers,
            chatter_tokens=[f"peer-chatter-{i}" for i in range(load.chatters)],
            comments_per_second=load.comments_per_second,
            likes_per_second=load.likes_per_second,
            duration=load.duration,
            stalled_share=load.stalled_share,
            max_server_rss_mb=load.max_server_rss_mb,
        )
        result = run_loadgen(config)
        result["server_alive_after"] = server.poll() is None
        return result
    finally:
        stop_process(server)


def ratio(ours: Any, theirs: Any) -> float | None:
    if not isinstance(ours, int | float) or not isinstance(theirs, int | float) or not theirs:
        return None
    return round(ours / theirs, 3)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--scenarios", default="a,b,peer,ramp", help="comma list of a, b, peer, ramp"
    )
    parser.add_argument("--viewers", type=int, default=5000)
    parser.add_argument("--comments-per-second", type=float, default=200)
    parser.add_argument("--likes-per-second", type=float, default=2000)
    parser.add_argument(
        "--chatters",
        type=int,
        default=400,
        help="logged-in viewers who send (a user may comment about 1/s)",
    )
    parser.add_argument(
        "--parsers", type=int, default=100, help="viewers that decode every frame and time comments"
    )
    parser.add_argument("--duration", type=float, default=30)
    parser.add_argument(
        "--stalled-share",
        type=float,
        default=0.05,
        help="scenario b: share of viewers that stop reading",
    )
    parser.add_argument(
        "--stalled-duration",
        type=float,
        default=45,
        help="scenario b is longer: kernel buffers must fill before a drop",
    )
    parser.add_argument(
        "--ramp",
        default="2000,5000,6000,7000,8000,10000,12000,15000",
        help="viewer counts tried in order until p99 passes the budget",
    )
    parser.add_argument("--ramp-duration", type=float, default=20)
    parser.add_argument("--p99-budget-ms", type=float, default=250)
    parser.add_argument(
        "--peer-max-rss-mb",
        type=float,
        default=3072,
        help="end the peer's window early past this RSS (its queues are unbounded)",
    )
    parser.add_argument(
        "--src", type=Path, help="import liveshop from this src folder (e.g. an export of a commit)"
    )
    parser.add_argument(
        "--nice",
        type=int,
        default=0,
        help="niceness of server and generator (e.g. -10 on a shared machine)",
    )
    parser.add_argument("--quick", action="store_true", help="a ~1 minute smoke run")
    parser.add_argument("--output", type=Path, help="also write the JSON here")
    args = parser.parse_args()
    if args.quick:
        args.viewers, args.chatters, args.comments_per_second = 500, 60, 30
        args.likes_per_second, args.parsers, args.duration = 300, 30, 6
        args.stalled_duration, args.ramp, args.ramp_duration = 6, "300,600", 5
    raise_nofile()
    with contextlib.suppress(OSError):
        os.sched_setaffinity(0, {1})  # stay off the server's core
    if args.src:
        src = str(args.src.resolve())
        sys.path.insert(0, src)
        os.environ["PYTHONPATH"] = os.pathsep.join(
            [src, *filter(None, [os.environ.get("PYTHONPATH")])]
        )
    import liveshop

    NICE[0] = args.nice
    scenarios = {name.strip() for name in args.scenarios.split(",") if name.strip()}
    base = Load(
        viewers=args.viewers,
        comments_per_second=args.comments_per_second,
        likes_per_second=args.likes_per_second,
        chatters=args.chatters,
        parsers=args.parsers,
        duration=args.duration,
    )
    report: dict[str, Any] = {
        "load": asdict(base) | {"stalled_share": args.stalled_share},
        "machine": {
            "cpus": os.cpu_count(),
            "server_cpu": 0,
            "generator_cpu": 1,
            "nice": args.nice,
            "load_average_at_start": os.getloadavg()[0],
        },
        "liveshop_from": str(Path(liveshop.__file__).parent),
    }
    if "a" in scenarios:
        log("scenario a: steady load")
        report["a_steady"] = run_liveshop(base)
    if "b" in scenarios:
        log("scenario b: some viewers stop reading")
        stalled_load = Load(
            **(
                asdict(base)
                | {"stalled_share": args.stalled_share, "duration": args.stalled_duration}
            )
        )
        report["b_stalled"] = run_liveshop(stalled_load)
    if "peer" in scenarios:
        log("peer: python-socketio, every message emitted to the room")
        peer_load = Load(**(asdict(base) | {"max_server_rss_mb": args.peer_max_rss_mb}))
        report["peer_socketio"] = run_peer(peer_load)
        ours = report.get("a_steady")
        if ours is not None:
            peer = report["peer_socketio"]
            report["ours_over_peer"] = {
                "delivered_comments_per_server_cpu_s": ratio(
                    ours["delivered_comments_per_server_cpu_s"],
                    peer["delivered_comments_per_server_cpu_s"],
                ),
                "comments_delivered_per_s": ratio(
                    ours["comments_delivered_per_s"], peer["comments_delivered_per_s"]
                ),
                "p99_latency (lower is better)": ratio(
                    ours["latency_ms"]["p99"], peer["latency_ms"]["p99"]
                ),
            }
    if "ramp" in scenarios:
        steps: list[dict[str, Any]] = []
        largest_ok: int | None = None
        for viewers in [int(v) for v in args.ramp.split(",") if v.strip()]:
            log(f"ramp: {viewers} viewers")
            step_load = Load(
                **(asdict(base) | {"viewers": viewers, "duration": args.ramp_duration})
            )
            result = run_liveshop(step_load)
            p99 = result["latency_ms"]["p99"]
            lost = result["viewers_disconnected"] + result["connect_failures"]
            ok = p99 is not None and p99 < args.p99_budget_ms and lost == 0
            steps.append(
                {
                    "viewers": viewers,
                    "ok": ok,
                    "p50_ms": result["latency_ms"]["p50"],
                    "p99_ms": p99,
                    "connected": result["viewers_connected"],
                    "disconnected": result["viewers_disconnected"],
                    "server_cpu_pct": result["server_cpu_pct"],
                    "generator_cpu_pct": result["generator_cpu_pct"],
                    "frames_per_s_per_viewer": result["frames_per_s_per_viewer"],
                    "comments_delivered_per_s": result["comments_delivered_per_s"],
                    "bytes_per_connection": result["bytes_per_connection"],
                    "server_rss_peak_mb": result["server_rss_mb"]["peak"],
                }
            )
            if not ok:
                break
            largest_ok = viewers
        report["c_ramp"] = {
            "p99_budget_ms": args.p99_budget_ms,
            "largest_viewers_within_budget": largest_ok,
            "steps": steps,
        }
    text = json.dumps(report, indent=2, ensure_ascii=False)
    print(text)
    if args.output:
        args.output.write_text(text + "\n")


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "_loadgen":
        loadgen_main()
    elif len(sys.argv) > 1 and sys.argv[1] == "_peer":
        peer_main(int(sys.argv[sys.argv.index("--port") + 1]))
    else:
        main()

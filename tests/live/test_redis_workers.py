"""Server processes sharing rooms through Redis pub/sub.

One server runs two workers behind one port and a second server runs on
another port, like two machines behind a load balancer. Which worker of the
first server accepts a connection is up to the kernel, so the second server
is what guarantees that viewers sit in different processes.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import redis
from websockets.sync.client import ClientConnection, connect

from liveshop.accounts import service as accounts
from liveshop.accounts.models import Role
from liveshop.core.db import unit_of_work
from liveshop.core.migrations import upgrade_database
from tests.conftest import PASSWORD, REDIS_URL, SECRET_KEY, forget_engine, require_service
from tests.ports import free_port

REDIS_DB = 11  # a database index of its own, flushed before the test
CONNECTIONS = 8


def _env(home: Path, **extra: str) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("LIVESHOP_")}
    return env | {
        "LIVESHOP_HOME": str(home),
        "LIVESHOP_SECRET_KEY": SECRET_KEY,
        "COLUMNS": "200",
        **extra,
    }


@dataclass
class Cluster:
    bases: list[str]
    tokens: dict[str, str]

    @property
    def base(self) -> str:
        return self.bases[0]


def _start_server(home: Path, redis_url: str, workers: int) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "liveshop.cli",
            "serve",
            "--workers",
            str(workers),
            "--port",
            str(port),
        ],
        env=_env(home, LIVESHOP_REDIS_URL=redis_url),
    )
    return process, f"127.0.0.1:{port}"


def _wait_healthy(process: subprocess.Popen[bytes], base: str) -> None:
    deadline = time.monotonic() + 90  # a loaded machine starts two servers slowly
    while True:
        assert process.poll() is None, "the server exited"
        assert time.monotonic() < deadline, "the server did not start"
        try:
            if httpx.get(f"http://{base}/healthz").status_code == 200:
                return
        except httpx.TransportError:
            time.sleep(0.2)


@pytest.fixture
def cluster(tmp_path: Path) -> Iterator[Cluster]:
    require_service("Redis", REDIS_URL, 6379)
    redis_url = f"{REDIS_URL.rstrip('/')}/{REDIS_DB}"
    redis.Redis.from_url(redis_url).flushdb()
    home = tmp_path / "home"
    home.mkdir()
    database_url = f"sqlite:///{home / 'liveshop.db'}"
    upgrade_database(database_url)
    tokens = {}
    with unit_of_work(database_url) as session:
        for name, role in [("host_anna", Role.HOST)] + [
            (f"fan_{number}", Role.VIEWER) for number in range(CONNECTIONS)
        ]:
            user = accounts.create_user(session, username=name, password=PASSWORD, role=role)
            tokens[name] = accounts.issue_token(session, user=user)
    forget_engine(database_url)
    servers = [_start_server(home, redis_url, workers) for workers in (2, 1)]
    try:
        for process, base in servers:
            _wait_healthy(process, base)
        yield Cluster(bases=[base for _, base in servers], tokens=tokens)
    finally:
        for process, _ in servers:
            process.terminate()
        for process, _ in servers:
            try:
                process.wait(15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(5)
        redis.Redis.from_url(redis_url).flushdb()


def _frames_until(ws: ClientConnection, predicate: Any, timeout: float = 3.0) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    seen = []
    while time.monotonic() < deadline:
        try:
            frame = json.loads(ws.recv(timeout=max(deadline - time.monotonic(), 0.01)))
        except TimeoutError:
            break
        if predicate(frame):
            return frame  # type: ignore[no-any-return]
        seen.append(frame)
    raise AssertionError(f"no matching frame in {timeout}s; last seen {seen[-3:]!r}")


@pytest.mark.redis
def test_two_workers_share_chat_likes_and_viewers(cluster: Cluster) -> None:
    host_headers = {"Authorization": f"Bearer {cluster.tokens['host_anna']}"}
    room = httpx.post(
        f"http://{cluster.base}/api/rooms", json={"title": "Big"}, headers=host_headers
    )
    room_id = room.json()["id"]
    started = httpx.post(f"http://{cluster.base}/api/rooms/{room_id}/start", headers=host_headers)
    assert started.status_code == 200

    with ExitStack() as stack:
        sockets: list[ClientConnection] = []
        workers: list[str] = []
        for number in range(CONNECTIONS):
            token = cluster.tokens[f"fan_{number}"]
            base = cluster.bases[number % len(cluster.bases)]
            ws = stack.enter_context(connect(f"ws://{base}/ws/rooms/{room_id}?token={token}"))
            snapshot = json.loads(ws.recv(timeout=5))
            assert snapshot["type"] == "snapshot"
            sockets.append(ws)
            workers.append(snapshot["stream"].split("-")[0])
        assert len(set(workers)) >= 2, f"all connections landed in one process: {workers}"

        for ws in sockets:
            _frames_until(ws, lambda frame: frame.get("viewers") == CONNECTIONS)

        sender = sockets[0]
        sender.send(json.dumps({"type": "comment", "text": "hello both workers"}))
        for ws in sockets:
            frame = _frames_until(
                ws,
                lambda frame: (
                    "hello both workers" in [line["text"] for line in frame.get("comments", [])]
                ),
            )
            [line] = frame["comments"]
            assert line["user"] == "fan_0"

        first_on_other = workers.index(next(w for w in workers if w != workers[0]))
        sockets[0].send(json.dumps({"type": "like", "count": 7}))
        sockets[first_on_other].send(json.dumps({"type": "like", "count": 5}))
        for ws in sockets:
            frame = _frames_until(ws, lambda frame: frame.get("likes") == 12)
            assert frame["viewers"] == CONNECTIONS

        for base in cluster.bases:
            listed = httpx.get(f"http://{base}/api/rooms/{room_id}").json()
            assert listed["viewers"] == CONNECTIONS
            assert listed["likes"] == 12


def test_several_workers_without_redis_are_refused(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "liveshop.cli", "serve", "--workers", "2", "--port", "1"],
        env=_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert result.returncode == 2
    output = " ".join((result.stdout + result.stderr).split())
    assert "--workers above 1 needs LIVESHOP_REDIS_URL" in output

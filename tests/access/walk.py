"""Calling one route as one caller, and telling whether anything was written meanwhile."""

from __future__ import annotations

import secrets
import sqlite3
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

from fastapi.testclient import TestClient
from starlette.websockets import WebSocketDisconnect

from liveshop.live.realtime import CLOSE_FORBIDDEN, CLOSE_NOT_FOUND, CLOSE_POLICY
from tests.access.rules import ANONYMOUS, Access, Expect
from tests.access.world import Made, World
from tests.conftest import Account

# Pauses before calling a refused route again when a commit landed meanwhile: background
# work an earlier cell set off (the search indexer, a notification, an auction's close)
# may have committed then, but a refusal that writes writes on every call.
STRAGGLER_PAUSES = (0.3, 1.0, 2.5)
WEBSOCKET_CLOSES = {
    CLOSE_NOT_FOUND: 404,
    CLOSE_FORBIDDEN: 403,
    CLOSE_POLICY: 401,
}  # 1008: bad token


@dataclass(frozen=True)
class Answer:
    status: int
    text: str


class Walker:
    """The app under test, its world, and a watch on the database's commits."""

    def __init__(self, client: TestClient, world: World, database: Path) -> None:
        self.client = client
        self.world = world
        # SQLite bumps data_version when another connection commits a change.
        self._watch = sqlite3.connect(database, isolation_level=None, check_same_thread=False)

    def close(self) -> None:
        self._watch.close()

    def data_version(self) -> int:
        version: int = self._watch.execute("PRAGMA data_version").fetchone()[0]
        return version

    def account(self, made: Made, caller: str) -> Account | None:
        """Who calls: nobody, a party of the fresh object, or the world's stranger of a
        role."""
        if caller == ANONYMOUS:
            return None
        return made.parties.get(caller) or self.world.strangers[caller]

    def call(
        self, method: str, path: str, access: Access, made: Made, account: Account | None
    ) -> Answer:
        url = path.format(**{name: quote(str(value), safe="") for name, value in made.ids.items()})
        if method == "WEBSOCKET":
            return self._connect(url, account)
        headers = {"Idempotency-Key": f"walk-{secrets.token_hex(8)}"}
        if account is not None:
            headers["Authorization"] = f"Bearer {account.token}"
        json = access.body(made, account, self.world) if access.body is not None else None
        if path.endswith("/stream"):
            with self.client.stream(method, url, headers=headers) as response:
                return Answer(response.status_code, "(an event stream)")
        response = self.client.request(
            method, url, headers=headers, json=json, follow_redirects=False
        )
        return Answer(response.status_code, response.text[:300])

    def _connect(self, url: str, account: Account | None) -> Answer:
        query = f"?token={account.token}" if account is not None else ""
        try:
            with self.client.websocket_connect(url + query) as socket:
                frame = socket.receive_json()
                return Answer(200, f"first frame: {frame.get('type')}")
        except WebSocketDisconnect as closed:
            return Answer(WEBSOCKET_CLOSES.get(closed.code, 500), f"closed {closed.code}")

    def watch(self, call: Callable[[], Answer], expected: Expect) -> tuple[Answer, bool]:
        """Make the call: its answer, and whether a commit landed meanwhile. When a refusal
        was expected and came, yet something was committed, the call is made again after
        each of the straggler pauses; it wrote only if a commit landed every time."""
        answer, wrote = self._call_watched(call)
        for pause in STRAGGLER_PAUSES:
            if not (wrote and not expected.allows and expected.matches(answer.status)):
                break
            time.sleep(pause)
            answer, wrote = self._call_watched(call)
        return answer, wrote

    def _call_watched(self, call: Callable[[], Answer]) -> tuple[Answer, bool]:
        before = self.data_version()
        answer = call()
        return answer, self.data_version() != before

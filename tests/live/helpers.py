"""Helpers for the real-time tests: rooms over HTTP, frames with deadlines."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

import anyio
from fastapi.testclient import TestClient
from starlette.testclient import WebSocketTestSession
from starlette.websockets import WebSocketDisconnect

from tests.conftest import Account

Frame = dict[str, Any]


def live_room(client: TestClient, host: Account, title: str = "Spring sale") -> int:
    created = client.post("/api/rooms", json={"title": title}, headers=host.headers)
    assert created.status_code == 201, created.text
    room_id: int = created.json()["id"]
    started = client.post(f"/api/rooms/{room_id}/start", headers=host.headers)
    assert started.status_code == 200, started.text
    return room_id


def shop_product(
    client: TestClient, merchant: Account, title: str = "Silk scarf", price: int = 12_900
) -> dict[str, Any]:
    """A merchant's product with one SKU (the shortest body)."""
    created = client.post(
        "/api/products", json={"title": title, "price": price, "stock": 5}, headers=merchant.headers
    )
    assert created.status_code == 201, created.text
    product: dict[str, Any] = created.json()
    return product


def pinned_card(product: dict[str, Any]) -> dict[str, Any]:
    """What a room shows when ``product`` is pinned."""
    return {
        "product_id": product["id"],
        "shop_id": product["shop_id"],
        "title": product["title"],
        "price": product["min_price"],
        "currency": "CNY",
        "image_url": None,
        "skus": [
            {"id": sku["id"], "options": {}, "price": sku["price"], "in_stock": True}
            for sku in product["skus"]
        ],
    }


def persist(client: TestClient) -> None:
    """Write the hub's buffered chat and counters now (tests flush explicitly)."""
    hub: Any = client.app.state.hub  # type: ignore[attr-defined]
    client.portal.call(hub.persist)  # type: ignore[union-attr]


def stored_texts(client: TestClient, room_id: int) -> list[str]:
    """The room's chat lines as stored, once the hub has written them."""
    persist(client)
    return [line["text"] for line in client.get(f"/api/rooms/{room_id}/comments").json()]


def receive(ws: WebSocketTestSession, timeout: float = 10.0) -> Frame:
    """The next message, or TimeoutError; a close raises WebSocketDisconnect. The
    timeouts here bound a wait on a loaded CI machine; they measure nothing."""

    async def get() -> Any:
        with anyio.fail_after(timeout):
            return await ws._send_rx.receive()

    message = ws.portal.call(get)
    ws._raise_on_close(message)
    frame: Frame = json.loads(message["text"])
    return frame


def receive_until_closed(ws: WebSocketTestSession, timeout: float = 3.0) -> tuple[list[Frame], int]:
    """Every message up to the server's close, and the close code (TimeoutError if none)."""
    frames: list[Frame] = []
    while True:
        try:
            frames.append(receive(ws, timeout))
        except WebSocketDisconnect as closed:
            return frames, closed.code


def receive_until(
    ws: WebSocketTestSession, predicate: Callable[[Frame], bool], timeout: float = 5.0
) -> tuple[Frame, list[Frame]]:
    """Read until a message matches; returns it and everything read before it."""
    deadline = time.monotonic() + timeout
    seen: list[Frame] = []
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            raise AssertionError(f"no matching message within {timeout}s; saw {seen!r}")
        try:
            frame = receive(ws, left)
        except TimeoutError as error:
            raise AssertionError(f"no matching message within {timeout}s; saw {seen!r}") from error
        if predicate(frame):
            return frame, seen
        seen.append(frame)


def comment_texts(frame: Frame) -> list[str]:
    return [line["text"] for line in frame.get("comments", [])]


def has_comment(text: str) -> Callable[[Frame], bool]:
    return lambda frame: frame.get("type") == "frame" and text in comment_texts(frame)


def ws_path(room_id: int, account: Account | None = None, **query: Any) -> str:
    params = dict(query)
    if account is not None:
        params["token"] = account.token
    suffix = "&".join(f"{key}={value}" for key, value in params.items())
    return f"/ws/rooms/{room_id}" + (f"?{suffix}" if suffix else "")


def wait_for_viewers(client: TestClient, room_id: int, expected: int, timeout: float = 5.0) -> int:
    """The room's viewer count once it reads ``expected`` (counts are reported every 0.3 s)."""
    deadline = time.monotonic() + timeout
    while True:
        viewers: int = client.get(f"/api/rooms/{room_id}").json()["viewers"]
        if viewers == expected or time.monotonic() > deadline:
            return viewers
        time.sleep(0.05)

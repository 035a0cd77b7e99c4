"""POST /api/events: validated, size-capped, rate-limited batches into the recorder."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import orjson
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from liveshop.core.settings import Settings
from liveshop.events import api as events_api
from liveshop.events.recorder import pseudonymous_id
from liveshop.events.store import read_events
from tests.conftest import SECRET_KEY, MakeAccount


@pytest.fixture
def database_url(sqlite_url: str) -> str:
    return sqlite_url


@pytest.fixture
def app(settings: Settings) -> FastAPI:
    from liveshop.app import create_app

    application = create_app(settings)
    application.include_router(events_api.router)
    return application


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app) as test_client:
        yield test_client


def _flush(client: TestClient) -> None:
    app: Any = client.app
    client.portal.call(app.state.recorder.flush)  # type: ignore[union-attr]


def _batch(count: int, **fields: Any) -> dict[str, Any]:
    return {"events": [{"event_type": "view", "room_id": 1, **fields} for _ in range(count)]}


def test_a_batch_is_recorded_with_a_pseudonymous_user(
    client: TestClient, make_account: MakeAccount, settings: Settings
) -> None:
    viewer = make_account()
    body = {
        "events": [
            {"event_type": "view", "room_id": 7},
            {"event_type": "product_click", "room_id": 7, "product_id": 42},
            {"event_type": "cart", "room_id": 7, "product_id": 42, "session_id": "s-1"},
            {"event_type": "share", "room_id": 7, "channel": "wechat"},
        ]
    }
    response = client.post("/api/events", json=body, headers=viewer.headers)
    assert response.status_code == 202, response.text
    assert response.json() == {"accepted": 4}
    _flush(client)
    stored = read_events(settings.event_store_path(), room_id=7)
    assert sorted(row["event_type"] for row in stored) == ["cart", "product_click", "share", "view"]
    expected_user = pseudonymous_id(viewer.id, SECRET_KEY)
    assert {row["user_id"] for row in stored} == {expected_user}
    cart = next(row for row in stored if row["event_type"] == "cart")
    assert cart["product_id"] == 42
    assert cart["properties"]["session_id"] == "s-1"


def test_anonymous_batches_are_keyed_by_address(client: TestClient, settings: Settings) -> None:
    response = client.post("/api/events", json=_batch(2))
    assert response.status_code == 202
    _flush(client)
    stored = read_events(settings.event_store_path(), room_id=1)
    assert len(stored) == 2
    assert stored[0]["user_id"].startswith("u_")


@pytest.mark.parametrize(
    "body",
    [
        {"events": []},
        {"events": [{"event_type": "purchase", "product_id": 1}]},  # money is server-side only
        {"events": [{"event_type": "view", "amount": 100000}]},  # no extra fields
        {"events": [{"event_type": "view", "product_id": "abc"}]},
        {"events": [{"event_type": "view", "room_id": -1}]},
        {"events": [{"event_type": "view", "session_id": "x' OR 1=1"}]},
        {"wrong": []},
    ],
)
def test_invalid_batches_are_refused(client: TestClient, body: dict[str, Any]) -> None:
    response = client.post("/api/events", json=body)
    assert response.status_code == 422, response.text
    assert '"input"' not in response.text  # values are never echoed


def test_malformed_json_is_refused(client: TestClient) -> None:
    response = client.post(
        "/api/events", content=b"{not json", headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 422


def test_more_than_100_events_are_refused(client: TestClient) -> None:
    assert client.post("/api/events", json=_batch(101)).status_code == 422
    assert client.post("/api/events", json=_batch(100)).status_code == 202


def test_a_body_over_64_kib_is_refused_before_parsing(client: TestClient) -> None:
    big = orjson.dumps({"events": [{"event_type": "view"}], "pad": "x" * (64 * 1024)})
    response = client.post("/api/events", content=big, headers={"Content-Type": "application/json"})
    assert response.status_code == 413

    def chunks() -> Iterator[bytes]:  # no Content-Length: the stream is counted
        yield b'{"events": [{"event_type": "view"}], "pad": "'
        for _ in range(80):
            yield b"x" * 1024
        yield b'"}'

    response = client.post(
        "/api/events", content=chunks(), headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 413


def test_rate_limit_per_user(client: TestClient, make_account: MakeAccount) -> None:
    alice, bob = make_account(), make_account()
    for _ in range(2):  # the burst: two full batches
        assert (
            client.post("/api/events", json=_batch(100), headers=alice.headers).status_code == 202
        )
    refused = client.post("/api/events", json=_batch(100), headers=alice.headers)
    assert refused.status_code == 429
    assert refused.json()["code"] == "events_rate_limited"
    # another user has their own bucket
    assert client.post("/api/events", json=_batch(100), headers=bob.headers).status_code == 202


def test_token_bucket_refills_over_time() -> None:
    buckets = events_api.TokenBuckets(capacity=10, refill_per_second=5)
    assert buckets.take("k", 10, now=0.0)
    assert not buckets.take("k", 1, now=0.0)
    assert not buckets.take("k", 6, now=1.0)  # 5 tokens back after a second
    assert buckets.take("k", 5, now=1.0)
    assert buckets.take("k", 10, now=100.0)  # capped at the capacity
    assert not buckets.take("k", 1, now=100.0)


def test_cookie_callers_need_the_csrf_header(client: TestClient, make_account: MakeAccount) -> None:
    viewer = make_account()
    client.cookies.set("liveshop_session", viewer.token)
    try:
        response = client.post("/api/events", json=_batch(1))
    finally:
        client.cookies.clear()
    assert response.status_code == 403


def test_recorder_flush_runs_in_the_apps_loop(client: TestClient) -> None:
    # sanity: the portal helper above works with an async flush
    assert asyncio.iscoroutinefunction(client.app.state.recorder.flush)  # type: ignore[attr-defined]

"""This session's actions, shared by every worker when Redis is configured: an event
taken by one app (one worker) changes the recommendations another app serves; in
Redis a viewer keeps the newest actions of the last half hour, and Redis being
away costs the signal, never the request."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
import redis
from fastapi.testclient import TestClient

from liveshop.app import create_app
from liveshop.core.settings import Settings
from liveshop.recommend.jobs import train_once
from liveshop.recommend.sessions import (
    PER_VIEWER,
    Action,
    MemorySessionActivity,
    RedisSessionActivity,
)
from tests.conftest import REDIS_URL, MakeAccount, require_service
from tests.recommend.test_serving import Shopfront

REDIS_DB = 14  # a database index of its own, emptied before and after each test
PREFIX = "test:recommend:session:"


@pytest.fixture
def redis_url() -> Iterator[str]:
    require_service("Redis", REDIS_URL, 6379)
    url = f"{REDIS_URL.rstrip('/')}/{REDIS_DB}"
    redis.Redis.from_url(url).flushdb()
    yield url
    redis.Redis.from_url(url).flushdb()


@pytest.mark.redis
def test_redis_keeps_the_newest_actions_of_the_session(redis_url: str) -> None:
    activity = RedisSessionActivity.from_url(redis_url, prefix=PREFIX)
    now = time.time()
    activity.note("u_a", Action("view", 7, None, now - 3600))  # an hour ago: another session
    for product in range(PER_VIEWER + 2):
        activity.note("u_a", Action("view", product, None, now - 10 + product * 0.1))
    activity.note("u_a", Action("join", None, 42, now))
    activity.note("u_b", Action("cart", 9, None, now))
    recent = activity.recent("u_a", now=now)
    assert len(recent) == PER_VIEWER
    assert recent[0] == Action("join", None, 42, now)
    assert [a.product_id for a in recent[1:4]] == [PER_VIEWER + 1, PER_VIEWER, PER_VIEWER - 1]
    assert 0 < redis.Redis.from_url(redis_url).ttl(PREFIX + "u_a") <= activity.seconds + 1
    assert activity.forget("u_a") == PER_VIEWER
    assert activity.recent("u_a", now=now) == []
    assert activity.recent("u_b", now=now) == [Action("cart", 9, None, now)]
    memory = MemorySessionActivity()
    memory.note("u_a", Action("view", 1, None, now))
    assert (memory.forget("u_a"), memory.forget("u_a")) == (1, 0)


def test_redis_away_costs_the_signal_not_the_request() -> None:
    activity = RedisSessionActivity.from_url("redis://127.0.0.1:9/0")  # nothing listens
    activity.note("u_a", Action("view", 1, None, time.time()))
    assert activity.recent("u_a") == []


@pytest.mark.redis
def test_an_action_taken_by_one_worker_reaches_the_next_request_on_another(
    database_url: str,
    settings: Settings,
    make_account: MakeAccount,
    redis_url: str,
) -> None:
    shopfront = Shopfront(database_url, settings, make_account)
    train_once(settings)
    shared = settings.model_copy(update={"redis_url": redis_url})
    headers = shopfront.reader.headers
    one, other = create_app(shared), create_app(shared)  # two workers' apps
    with TestClient(one) as first, TestClient(other) as second:
        assert one.state.recommendations is not other.state.recommendations
        before = second.get("/api/recommendations/products", headers=headers).json()
        assert "because you just looked at Tea 1" not in {i["reason"] for i in before["items"]}
        sent = first.post(
            "/api/events",
            headers=headers,
            json={"events": [{"event_type": "view", "product_id": shopfront.tea[1]}]},
        )
        assert sent.status_code == 202, sent.text
        after = second.get("/api/recommendations/products", headers=headers).json()
        assert "because you just looked at Tea 1" in {i["reason"] for i in after["items"]}

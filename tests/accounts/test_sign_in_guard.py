"""The sign-in guard and its stores: in-process, and Redis shared by several workers."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest

from liveshop.accounts.attempt_stores import AttemptStore, MemoryAttemptStore, RedisAttemptStore
from liveshop.accounts.sign_in_guard import SignInGuard, SignInLimits
from liveshop.core.errors import RateLimited
from liveshop.core.settings import Settings
from tests.conftest import REDIS_URL, require_service


class FakeClock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


def _redis_store() -> RedisAttemptStore:
    require_service("Redis", REDIS_URL, 6379)
    return RedisAttemptStore(REDIS_URL, prefix=f"liveshop-test:{uuid.uuid4().hex}:")


@pytest.fixture(params=["memory", pytest.param("redis", marks=pytest.mark.redis)])
def store(request: pytest.FixtureRequest) -> Iterator[AttemptStore]:
    made: AttemptStore = MemoryAttemptStore() if request.param == "memory" else _redis_store()
    yield made
    if isinstance(made, RedisAttemptStore):
        made.forget_everything()


def test_a_sliding_window_takes_up_to_its_limit_and_says_when_a_slot_frees(
    store: AttemptStore,
) -> None:
    window = {"limit": 3, "window_seconds": 10.0}
    taken = [store.take("k", now=now, **window) for now in (100.0, 101.0, 102.0)]

    refused = store.take("k", now=103.0, **window)
    later = store.take("k", now=110.5, **window)  # the slot taken at 100 has left the window

    assert [slot.is_taken for slot in taken] == [True, True, True]
    assert not refused.is_taken
    assert refused.retry_after_seconds == pytest.approx(7.0)
    assert later.is_taken


def test_a_slot_given_back_is_free_again(store: AttemptStore) -> None:
    first = store.take("k", limit=1, window_seconds=60.0, now=100.0)
    store.give_back(first)

    second = store.take("k", limit=1, window_seconds=60.0, now=101.0)
    third = store.take("k", limit=1, window_seconds=60.0, now=102.0)

    assert first.is_taken
    assert second.is_taken
    assert not third.is_taken
    assert third.retry_after_seconds == pytest.approx(59.0)


def test_records_count_within_their_window_and_clear_forgets_them(store: AttemptStore) -> None:
    counts = [store.record("f", window_seconds=10.0, now=now) for now in (0.0, 5.0, 9.0, 12.0)]
    store.clear("f")

    assert counts == [1, 2, 3, 3]
    assert store.record("f", window_seconds=10.0, now=13.0) == 1


def test_a_mark_lasts_its_seconds(store: AttemptStore) -> None:
    store.mark("m", seconds=30.0, now=100.0)

    assert store.marked_for("m", now=110.0) == pytest.approx(20.0, abs=0.01)
    assert store.marked_for("m", now=131.0) == 0.0
    assert store.marked_for("never", now=100.0) == 0.0


def test_the_memory_store_forgets_the_oldest_keys_beyond_its_size() -> None:
    store = MemoryAttemptStore(max_keys=3)
    for name in ("a", "b", "c", "d"):
        store.record(name, window_seconds=60.0, now=1.0)

    assert store.record("a", window_seconds=60.0, now=2.0) == 1  # "a" was dropped
    assert store.record("d", window_seconds=60.0, now=2.0) == 2


def test_a_crowd_of_500_signing_up_and_in_from_500_addresses_is_never_refused(
    store: AttemptStore,
) -> None:
    """A popular room goes live: defaults must let every one of them through."""
    clock = FakeClock()
    guard = SignInGuard(store, SignInLimits.from_settings(Settings()), clock=clock)

    for n in range(500):
        clock.now += 0.01  # 500 in 5 seconds
        address = f"10.{n // 200}.{n % 200}.7"
        guard.start_registration(address=address)
        attempt = guard.start_login(username=f"fan_{n}", address=address)
        if n % 2:
            guard.login_failed(attempt)  # a typo on the first try
            attempt = guard.start_login(username=f"fan_{n}", address=address)
        guard.login_succeeded(attempt)


def test_a_lockout_ends_after_its_seconds_and_failures_start_again_from_zero(
    store: AttemptStore,
) -> None:
    clock = FakeClock()
    limits = SignInLimits.from_settings(
        Settings(login_failures_before_lockout=2, login_lockout_seconds=300.0)
    )
    guard = SignInGuard(store, limits, clock=clock)
    for _ in range(2):
        guard.login_failed(guard.start_login(username="mei", address="203.0.113.9"))

    with pytest.raises(RateLimited) as locked:
        guard.start_login(username="mei", address="203.0.113.9")
    clock.now += 300.5
    guard.login_failed(guard.start_login(username="mei", address="203.0.113.9"))
    guard.start_login(username="mei", address="203.0.113.9")  # one failure: not locked

    assert locked.value.code == "account_locked"
    assert locked.value.retry_after_seconds == pytest.approx(300.0)


@pytest.mark.redis
def test_workers_sharing_redis_share_the_lockout() -> None:
    first_worker, second_worker = _redis_store(), _redis_store()
    second_worker.prefix = first_worker.prefix
    limits = SignInLimits.from_settings(Settings(login_failures_before_lockout=2))
    one = SignInGuard(first_worker, limits)
    other = SignInGuard(second_worker, limits)
    try:
        one.login_failed(one.start_login(username="mei", address="203.0.113.9"))
        other.login_failed(other.start_login(username="mei", address="203.0.113.10"))

        with pytest.raises(RateLimited) as refused:
            one.start_login(username="mei", address="198.51.100.1")
        assert refused.value.code == "account_locked"
    finally:
        first_worker.forget_everything()

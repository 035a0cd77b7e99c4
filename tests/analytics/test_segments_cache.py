"""Customer segments are computed once per scope and data version, not on every
dashboard refresh; new purchases, or the end of the time-to-live, bring new figures."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from liveshop.accounts.models import Role
from liveshop.analytics import segments
from liveshop.analytics.report_cache import ReportCache
from liveshop.core.clock import utcnow
from liveshop.core.settings import Settings
from liveshop.events.recorder import EventType
from liveshop.events.store import append_events
from tests.conftest import Account, MakeAccount


@pytest.fixture
def database_url(sqlite_url: str) -> str:
    return sqlite_url


class FakeClock:
    def __init__(self) -> None:
        self.now = 1_000.0

    def __call__(self) -> float:
        return self.now


class Counted:
    """A computation that says how often it ran."""

    def __init__(self) -> None:
        self.calls = 0

    def __call__(self) -> int:
        self.calls += 1
        return self.calls


def test_a_value_is_reused_until_its_time_to_live_runs_out() -> None:
    clock, compute = FakeClock(), Counted()
    cache: ReportCache[int] = ReportCache(
        ttl_seconds=60, max_entries=8, data_version=lambda: 0, clock=clock
    )
    assert [cache.get_or_compute("a", compute) for _ in range(3)] == [1, 1, 1]
    clock.now += 59.9
    assert cache.get_or_compute("a", compute) == 1
    clock.now += 0.1
    assert cache.get_or_compute("a", compute) == 2
    assert compute.calls == 2


def test_a_new_data_version_or_another_key_is_computed_afresh() -> None:
    version, compute = [0], Counted()
    cache: ReportCache[int] = ReportCache(
        ttl_seconds=60, max_entries=8, data_version=lambda: version[0], clock=FakeClock()
    )
    assert cache.get_or_compute("a", compute) == 1
    assert cache.get_or_compute("b", compute) == 2
    version[0] = 1
    assert cache.get_or_compute("a", compute) == 3
    assert cache.get_or_compute("a", compute) == 3
    assert compute.calls == 3


def test_the_cache_keeps_at_most_its_limit_dropping_the_oldest() -> None:
    compute = Counted()
    cache: ReportCache[int] = ReportCache(
        ttl_seconds=60, max_entries=2, data_version=lambda: 0, clock=FakeClock()
    )
    for key in ("a", "b", "c"):
        cache.get_or_compute(key, compute)
    assert cache.get_or_compute("c", compute) == 3  # kept
    assert cache.get_or_compute("a", compute) == 4  # dropped, computed again
    assert compute.calls == 4


# --- through the API ---


@pytest.fixture
def segmentations(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """One entry per real run of the k-means segmentation (which still runs)."""
    runs: list[int] = []
    real = segments.segment_profiles

    def counted(profiles: list[dict[str, Any]], **options: Any) -> segments.Segmentation:
        runs.append(len(profiles))
        return real(profiles, **options)

    monkeypatch.setattr(segments, "segment_profiles", counted)
    return runs


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient]:
    from liveshop.app import create_app

    with TestClient(create_app(settings)) as test_client:
        yield test_client


def _purchase(user: str, days_ago: int, amount: int) -> dict[str, Any]:
    return {
        "event_id": uuid.uuid4().hex,
        "event_type": "purchase",
        "user_id": user,
        "room_id": 1,
        "product_id": 1,
        "ts": utcnow() - timedelta(days=days_ago),
        "properties": {"amount": amount},
    }


def _segments(client: TestClient, admin: Account) -> dict[str, Any]:
    response = client.get("/api/analytics/segments", headers=admin.headers)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def test_a_refresh_reuses_the_segments_until_a_new_purchase_lands(
    client: TestClient, make_account: MakeAccount, settings: Settings, segmentations: list[int]
) -> None:
    admin = make_account(Role.ADMIN)
    append_events(
        settings.event_store_path(),
        [_purchase("u_a", 1, 5_000), _purchase("u_b", 3, 900), _purchase("u_c", 9, 12_000)],
    )
    first = _segments(client, admin)
    assert _segments(client, admin) == first
    assert (first["customers"], segmentations) == (3, [3])

    app: Any = client.app
    app.state.recorder.record(EventType.PURCHASE, user=7, room_id=1, product_id=1, amount=3_000)
    client.portal.call(app.state.recorder.flush)  # type: ignore[union-attr]
    assert _segments(client, admin)["customers"] == 4
    assert segmentations == [3, 4]


def test_each_scope_has_its_own_segments(
    client: TestClient, make_account: MakeAccount, settings: Settings, segmentations: list[int]
) -> None:
    admin, merchant = make_account(Role.ADMIN), make_account(Role.MERCHANT)
    append_events(
        settings.event_store_path(),
        [_purchase("u_a", 1, 5_000), _purchase("u_b", 3, 900), _purchase("u_c", 9, 12_000)],
    )
    assert _segments(client, admin)["customers"] == 3
    assert _segments(client, merchant)["customers"] == 0  # no products: none of these sales
    assert _segments(client, admin)["customers"] == 3
    assert segmentations == [3]  # the merchant's none were never segmented

"""The engine online: windows, failure bursts, sharing with the merchant, concurrency."""

from __future__ import annotations

import threading
import uuid

from liveshop.risk.engine import RiskEngine
from liveshop.risk.events import Decision, EventKind, Outcome, RiskEvent
from tests.conftest import REDIS_URL, require_service

T0 = 1_790_000_000.0
DAY = 86400.0


def _payment(
    ts: float, *, user: str = "buyer", card: str = "card-1", device: str = "phone", **extra: str
) -> RiskEvent:
    return RiskEvent(
        ts=ts,
        kind=EventKind.PAYMENT,
        user_id=user,
        account_created_at=T0 - 400 * DAY,
        device_id=device,
        ip=extra.get("ip", "10.0.0.1"),
        card_fp=card,
        amount=int(extra.get("amount", "5000")),
        merchant_id=extra.get("merchant", ""),
        address_id=extra.get("address", ""),
    )


def test_windows_count_this_attempt_and_forget_old_ones() -> None:
    engine = RiskEngine()
    first = engine.assess(_payment(T0)).features
    assert (first["user_count_1m"], first["user_count_1h"], first["user_count_24h"]) == (1, 1, 1)
    assert first["user_amount_24h"] == 5000
    engine.assess(_payment(T0 + 30))
    later = engine.assess(_payment(T0 + 3 * 3600)).features
    assert (later["user_count_1m"], later["user_count_1h"], later["user_count_24h"]) == (1, 1, 3)
    next_day = engine.assess(_payment(T0 + DAY + 3 * 3600 + 1)).features
    assert next_day["user_count_24h"] == 1
    assert next_day["card_count_24h"] == 1
    assert next_day["device_is_new"] == 0.0


def test_declined_cards_block_the_sixth_try_with_the_rule_as_reason() -> None:
    engine = RiskEngine()
    decisions = []
    for attempt in range(6):
        event = _payment(T0 + attempt * 10, card="stolen", user=f"tester-{attempt % 2}")
        assessment = engine.assess(event)
        decisions.append(assessment.decision)
        engine.record_outcome(event, Outcome.FAIL)
    assert decisions[-1] is Decision.BLOCK
    assert "rule: block if card_fail_count_1h >= 5" in assessment.reasons
    assert decisions[:5] != [Decision.BLOCK] * 5
    assert assessment.features["card_fail_count_1h"] == 5
    assert assessment.features["card_distinct_users_30d"] == 2


def test_distinct_cards_per_device_and_devices_per_card() -> None:
    engine = RiskEngine()
    for number in range(4):
        features = engine.assess(_payment(T0 + number, card=f"card-{number}")).features
    assert features["device_distinct_cards_24h"] == 4
    assert features["user_distinct_cards_24h"] == 4
    features = engine.assess(_payment(T0 + 10, card="card-0", device="tablet")).features
    assert features["card_distinct_devices_24h"] == 2
    assert features["device_is_new"] == 1.0


def test_accounts_sharing_the_merchants_device_or_address_are_linked() -> None:
    engine = RiskEngine()
    engine.assess(_payment(T0, user="merchant", device="shop-phone", address="shop", ip="1.1.1.1"))
    shill = engine.assess(
        _payment(
            T0 + 60,
            user="shill",
            device="shop-phone",
            merchant="merchant",
            ip="2.2.2.2",
            address="shop",
        )
    ).features
    assert (shill["shares_device_with_merchant"], shill["shares_ip_with_merchant"]) == (1.0, 0.0)
    assert shill["shares_address_with_merchant"] == 1.0
    assert shill["merchant_links"] == 2.0
    stranger = engine.assess(
        _payment(T0 + 90, user="stranger", device="own", merchant="merchant")
    ).features
    assert stranger["merchant_links"] == 0.0


def test_parallel_payments_each_count_the_others() -> None:
    """Thirty payments at once from one buyer: the counts they saw are 1..30, each
    once (no two read the same count, so a burst cannot slip under a limit)."""
    engine = RiskEngine()
    seen: list[float] = []
    barrier = threading.Barrier(30)

    def pay(number: int) -> None:
        barrier.wait()
        features = engine.assess(_payment(T0 + 1, card=f"card-{number}")).features
        seen.append(features["user_count_1m"])

    threads = [threading.Thread(target=pay, args=(number,)) for number in range(30)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(seen) == [float(count) for count in range(1, 31)]


def test_the_redis_state_answers_what_the_memory_state_answers() -> None:
    """The same stream through both states gives the same features, event by event."""
    from liveshop.risk.redis_state import RedisState
    from liveshop.risk.state import MemoryState

    require_service("Redis", REDIS_URL, 6379)
    redis_url = REDIS_URL
    prefix = f"liveshop:risk-test:{uuid.uuid4().hex}:"
    redis_state = RedisState.from_url(redis_url, prefix=prefix)
    memory, shared = RiskEngine(state=MemoryState()), RiskEngine(state=redis_state)
    try:
        for number in range(40):
            event = _payment(
                T0 + number * 37.5,
                user=f"user-{number % 3}",
                card=f"card-{number % 5}",
                device=f"device-{number % 4}",
                merchant="user-0",
                address=f"address-{number % 2}",
            )
            assert shared.assess(event).features == memory.assess(event).features
            outcome = Outcome.FAIL if number % 3 == 0 else Outcome.OK
            memory.record_outcome(event, outcome)
            shared.record_outcome(event, outcome)
    finally:
        keys = list(redis_state.client.scan_iter(f"{prefix}*"))
        if keys:
            redis_state.client.delete(*keys)

"""Features that keep legit behaviour apart from the attacks it resembles (issue 13):
a sign-in the engine sees first from an account months old is not told apart by the
exact age (the simulator's sleeper bots are 1-300 days old, shoppers 1-900: keying
on that band challenged one returning shopper in six), and one address signing in
account after account on devices never seen is counted without counting the
account's own earlier sign-in, nor devices their owners used before."""

from __future__ import annotations

from liveshop.risk.engine import RiskEngine
from liveshop.risk.events import EventKind, RiskEvent
from liveshop.risk.features import ACCOUNT_AGE_CAP_DAYS

T0 = 1_790_000_000.0
DAY = 86400.0


def _event(
    ts: float,
    *,
    user: str,
    device: str,
    ip: str = "198.51.100.4",
    age_days: float = 400.0,
    kind: EventKind = EventKind.LOGIN,
) -> RiskEvent:
    return RiskEvent(
        ts=ts,
        kind=kind,
        user_id=user,
        account_created_at=ts - age_days * DAY,
        device_id=device,
        ip=ip,
        amount=5000 if kind is EventKind.ORDER else 0,
    )


def test_past_a_month_an_accounts_age_changes_no_feature() -> None:
    ages = (45.0, 150.0, 299.0, 301.0, 850.0)
    seen = [
        RiskEngine().assess(_event(T0, user="u", device="d", age_days=age)).features for age in ages
    ]
    young = RiskEngine().assess(_event(T0, user="u", device="d", age_days=2.0)).features

    assert all(features == seen[0] for features in seen)
    assert seen[0]["account_age_days"] == ACCOUNT_AGE_CAP_DAYS
    assert young["account_age_days"] == 2.0


def test_new_devices_at_one_address_count_the_other_accounts_only() -> None:
    engine = RiskEngine()
    first = engine.assess(_event(T0, user="a", device="da")).features
    own_order = engine.assess(_event(T0 + 60, user="a", device="da", kind=EventKind.ORDER))
    second = engine.assess(_event(T0 + 90, user="b", device="db")).features
    third = engine.assess(_event(T0 + 120, user="c", device="dc")).features
    known_device_returns = engine.assess(_event(T0 + 150, user="a", device="da")).features
    an_hour_later = engine.assess(_event(T0 + 2 * 3600, user="d", device="dd")).features

    assert first["ip_other_new_devices_1h"] == 0.0
    assert own_order.features["ip_other_new_devices_1h"] == 0.0
    assert (second["ip_other_new_devices_1h"], third["ip_other_new_devices_1h"]) == (1.0, 2.0)
    assert known_device_returns["ip_other_new_devices_1h"] == 0.0
    assert an_hour_later["ip_other_new_devices_1h"] == 0.0


def test_a_sign_in_from_a_merchants_network_is_seen_outside_the_room() -> None:
    engine = RiskEngine()
    merchant_ip = "203.0.113.8"
    engine.assess(_event(T0, user="merchant", device="shop-phone", ip=merchant_ip))
    engine.assess(  # a sale in the merchant's room: the engine learns who is a merchant
        RiskEvent(
            ts=T0 + 60,
            kind=EventKind.ORDER,
            user_id="buyer",
            account_created_at=T0 - 400 * DAY,
            device_id="phone",
            ip="192.0.2.1",
            amount=5000,
            merchant_id="merchant",
        )
    )
    member = engine.assess(_event(T0 + 120, user="member", device="own", ip=merchant_ip))
    stranger = engine.assess(_event(T0 + 130, user="other", device="x", ip="192.0.2.77"))

    assert member.features["ip_shared_with_a_merchant"] == 1.0
    assert stranger.features["ip_shared_with_a_merchant"] == 0.0

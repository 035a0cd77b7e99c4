"""The online features of one event, read from and written to the rolling state.

:func:`observe` is the only way an event enters the state: it records the
attempt (so concurrent requests count each other) and answers the features as
they stand with this attempt included. :func:`record_outcome` adds what the
path learnt afterwards (a declined card, a failed login). The offline replay
calls the same two functions in the same order.

Identifiers are only ever compared for equality (as keys of the state), so
renaming them consistently cannot change a feature.
"""

from __future__ import annotations

import math

from liveshop.risk.events import GRAB_KINDS, EventKind, Outcome, RiskEvent
from liveshop.risk.state import DAY, RiskState

MONEY_KINDS = frozenset({EventKind.PAYMENT, EventKind.ORDER, EventKind.FLASH_BUY})
ENTITIES = ("user", "card", "device", "ip", "address")
WINDOW_NAMES = ("1m", "1h", "24h")
FAIL_ENTITIES = ("user", "card", "device", "ip")
AMOUNT_DAYS = 90  # a user's own amounts, this far back, for the z-score and p95
NEVER_SECONDS = 7 * DAY  # "seconds since" for a first event
SALE_GAP_SECONDS = 600.0  # flash buys in a room this far apart belong to different sales
NOT_A_SALE = -1.0
SHARING_CHECKED = 20  # the most recent users of a device or address checked for a merchant
# Past a month an account's age is no evidence either way (aged accounts are bought and
# sold); below it, a day or two is what card testers and farms show.
ACCOUNT_AGE_CAP_DAYS = 30.0


def _names() -> tuple[str, ...]:
    names: list[str] = []
    for entity in ENTITIES:
        names += [f"{entity}_count_{window}" for window in WINDOW_NAMES]
        names += [f"{entity}_amount_{window}" for window in WINDOW_NAMES]
    for entity in FAIL_ENTITIES:
        names += [f"{entity}_fail_count_{window}" for window in WINDOW_NAMES]
    names += [
        "user_login_fail_1h",
        "ip_login_fail_1h",
        "ip_login_fail_24h",
        "user_same_kind_1m",
        "user_same_kind_1h",
        "user_same_kind_24h",
        "device_same_kind_1h",
        "device_same_kind_24h",
        "ip_same_kind_1h",
        "device_distinct_users_24h",
        "device_distinct_users_30d",
        "ip_distinct_users_24h",
        "ip_distinct_users_30d",
        "address_distinct_users_30d",
        "card_distinct_users_30d",
        "device_distinct_cards_24h",
        "card_distinct_devices_24h",
        "card_distinct_devices_30d",
        "user_distinct_devices_30d",
        "user_distinct_ips_24h",
        "user_distinct_cards_24h",
        "device_is_new",
        "ip_is_new",
        "card_is_new",
        "address_is_new",
        "ip_region_is_new",
        "account_age_days",
        "ip_other_new_devices_1h",
        "user_prior_events",
        "amount",
        "amount_zscore",
        "user_amount_p95_90d",
        "user_amount_history",
        "amount_to_p95",
        "ip_billing_mismatch",
        "ip_shipping_mismatch",
        "billing_shipping_mismatch",
        "seconds_from_sale_start",
        "seconds_since_user_event",
        "seconds_since_device_event",
        "seconds_since_user_order",
        "shares_device_with_merchant",
        "shares_ip_with_merchant",
        "shares_address_with_merchant",
        "merchant_links",
        "device_shared_with_a_merchant",
        "ip_shared_with_a_merchant",
        "address_shared_with_a_merchant",
        "is_own_room",
        "user_orders_30d",
        "user_refunds_30d",
        "user_refund_rate",
        "address_refunds_30d",
    ]
    names += [f"is_{kind.value}" for kind in EventKind]
    return tuple(names)


FEATURE_NAMES = _names()
# What the rules may read beyond the model's inputs: facts about the account's own
# confirmations, which a stream without step-ups (a simulation) never has.
CONTEXT_NAMES = ("client_stepped_up",)


def _keys(event: RiskEvent) -> tuple[str, str, str, str, str]:
    return (event.user_id, event.card_fp, event.device_id, event.ip, event.address_id)


def observe(state: RiskState, event: RiskEvent) -> dict[str, float]:
    """Record the attempt and answer its features (every name in FEATURE_NAMES)."""
    features: dict[str, float] = {}
    _windows(state, event, features)
    _failures(state, event, features)
    _kind_counts(state, event, features)
    _members(state, event, features)
    _amounts(state, event, features)
    _regions_and_timing(state, event, features)
    _merchant_links(state, event, features)
    _refunds(state, event, features)
    for kind in EventKind:
        features[f"is_{kind.value}"] = 1.0 if event.kind is kind else 0.0
    client = _client_key(event)
    features["client_stepped_up"] = float(
        bool(client) and state.has_member("stepped_up_clients", event.user_id, client)
    )
    return features


def _client_key(event: RiskEvent) -> str:
    """The client a step-up vouches for: its address and, when it sent one, its device."""
    return f"{event.ip}|{event.device_id}" if event.ip else ""


def record_outcome(state: RiskState, event: RiskEvent, outcome: Outcome) -> None:
    """What the path learnt after asking: failures feed the failure bursts; a passed
    step-up makes the client known for the account."""
    if outcome is Outcome.STEPPED_UP:
        client = _client_key(event)
        if client:
            state.add_member("stepped_up_clients", event.user_id, client, event.ts)
        return
    if outcome is not Outcome.FAIL:
        return
    ts = event.ts
    for entity, key in zip(ENTITIES, _keys(event), strict=True):
        if key and entity in FAIL_ENTITIES:
            state.add_to_series("fail", f"{entity}:{key}", ts, 1.0)
    if event.kind is EventKind.LOGIN:
        state.add_to_series("login_fail", f"user:{event.user_id}", ts, 1.0)
        if event.ip:
            state.add_to_series("login_fail", f"ip:{event.ip}", ts, 1.0)


def _windows(state: RiskState, event: RiskEvent, features: dict[str, float]) -> None:
    amount = float(event.amount)
    for entity, key in zip(ENTITIES, _keys(event), strict=True):
        if not key:
            counts, sums = (0, 0, 0), (0.0, 0.0, 0.0)
        else:
            stats = state.add_to_series("all", f"{entity}:{key}", event.ts, amount)
            counts, sums = stats.counts, stats.sums
        for index, window in enumerate(WINDOW_NAMES):
            features[f"{entity}_count_{window}"] = float(counts[index])
            features[f"{entity}_amount_{window}"] = sums[index]


def _failures(state: RiskState, event: RiskEvent, features: dict[str, float]) -> None:
    ts = event.ts
    for entity, key in zip(ENTITIES, _keys(event), strict=True):
        if entity not in FAIL_ENTITIES:
            continue
        counts = state.read_series("fail", f"{entity}:{key}", ts).counts if key else (0, 0, 0)
        for index, window in enumerate(WINDOW_NAMES):
            features[f"{entity}_fail_count_{window}"] = float(counts[index])
    features["user_login_fail_1h"] = float(
        state.read_series("login_fail", f"user:{event.user_id}", ts).counts[1]
    )
    ip_fails = state.read_series("login_fail", f"ip:{event.ip}", ts).counts if event.ip else None
    features["ip_login_fail_1h"] = float(ip_fails[1]) if ip_fails else 0.0
    features["ip_login_fail_24h"] = float(ip_fails[2]) if ip_fails else 0.0


def _kind_counts(state: RiskState, event: RiskEvent, features: dict[str, float]) -> None:
    kind, ts = event.kind.value, event.ts
    user = state.add_to_series(f"kind:{kind}", f"user:{event.user_id}", ts, 1.0).counts
    features["user_same_kind_1m"] = float(user[0])
    features["user_same_kind_1h"] = float(user[1])
    features["user_same_kind_24h"] = float(user[2])
    device = (0, 0, 0)
    if event.device_id:
        device = state.add_to_series(f"kind:{kind}", f"device:{event.device_id}", ts, 1.0).counts
    features["device_same_kind_1h"] = float(device[1])
    features["device_same_kind_24h"] = float(device[2])
    ip = state.add_to_series(f"kind:{kind}", f"ip:{event.ip}", ts, 1.0).counts if event.ip else None
    features["ip_same_kind_1h"] = float(ip[1]) if ip else 0.0


def _members(state: RiskState, event: RiskEvent, features: dict[str, float]) -> None:
    ts, user = event.ts, event.user_id
    device, ip, card, address = event.device_id, event.ip, event.card_fp, event.address_id
    zero = 0.0
    # A device that arrives now: its account's devices include it (month > 0) and did
    # not before. Redis's planning pass answers month 0, so the write this brings is
    # not planned but sent on its own, only when a device really is new.
    arrived = False
    if device:
        users = state.add_member("device_users", device, user, ts)
        features["device_distinct_users_24h"] = float(users.day)
        features["device_distinct_users_30d"] = float(users.month)
        mine = state.add_member("user_devices", user, device, ts)
        features["user_distinct_devices_30d"] = float(mine.month)
        features["device_is_new"] = 0.0 if mine.known else 1.0
        arrived = mine.month > 0 and not mine.known
    else:
        features["device_distinct_users_24h"] = features["device_distinct_users_30d"] = zero
        features["user_distinct_devices_30d"] = features["device_is_new"] = zero
    if ip:
        users = state.add_member("ip_users", ip, user, ts)
        features["ip_distinct_users_24h"] = float(users.day)
        features["ip_distinct_users_30d"] = float(users.month)
        mine = state.add_member("user_ips", user, ip, ts)
        features["user_distinct_ips_24h"] = float(mine.day)
        features["ip_is_new"] = 0.0 if mine.known else 1.0
        features["ip_other_new_devices_1h"] = _new_devices_at(state, event, arrived=arrived)
    else:
        features["ip_distinct_users_24h"] = features["ip_distinct_users_30d"] = zero
        features["user_distinct_ips_24h"] = features["ip_is_new"] = zero
        features["ip_other_new_devices_1h"] = zero
    _card_members(state, event, features)
    if address:
        users = state.add_member("address_users", address, user, ts)
        features["address_distinct_users_30d"] = float(users.month)
        mine = state.add_member("user_addresses", user, address, ts)
        features["address_is_new"] = 0.0 if mine.known else 1.0
    else:
        features["address_distinct_users_30d"] = features["address_is_new"] = zero
    _ = card


def _new_devices_at(state: RiskState, event: RiskEvent, *, arrived: bool) -> float:
    """For a device new to its account: how many other devices new to theirs arrived
    at this address in the last hour. One address signing in account after account
    on devices never seen is a script; a carrier's shared address mostly sees devices
    their owners used before. Zero for a known device."""
    if not arrived:
        return 0.0
    return float(state.add_to_series("new_devices", event.ip, event.ts, 1.0).counts[1] - 1)


def _card_members(state: RiskState, event: RiskEvent, features: dict[str, float]) -> None:
    ts, card, device = event.ts, event.card_fp, event.device_id
    if not card:
        for name in (
            "card_distinct_users_30d",
            "device_distinct_cards_24h",
            "card_distinct_devices_24h",
            "card_distinct_devices_30d",
            "user_distinct_cards_24h",
            "card_is_new",
        ):
            features[name] = 0.0
        return
    features["card_distinct_users_30d"] = float(
        state.add_member("card_users", card, event.user_id, ts).month
    )
    mine = state.add_member("user_cards", event.user_id, card, ts)
    features["user_distinct_cards_24h"] = float(mine.day)
    features["card_is_new"] = 0.0 if mine.known else 1.0
    if device:
        features["device_distinct_cards_24h"] = float(
            state.add_member("device_cards", device, card, ts).day
        )
        devices = state.add_member("card_devices", card, device, ts)
        features["card_distinct_devices_24h"] = float(devices.day)
        features["card_distinct_devices_30d"] = float(devices.month)
    else:
        features["device_distinct_cards_24h"] = 0.0
        features["card_distinct_devices_24h"] = features["card_distinct_devices_30d"] = 0.0


def _amounts(state: RiskState, event: RiskEvent, features: dict[str, float]) -> None:
    amount = float(event.amount)
    features["amount"] = amount
    age = max(event.ts - event.account_created_at, 0.0) / DAY
    features["account_age_days"] = min(age, ACCOUNT_AGE_CAP_DAYS)
    features["user_prior_events"] = state.add_decayed("events", event.user_id, event.ts, 1.0)
    history: list[float] = []
    if event.kind in MONEY_KINDS and amount > 0:
        since = event.ts - AMOUNT_DAYS * DAY
        earlier = state.push_amount(event.user_id, event.ts, amount)
        history = [value for at, value in earlier if at >= since]
    if not history:
        features["amount_zscore"] = 0.0
        features["user_amount_p95_90d"] = 0.0
        features["user_amount_history"] = 0.0
        features["amount_to_p95"] = 0.0
        return
    mean = sum(history) / len(history)
    spread = math.sqrt(sum((value - mean) ** 2 for value in history) / len(history))
    ordered = sorted(history)
    p95 = ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))]
    # The spread of a short history is unreliable: never below a tenth of the mean.
    features["amount_zscore"] = (amount - mean) / max(spread, 0.1 * mean, 1.0)
    features["user_amount_p95_90d"] = p95
    features["user_amount_history"] = float(len(history))
    features["amount_to_p95"] = amount / max(p95, 1.0)


def _regions_and_timing(state: RiskState, event: RiskEvent, features: dict[str, float]) -> None:
    ip_region, billing, shipping = event.ip_region, event.billing_region, event.shipping_region
    features["ip_billing_mismatch"] = float(bool(ip_region and billing and ip_region != billing))
    features["ip_shipping_mismatch"] = float(bool(ip_region and shipping and ip_region != shipping))
    features["billing_shipping_mismatch"] = float(
        bool(billing and shipping and billing != shipping)
    )
    if ip_region:
        regions = state.add_member("user_regions", event.user_id, ip_region, event.ts)
        features["ip_region_is_new"] = 0.0 if regions.known else 1.0
    else:
        features["ip_region_is_new"] = 0.0
    ts = event.ts
    if event.kind is EventKind.FLASH_BUY and event.room_id:
        start = state.first_time("flash_sale", event.room_id, ts, SALE_GAP_SECONDS)
        features["seconds_from_sale_start"] = ts - start
    else:
        features["seconds_from_sale_start"] = NOT_A_SALE
    previous = state.swap_last("user_last", event.user_id, ts)
    features["seconds_since_user_event"] = (
        NEVER_SECONDS if previous is None else min(ts - previous, NEVER_SECONDS)
    )
    previous = state.swap_last("device_last", event.device_id, ts) if event.device_id else None
    features["seconds_since_device_event"] = (
        NEVER_SECONDS if previous is None else min(ts - previous, NEVER_SECONDS)
    )
    if event.kind in (EventKind.ORDER, EventKind.FLASH_BUY):
        previous = state.swap_last("user_order", event.user_id, ts)
    else:  # a refund soon after the order is what refund abuse looks like
        previous = state.last_time("user_order", event.user_id)
    features["seconds_since_user_order"] = (
        NEVER_SECONDS if previous is None else min(ts - previous, NEVER_SECONDS)
    )


def _merchant_links(state: RiskState, event: RiskEvent, features: dict[str, float]) -> None:
    """Accounts that share a device, IP or address with the room's merchant (刷单)."""
    merchant = event.merchant_id
    own = bool(merchant) and merchant == event.user_id
    features["is_own_room"] = float(own)
    links = (0.0, 0.0, 0.0)
    if merchant and not own:
        links = (
            float(
                bool(event.device_id)
                and state.has_member("user_devices", merchant, event.device_id)
            ),
            float(bool(event.ip) and state.has_member("user_ips", merchant, event.ip)),
            float(
                bool(event.address_id)
                and state.has_member("user_addresses", merchant, event.address_id)
            ),
        )
    features["shares_device_with_merchant"] = links[0]
    features["shares_ip_with_merchant"] = links[1]
    features["shares_address_with_merchant"] = links[2]
    features["merchant_links"] = sum(links)
    if merchant:
        state.add_member("merchants", "", merchant, event.ts)
    # Outside any room (a login), a ring member still sits on a merchant's device, network
    # or address.
    features["device_shared_with_a_merchant"] = _shared_with_a_merchant(
        state, "device_users", event.device_id, event.user_id
    )
    features["ip_shared_with_a_merchant"] = _shared_with_a_merchant(
        state, "ip_users", event.ip, event.user_id
    )
    features["address_shared_with_a_merchant"] = _shared_with_a_merchant(
        state, "address_users", event.address_id, event.user_id
    )


def _shared_with_a_merchant(state: RiskState, name: str, key: str, user: str) -> float:
    if not key:
        return 0.0
    others = state.recent_members(name, key, SHARING_CHECKED)
    return float(
        any(other != user and state.has_member("merchants", "", other) for other in others)
    )


def _refunds(state: RiskState, event: RiskEvent, features: dict[str, float]) -> None:
    ts, user = event.ts, event.user_id
    is_order = event.kind in (EventKind.ORDER, EventKind.FLASH_BUY)
    is_refund = event.kind is EventKind.REFUND
    orders = state.add_decayed("orders", user, ts, 1.0 if is_order else 0.0)
    refunds = state.add_decayed("refunds", user, ts, 1.0 if is_refund else 0.0)
    features["user_orders_30d"] = orders
    features["user_refunds_30d"] = refunds
    features["user_refund_rate"] = refunds / (
        orders + 2.0
    )  # two orders of prior: a first refund is no rate
    address_refunds = 0.0
    if event.address_id:
        address_refunds = state.add_decayed(
            "address_refunds", event.address_id, ts, 1.0 if is_refund else 0.0
        )
    features["address_refunds_30d"] = address_refunds
    if event.kind in GRAB_KINDS:
        pass  # grabs are counted by the kind windows

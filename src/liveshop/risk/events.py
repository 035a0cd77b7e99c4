"""What the engine is asked about (``RiskEvent``) and what it answers (``Assessment``).

A ``RiskEvent`` carries only facts a guarded path knows when it asks: who, from
which device, IP and card, how much, in which room. Identifiers are opaque
strings: the engine compares them for equality and never reads their spelling.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field

from liveshop.core.risk import RiskPath

# The engine's event kinds are the guarded paths of core/risk.py, one list.
EventKind = RiskPath


GRAB_KINDS = frozenset({EventKind.COUPON_GRAB, EventKind.RED_PACKET_GRAB})


class Outcome(enum.StrEnum):
    OK = "ok"
    FAIL = "fail"
    STEPPED_UP = "stepped_up"  # challenged, then confirmed with a second factor


class Decision(enum.StrEnum):
    """Ordered from the mildest: a stricter decision wins when several apply."""

    ALLOW = "allow"
    CHALLENGE = "challenge"
    REVIEW = "review"
    BLOCK = "block"

    @property
    def severity(self) -> int:
        return DECISION_ORDER.index(self)


DECISION_ORDER = (Decision.ALLOW, Decision.CHALLENGE, Decision.REVIEW, Decision.BLOCK)


@dataclass(frozen=True, slots=True)
class RiskEvent:
    """One request on a guarded path. ``ts`` is seconds since the epoch (UTC);
    ``amount`` is in minor units; an empty string means "not known"."""

    ts: float
    kind: EventKind
    user_id: str
    account_created_at: float
    device_id: str = ""
    ip: str = ""
    card_fp: str = ""
    amount: int = 0
    merchant_id: str = ""
    room_id: str = ""
    ip_region: str = ""
    billing_region: str = ""
    shipping_region: str = ""
    address_id: str = ""


@dataclass(frozen=True, slots=True)
class Assessment:
    decision: Decision
    score: float  # the behaviour model's probability of abuse, 0-1
    reasons: tuple[str, ...]  # rules that fired, then the features behind the score
    features: dict[str, float] = field(repr=False)
    rules_version: int = 0
    model_version: str = ""
    latency_ms: float = 0.0

    def reason_text(self) -> str:
        return "; ".join(self.reasons)

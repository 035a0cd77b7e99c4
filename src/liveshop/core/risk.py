"""How a guarded path asks the risk engine, without importing ``risk``.

Login, payments, orders, coupon and red-packet grabs and flash-sale buys sit
below ``risk`` (docs/architecture.md), so they call :func:`assess_risk` here;
``liveshop.wiring`` registers the risk domain's checker when the app, the CLI
or the demo starts. A path tells the engine what it knows (``RiskRequest``),
gets a decision back, and afterwards reports how it went
(:func:`record_risk_outcome`: a declined card, a failed login), which is how
the engine's failure counts grow; it never reads the paths' tables.

When the checker fails (or none is registered), each path fails safe in the
way ``Settings.risk_on_error`` names for it: ``allow`` (with ``degraded`` set,
so the path can log and flag it) or ``challenge``.
"""

from __future__ import annotations

import contextvars
import dataclasses
import enum
import logging
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy.orm import Session

from liveshop.core.errors import PermissionDenied

log = logging.getLogger(__name__)


class RiskPath(enum.StrEnum):
    """The guarded paths; each value is also the engine's event kind."""

    LOGIN = "login"
    PAYMENT = "payment"
    ORDER = "order"
    COUPON_GRAB = "coupon_grab"
    RED_PACKET_GRAB = "red_packet_grab"
    FLASH_BUY = "flash_buy"
    REFUND = "refund"


class RiskDecision(enum.StrEnum):
    ALLOW = "allow"
    CHALLENGE = "challenge"  # a second factor (payments' step-up)
    REVIEW = "review"  # held for a risk analyst
    BLOCK = "block"


# Until settings say otherwise: money and accounts ask for the second factor when
# the engine is down; grabs and orders go on, flagged (a review can follow).
DEFAULT_ON_ERROR: dict[str, str] = {
    RiskPath.LOGIN: "challenge",
    RiskPath.PAYMENT: "challenge",
    RiskPath.ORDER: "allow",
    RiskPath.COUPON_GRAB: "allow",
    RiskPath.RED_PACKET_GRAB: "allow",
    RiskPath.FLASH_BUY: "allow",
    RiskPath.REFUND: "allow",
}


@dataclass(frozen=True)
class RiskRequest:
    """What a path knows when it asks. Ids are the platform's (users, merchants,
    rooms); device, IP, card fingerprint and address are whatever the path has,
    empty when it has none. ``amount`` is in minor units."""

    path: RiskPath
    user_id: int
    account_created_at: datetime
    at: datetime
    device_id: str = ""
    ip: str = ""
    card_fp: str = ""
    amount: int = 0
    merchant_id: int | None = None
    room_id: int | None = None
    ip_region: str = ""
    billing_region: str = ""
    shipping_region: str = ""
    address_id: str = ""
    subject: str = ""  # what is being decided, e.g. "order:42", for the review queue


@dataclass(frozen=True)
class RiskVerdict:
    decision: RiskDecision
    public_reason: str  # safe to show the buyer and the merchant: never the rules
    reference: str = ""  # the engine's id of this assessment (review cases point to it)
    degraded: bool = False  # the engine failed; this is the path's fail-safe answer

    @property
    def allowed(self) -> bool:
        return self.decision is RiskDecision.ALLOW


class RiskCheck(Protocol):
    def assess(self, request: RiskRequest, *, session: Session | None = None) -> RiskVerdict:
        """With ``session``, a held or blocked request's review case is written in
        the path's own transaction (it commits or rolls back with the path)."""
        ...

    def record_outcome(self, request: RiskRequest, *, succeeded: bool) -> None: ...

    def record_step_up(self, request: RiskRequest) -> None:
        """``request``, which the engine challenged, was confirmed with a second factor:
        its client (address and device) is known for the account from now on."""
        ...


@dataclass(frozen=True)
class ClientFacts:
    """The requesting client as the HTTP edge saw it (``ClientFactsMiddleware``)."""

    device_id: str = ""
    ip: str = ""


NO_CLIENT = ClientFacts()
_client: contextvars.ContextVar[ClientFacts | None] = contextvars.ContextVar(
    "liveshop_risk_client", default=None
)
DEVICE_HEADER = b"x-device-id"
MAX_DEVICE_ID = 64

Scope = MutableMapping[str, Any]
AsgiApp = Callable[[Scope, Any, Any], Awaitable[None]]


class ClientFactsMiddleware:
    """Remembers each HTTP request's device id (``X-Device-Id``) and client address
    for the risk requests the paths make while serving it, so the paths' signatures
    need not carry them. Pure ASGI: the values reach the route's worker thread."""

    def __init__(self, app: AsgiApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        device = ""
        for name, value in scope.get("headers", []):
            if name == DEVICE_HEADER:
                device = value.decode("latin-1")[:MAX_DEVICE_ID]
        client = scope.get("client")
        token = _client.set(ClientFacts(device_id=device, ip=client[0] if client else ""))
        try:
            await self.app(scope, receive, send)
        finally:
            _client.reset(token)


def with_client_facts(request: RiskRequest) -> RiskRequest:
    """The request, its empty device and IP filled from the HTTP request being served."""
    facts = _client.get() or NO_CLIENT
    if (request.device_id or not facts.device_id) and (request.ip or not facts.ip):
        return request
    return dataclasses.replace(
        request, device_id=request.device_id or facts.device_id, ip=request.ip or facts.ip
    )


_checks: list[RiskCheck] = []
_on_error: dict[str, str] = dict(DEFAULT_ON_ERROR)


def register_risk_assessor(check: RiskCheck, *, on_error: dict[str, str] | None = None) -> None:
    _checks[:] = [check]
    _on_error.clear()
    _on_error.update(DEFAULT_ON_ERROR)
    _on_error.update(on_error or {})


def registered_risk_assessor() -> RiskCheck | None:
    return _checks[0] if _checks else None


def assess_risk(request: RiskRequest, *, session: Session | None = None) -> RiskVerdict:
    """The engine's verdict, or the path's fail-safe one if the engine fails."""
    try:
        if not _checks:
            raise RuntimeError("liveshop.wiring.connect_domains() was not called: no risk check")
        return _checks[0].assess(with_client_facts(request), session=session)
    except Exception:  # any failure of the engine: the path must still answer
        log.exception("risk check failed on %s; failing safe", request.path.value)
        return fail_safe_verdict(request.path)


def fail_safe_verdict(path: RiskPath) -> RiskVerdict:
    mode = _on_error.get(path, "challenge")
    decision = RiskDecision.CHALLENGE if mode == "challenge" else RiskDecision.ALLOW
    return RiskVerdict(decision=decision, public_reason="risk check unavailable", degraded=True)


def record_risk_outcome(request: RiskRequest, *, succeeded: bool) -> None:
    """Tell the engine how the request went; its failure never fails the path."""
    try:
        if _checks:
            _checks[0].record_outcome(with_client_facts(request), succeeded=succeeded)
    except Exception:
        log.exception("risk outcome for %s not recorded", request.path.value)


def record_risk_step_up(request: RiskRequest) -> None:
    """Tell the engine a challenged request passed the step-up (the sign-in's second
    factor was right), so the same client is not challenged again for that alone."""
    try:
        if _checks:
            _checks[0].record_step_up(with_client_facts(request))
    except Exception:
        log.exception("risk step-up for %s not recorded", request.path.value)


class RiskRefused(PermissionDenied):
    """A path without a second factor (grabs, flash-sale buys) refused the request."""

    code = "risk_refused"


def refuse_unless_allowed(request: RiskRequest, *, session: Session | None = None) -> RiskVerdict:
    """For paths that cannot step up: go on when allowed (or failing open), else
    RiskRefused with the public reason (the transaction rolls back: nothing held)."""
    verdict = assess_risk(request, session=session)
    if not verdict.allowed:
        raise RiskRefused(verdict.public_reason or "refused by risk checks")
    return verdict

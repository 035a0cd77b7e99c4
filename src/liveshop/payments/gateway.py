"""Payment gateways: one interface, a built-in sandbox, room for real adapters.

A real provider (Alipay, WeChat Pay, Stripe, UnionPay ...) fits by implementing
``Gateway``: authorise (and capture), refund, and verify its webhooks. The
sandbox behaves like a real gateway, offline: outcomes chosen by test card
number, and signed asynchronous notifications for every result.

Webhook signatures: ``X-LiveShop-Signature: t=<unix seconds>,v1=<hex>``, where
the hex is HMAC-SHA256(secret, "<t>.<raw body>"). A receiver checks it in
constant time and refuses a timestamp more than five minutes old.
"""

from __future__ import annotations

import enum
import hashlib
import hmac
import secrets
import threading
import time
from dataclasses import dataclass, field
from typing import Any, Protocol

import orjson

from liveshop.core.errors import InvalidInput, NotAuthenticated

SIGNATURE_HEADER = "X-LiveShop-Signature"
WEBHOOK_TOLERANCE_SECONDS = 300


class GatewayStatus(enum.StrEnum):
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    REQUIRES_ACTION = "requires_action"
    PENDING = "pending"  # no answer yet (a network timeout): the webhook will tell


@dataclass(frozen=True)
class GatewayResult:
    status: GatewayStatus
    reference: str
    decline_code: str | None = None
    message: str = ""


@dataclass(frozen=True)
class WebhookEvent:
    event_id: str
    kind: str  # payment.succeeded, payment.failed, refund.succeeded
    reference: str
    payment_id: int | None
    amount: int
    data: dict[str, Any] = field(default_factory=dict)


class Gateway(Protocol):
    name: str

    def charge(
        self,
        *,
        payment_id: int,
        amount: int,
        currency: str,
        card_number: str,
        cvc: str | None,
        challenge_passed: bool,
    ) -> GatewayResult:
        """Authorise and capture at once (live commerce ships after payment)."""

    def refund(self, *, reference: str, amount: int, idempotency_key: str) -> GatewayResult: ...

    def start_wallet_payment(self, *, payment_id: int, amount: int, currency: str) -> GatewayResult:
        """A third-party wallet (Alipay / WeChat Pay style): the buyer is sent to the
        provider's page for the returned reference; the outcome arrives by webhook."""

    def read_wallet_reference(self, reference: str) -> WalletApproval:
        """The payment a third-party wallet reference stands for (checked)."""

    def decide_wallet_payment(self, *, reference: str, approve: bool) -> WalletApproval:
        """The buyer's decision on the provider's page (the sandbox's stand-in)."""

    def verify_webhook(self, *, headers: dict[str, str], body: bytes) -> WebhookEvent: ...


# Test numbers, as sandboxes usually have them (listed in the README).
SANDBOX_CARDS: dict[str, tuple[GatewayStatus, str | None]] = {
    "4242424242424242": (GatewayStatus.SUCCEEDED, None),
    "5555555555554444": (GatewayStatus.SUCCEEDED, None),
    "378282246310005": (GatewayStatus.SUCCEEDED, None),
    "6200000000000005": (GatewayStatus.SUCCEEDED, None),
    "4000000000000002": (GatewayStatus.FAILED, "card_declined"),
    "4000000000009995": (GatewayStatus.FAILED, "insufficient_funds"),
    "4000000000000069": (GatewayStatus.FAILED, "expired_card"),
    "4000002760003184": (GatewayStatus.REQUIRES_ACTION, None),
    "4000000000000119": (GatewayStatus.PENDING, "network_timeout"),
}


def sign(secret: str, body: bytes, timestamp: int | None = None) -> str:
    timestamp = int(time.time()) if timestamp is None else timestamp
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"t={timestamp},v1={digest.hexdigest()}"


def verify_signature(secret: str, header: str, body: bytes, now: float | None = None) -> None:
    """Raise NotAuthenticated unless the signature is valid and fresh."""
    try:
        parts = dict(item.split("=", 1) for item in header.split(","))
        timestamp = int(parts["t"])
        given = parts["v1"]
    except (KeyError, ValueError) as error:
        raise NotAuthenticated("malformed webhook signature", code="bad_signature") from error
    now = time.time() if now is None else now
    if abs(now - timestamp) > WEBHOOK_TOLERANCE_SECONDS:
        raise NotAuthenticated("the webhook is too old (or from the future)", code="stale_webhook")
    expected = sign(secret, body, timestamp).split("v1=", 1)[1]
    if not hmac.compare_digest(expected, given):
        raise NotAuthenticated("bad webhook signature", code="bad_signature")


@dataclass(frozen=True)
class WalletApproval:
    """A third-party wallet payment as its provider's page shows it."""

    payment_id: int
    amount: int
    currency: str
    reference: str


@dataclass(frozen=True)
class Notification:
    """A signed webhook the sandbox wants delivered."""

    body: bytes
    signature: str


class SandboxGateway:
    """An offline gateway: outcomes by test card number, signed notifications in an outbox.

    The app delivers the outbox to its own webhook endpoint in the background;
    tests may take the notifications and deliver (or replay) them themselves.
    """

    name = "sandbox"

    def __init__(self, webhook_secret: str) -> None:
        self.webhook_secret = webhook_secret
        self._outbox: list[Notification] = []
        self._refunds: dict[str, GatewayResult] = {}
        self._lock = threading.RLock()  # refund() notifies while holding it

    def charge(
        self,
        *,
        payment_id: int,
        amount: int,
        currency: str,
        card_number: str,
        cvc: str | None,
        challenge_passed: bool,
    ) -> GatewayResult:
        if cvc is not None and not cvc.isdigit():
            raise InvalidInput("the CVC is 3 or 4 digits", code="bad_cvc")
        status, code = SANDBOX_CARDS.get(card_number, (GatewayStatus.SUCCEEDED, None))
        if status is GatewayStatus.REQUIRES_ACTION and challenge_passed:
            status = GatewayStatus.SUCCEEDED
        reference = f"sbx_ch_{secrets.token_hex(8)}"
        result = GatewayResult(status, reference, decline_code=code)
        if status in (GatewayStatus.SUCCEEDED, GatewayStatus.PENDING):
            # A timed-out charge did go through: only the notification says so.
            self._notify("payment.succeeded", reference, payment_id, amount)
        elif status is GatewayStatus.FAILED:
            self._notify("payment.failed", reference, payment_id, amount, decline_code=code)
        return result

    def refund(self, *, reference: str, amount: int, idempotency_key: str) -> GatewayResult:
        with self._lock:
            done = self._refunds.get(idempotency_key)
            if done is None:
                done = GatewayResult(GatewayStatus.SUCCEEDED, f"sbx_re_{secrets.token_hex(8)}")
                self._refunds[idempotency_key] = done
                self._notify("refund.succeeded", done.reference, None, amount, charge=reference)
        return done

    def start_wallet_payment(self, *, payment_id: int, amount: int, currency: str) -> GatewayResult:
        """The reference carries the payment, the amount and a signature, so that the
        sandbox's approval page (any worker) needs no state of its own."""
        body = f"{payment_id}.{amount}.{currency}"
        digest = hmac.new(self.webhook_secret.encode(), body.encode(), hashlib.sha256)
        reference = f"sbx_tp_{body}.{digest.hexdigest()[:24]}"
        return GatewayResult(GatewayStatus.REQUIRES_ACTION, reference)

    def decide_wallet_payment(self, *, reference: str, approve: bool) -> WalletApproval:
        """What the buyer does on the provider's page: approve or cancel (then notified)."""
        approval = self.read_wallet_reference(reference)
        if approve:
            self._notify("payment.succeeded", reference, approval.payment_id, approval.amount)
        else:
            self._notify(
                "payment.failed",
                reference,
                approval.payment_id,
                approval.amount,
                decline_code="cancelled_by_buyer",
            )
        return approval

    def read_wallet_reference(self, reference: str) -> WalletApproval:
        try:
            body, given = reference.removeprefix("sbx_tp_").rsplit(".", 1)
            payment_id, amount, currency = body.split(".")
            approval = WalletApproval(int(payment_id), int(amount), currency, reference)
        except ValueError as error:
            raise NotAuthenticated("unknown wallet payment", code="bad_reference") from error
        digest = hmac.new(self.webhook_secret.encode(), body.encode(), hashlib.sha256)
        if not hmac.compare_digest(digest.hexdigest()[:24], given):
            raise NotAuthenticated("unknown wallet payment", code="bad_reference")
        return approval

    def verify_webhook(self, *, headers: dict[str, str], body: bytes) -> WebhookEvent:
        signature = next(
            (value for key, value in headers.items() if key.lower() == SIGNATURE_HEADER.lower()),
            "",
        )
        verify_signature(self.webhook_secret, signature, body)
        try:
            payload = orjson.loads(body)
            return WebhookEvent(
                event_id=str(payload["id"]),
                kind=str(payload["type"]),
                reference=str(payload["reference"]),
                payment_id=payload.get("payment_id"),
                amount=int(payload["amount"]),
                data=dict(payload.get("data") or {}),
            )
        except (orjson.JSONDecodeError, KeyError, TypeError, ValueError) as error:
            raise InvalidInput("malformed webhook body", code="bad_webhook") from error

    def _notify(
        self, kind: str, reference: str, payment_id: int | None, amount: int, **data: Any
    ) -> None:
        body = orjson.dumps(
            {
                "id": f"evt_{secrets.token_hex(10)}",
                "type": kind,
                "reference": reference,
                "payment_id": payment_id,
                "amount": amount,
                "data": data,
            }
        )
        with self._lock:
            self._outbox.append(Notification(body, sign(self.webhook_secret, body)))

    def take_notifications(self) -> list[Notification]:
        with self._lock:
            taken, self._outbox = self._outbox, []
        return taken

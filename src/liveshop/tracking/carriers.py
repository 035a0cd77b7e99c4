"""Carriers behind one interface: where a parcel's scans come from.

* :class:`SandboxCarrier` (``sandbox``) advances every parcel on a schedule
  (picked up, two hubs in transit, out for delivery, delivered), one scan every
  ``step_seconds`` from the moment it was shipped; a tracking number ending in
  ``X`` meets an exception instead of reaching the door. For the demo and tests.
* :class:`WebhookCarrier` is the shape of a real carrier's tracking push: a JSON
  body of events, signed with HMAC-SHA256 over ``timestamp.body`` in the
  ``X-Carrier-Signature: t=<unix seconds>,v1=<hex>`` header, each event with the
  carrier's own id (so a retried push records nothing twice), refused when the
  signature is wrong or older than ``TOLERANCE_SECONDS``.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

from liveshop.core.errors import InvalidInput, PermissionDenied
from liveshop.tracking.models import ParcelStatus

SANDBOX = "sandbox"
TOLERANCE_SECONDS = 300  # a signed push older than this is a replay
EXCEPTION_SUFFIX = "X"  # sandbox tracking numbers that end so meet an exception


@dataclass(frozen=True)
class CarrierScan:
    """One scan: ``scan`` is what happened, as a code the pages word in the reader's
    language (tracking.words); ``location`` and ``description`` are the carrier's own
    text, kept as it sent them (the sandbox sends no description)."""

    event_id: str
    tracking_number: str
    status: ParcelStatus
    scan: str
    location: str
    description: str
    occurred_at: datetime


class Carrier(Protocol):
    code: str

    def scans_due(
        self, *, tracking_number: str, shipped_at: datetime, now: datetime
    ) -> list[CarrierScan]:
        """Every scan the carrier has made of the parcel by ``now`` (polling carriers)."""
        ...


# (status, scan, the place as a Chinese carrier writes it)
SANDBOX_ROUTE: tuple[tuple[ParcelStatus, str, str], ...] = (
    (ParcelStatus.PICKED_UP, "picked_up", "杭州 揽收网点"),
    (ParcelStatus.IN_TRANSIT, "at_sorting_centre", "杭州 分拨中心"),
    (ParcelStatus.IN_TRANSIT, "at_transit_centre", "上海 转运中心"),
    (ParcelStatus.OUT_FOR_DELIVERY, "out_for_delivery", "上海 徐汇营业部"),
    (ParcelStatus.DELIVERED, "delivered", "上海 徐汇区"),
)
SANDBOX_EXCEPTION = (ParcelStatus.EXCEPTION, "damaged", "上海 转运中心")


class SandboxCarrier:
    code = SANDBOX

    def __init__(self, step_seconds: float) -> None:
        self.step = timedelta(seconds=step_seconds)

    def _route(self, tracking_number: str) -> list[tuple[ParcelStatus, str, str]]:
        if tracking_number.upper().endswith(EXCEPTION_SUFFIX):
            return [*SANDBOX_ROUTE[:3], SANDBOX_EXCEPTION]
        return list(SANDBOX_ROUTE)

    def scans_due(
        self, *, tracking_number: str, shipped_at: datetime, now: datetime
    ) -> list[CarrierScan]:
        scans = []
        for number, (status, scan, location) in enumerate(self._route(tracking_number), 1):
            at = shipped_at + self.step * number
            if at > now:
                break
            scans.append(
                CarrierScan(
                    f"{tracking_number}-{number}", tracking_number, status, scan, location, "", at
                )
            )
        return scans


# A real carrier's codes, as its pushes spell them.
WEBHOOK_STATUSES: Mapping[str, ParcelStatus] = {
    "PICKUP": ParcelStatus.PICKED_UP,
    "TRANSIT": ParcelStatus.IN_TRANSIT,
    "DELIVERING": ParcelStatus.OUT_FOR_DELIVERY,
    "SIGNED": ParcelStatus.DELIVERED,
    "EXCEPTION": ParcelStatus.EXCEPTION,
}


def sign_push(secret: str, body: bytes, timestamp: int) -> str:
    """The header value a carrier sends (tests and the demo use it to push)."""
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


class WebhookCarrier:
    def __init__(self, code: str, secret: str) -> None:
        self.code = code
        self.secret = secret

    def scans_due(
        self, *, tracking_number: str, shipped_at: datetime, now: datetime
    ) -> list[CarrierScan]:
        return []  # it pushes; nothing to poll

    def verify(self, body: bytes, signature: str, *, now: datetime) -> None:
        parts = dict(part.split("=", 1) for part in signature.split(",") if "=" in part)
        timestamp = parts.get("t", "")
        if not timestamp.isdigit() or "v1" not in parts:
            raise PermissionDenied("the push is not signed", code="bad_signature")
        expected = sign_push(self.secret, body, int(timestamp)).split("v1=", 1)[1]
        if not hmac.compare_digest(expected, parts["v1"]):
            raise PermissionDenied("the push's signature does not match", code="bad_signature")
        if abs(now.timestamp() - int(timestamp)) > TOLERANCE_SECONDS:
            raise PermissionDenied("the push is too old (a replay?)", code="stale_signature")

    def parse(self, body: bytes) -> list[CarrierScan]:
        try:
            payload: Any = json.loads(body)
            return [self._scan(event) for event in payload["events"]]
        except (ValueError, KeyError, TypeError) as error:
            raise InvalidInput(
                f"the push is not a carrier's event list: {error}", code="bad_push"
            ) from error

    @staticmethod
    def _scan(event: Mapping[str, Any]) -> CarrierScan:
        status = WEBHOOK_STATUSES.get(str(event["status"]))
        if status is None:
            raise ValueError(f"unknown status {event['status']!r}")
        occurred = datetime.fromisoformat(str(event["occurred_at"]))
        if occurred.tzinfo is None:
            raise ValueError("occurred_at needs a time zone")
        return CarrierScan(
            event_id=str(event["id"])[:80],
            tracking_number=str(event["tracking_number"])[:64],
            status=status,
            scan=status.value,  # a pushing carrier's status says what happened
            location=str(event.get("location", ""))[:120],
            description=str(event.get("description", ""))[:300],
            occurred_at=occurred,
        )

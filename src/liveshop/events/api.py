"""``POST /api/events``: behaviour events sent in batches by the pages.

The body is read with a byte cap before anything parses it (413 beyond
``MAX_BATCH_BYTES``), then validated (422), then charged against a token bucket
per signed-in user or, for anonymous viewers, per client address (429), and
finally buffered in the app's ``EventRecorder``, which pseudonymises the user.
Only behaviour the page itself sees may be sent: money (``amount``), purchases
and presence come from the server's own events and are not accepted here.
"""

from __future__ import annotations

import enum
import time
from dataclasses import dataclass
from typing import Annotated

from fastapi import APIRouter, Request, status
from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError

from liveshop.accounts.dependencies import OptionalUser
from liveshop.core.errors import LiveShopError, RateLimited
from liveshop.events.recorder import EventRecorder, EventType

router = APIRouter(tags=["events"])

MAX_EVENTS_PER_BATCH = 100
MAX_BATCH_BYTES = 64 * 1024
# Tokens are events: a page may send a burst of two full batches, then 20 events a second.
BUCKET_CAPACITY = 200.0
BUCKET_REFILL_PER_SECOND = 20.0
MAX_TRACKED_CALLERS = 50_000  # beyond this, full (idle) buckets are forgotten


class PageEventType(enum.StrEnum):
    """What a page may report (a subset of the recorder's ``EventType``)."""

    VIEW = "view"
    PRODUCT_CLICK = "product_click"
    CART = "cart"
    SHARE = "share"


class PageEvent(BaseModel):
    model_config = ConfigDict(extra="forbid")

    event_type: PageEventType
    product_id: Annotated[int, Field(ge=1, le=2**62)] | None = None
    room_id: Annotated[int, Field(ge=1, le=2**62)] | None = None
    session_id: Annotated[str, Field(max_length=64, pattern=r"^[A-Za-z0-9_-]+$")] | None = None
    channel: Annotated[str, Field(max_length=32, pattern=r"^[A-Za-z0-9_.-]+$")] | None = None


class EventBatch(BaseModel):
    model_config = ConfigDict(extra="forbid")

    events: Annotated[list[PageEvent], Field(min_length=1, max_length=MAX_EVENTS_PER_BATCH)]


class BatchAccepted(BaseModel):
    accepted: int


class PayloadTooLarge(LiveShopError):
    status_code = 413
    code = "payload_too_large"


class InvalidBatch(LiveShopError):
    status_code = 422
    code = "invalid_batch"


@dataclass
class Bucket:
    tokens: float
    updated: float


class TokenBuckets:
    """One token bucket per caller key, refilled continuously."""

    def __init__(self, capacity: float, refill_per_second: float) -> None:
        self.capacity = capacity
        self.refill_per_second = refill_per_second
        self.buckets: dict[str, Bucket] = {}

    def take(self, key: str, cost: float, *, now: float | None = None) -> bool:
        now = time.monotonic() if now is None else now
        bucket = self.buckets.get(key)
        if bucket is None:
            if len(self.buckets) >= MAX_TRACKED_CALLERS:
                self._forget_full(now)
            bucket = self.buckets[key] = Bucket(tokens=self.capacity, updated=now)
        bucket.tokens = min(
            self.capacity, bucket.tokens + (now - bucket.updated) * self.refill_per_second
        )
        bucket.updated = now
        if bucket.tokens < cost:
            return False
        bucket.tokens -= cost
        return True

    def _forget_full(self, now: float) -> None:
        full_after = self.capacity / self.refill_per_second
        for key in [k for k, b in self.buckets.items() if now - b.updated >= full_after]:
            del self.buckets[key]


def _buckets(request: Request) -> TokenBuckets:
    """The app's buckets, made on first use (one set per app, so tests stay apart)."""
    state = request.app.state
    buckets: TokenBuckets | None = getattr(state, "event_buckets", None)
    if buckets is None:
        buckets = state.event_buckets = TokenBuckets(BUCKET_CAPACITY, BUCKET_REFILL_PER_SECOND)
    return buckets


async def _read_capped(request: Request) -> bytes:
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > MAX_BATCH_BYTES:
        raise PayloadTooLarge(f"a batch is at most {MAX_BATCH_BYTES} bytes")
    body = bytearray()
    async for chunk in request.stream():
        body.extend(chunk)
        if len(body) > MAX_BATCH_BYTES:
            raise PayloadTooLarge(f"a batch is at most {MAX_BATCH_BYTES} bytes")
    return bytes(body)


_BATCH = TypeAdapter(EventBatch)


@router.post(
    "/api/events",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=BatchAccepted,
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": EventBatch.model_json_schema()}},
        }
    },
)
async def post_events(request: Request, user: OptionalUser) -> BatchAccepted:
    """Record a batch of up to 100 page events (view, product_click, cart, share)."""
    raw = await _read_capped(request)
    try:
        batch = _BATCH.validate_json(raw)
    except ValidationError as error:
        problems = "; ".join(
            f"{'.'.join(str(part) for part in detail['loc'])}: {detail['msg']}"
            for detail in error.errors(include_input=False)[:5]
        )
        raise InvalidBatch(f"invalid event batch: {problems}") from None
    client = request.client.host if request.client else "unknown"
    actor: int | str = user.id if user is not None else f"ip:{client}"
    if not _buckets(request).take(f"{actor}", len(batch.events)):
        raise RateLimited("too many events; slow down", code="events_rate_limited")
    recorder: EventRecorder = request.app.state.recorder
    for event in batch.events:
        extra = {
            key: value
            for key, value in (("session_id", event.session_id), ("channel", event.channel))
            if value is not None
        }
        recorder.record(
            EventType(event.event_type.value),
            user=actor,
            room_id=event.room_id,
            product_id=event.product_id,
            source="page",
            **extra,
        )
    return BatchAccepted(accepted=len(batch.events))

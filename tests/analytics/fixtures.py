"""A seeded behaviour log with the awkward cases, written as a CSV in mixed
timestamp formats (ISO with offsets, epoch seconds, epoch milliseconds)."""

from __future__ import annotations

import csv
import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

START = datetime(2023, 1, 1, tzinfo=UTC)
TYPES = (
    ["view"] * 6
    + ["click"] * 3
    + ["cart"] * 2
    + ["purchase", "comment", "like", "question", "gift", "join"]
)
SHANGHAI = timezone(timedelta(hours=8))


@dataclass(frozen=True)
class Event:
    user_id: str
    product_id: str | None
    event_type: str
    ts: datetime
    room_id: str | None = None
    session_id: str | None = None
    channel: str | None = None
    amount: int | None = None  # minor units
    like_count: int | None = None


def random_events(*, seed: int, users: int = 70, count: int = 500) -> list[Event]:
    """Events over three weeks; some users never buy, some products tie."""
    rng = random.Random(seed)
    events = []
    for _ in range(count):
        user = f"u{rng.randrange(users):02d}"
        kind = rng.choice(TYPES)
        moment = START + timedelta(seconds=rng.randrange(21 * 86_400))
        if rng.random() < 0.6:  # bursts: the next steps soon after
            moment = START + timedelta(days=rng.randrange(21), hours=20, minutes=rng.randrange(90))
        events.append(
            Event(
                user_id=user,
                product_id=f"P{rng.randrange(8):03d}"
                if kind not in ("comment", "like", "join")
                else None,
                event_type=kind,
                ts=moment,
                room_id=rng.choice(["r1", "r2", "42"]),
                session_id=f"s{user}{moment.day}",
                channel=rng.choice(["ads", "organic"]),
                amount=rng.randrange(100, 20_000) if kind == "purchase" else None,
                like_count=rng.randrange(1, 30) if kind == "like" else None,
            )
        )
    events.append(events[5])  # a row like another, without an id: an event of its own
    return events


def _timestamp(event: Event, index: int) -> str:
    style = index % 4
    if style == 0:
        return event.ts.isoformat().replace("+00:00", "Z")
    if style == 1:
        return event.ts.astimezone(SHANGHAI).isoformat()
    if style == 2:
        return str(int(event.ts.timestamp()))
    return str(int(event.ts.timestamp() * 1000))


def write_csv(path: Path, events: list[Event]) -> None:
    """Rows shuffled out of time order; money written in major units."""
    order = list(range(len(events)))
    random.Random(1).shuffle(order)
    with path.open("w", newline="") as stream:
        writer = csv.writer(stream)
        writer.writerow(
            [
                "user_id",
                "product_id",
                "event_type",
                "timestamp",
                "room_id",
                "session_id",
                "channel",
                "amount",
                "like_count",
            ]
        )
        for index in order:
            event = events[index]
            writer.writerow(
                [
                    event.user_id,
                    event.product_id or "",
                    event.event_type,
                    _timestamp(event, index),
                    event.room_id or "",
                    event.session_id or "",
                    event.channel or "",
                    f"{event.amount / 100:.2f}" if event.amount is not None else "",
                    event.like_count or "",
                ]
            )

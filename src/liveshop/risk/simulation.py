"""A labelled stream of shop events: ordinary shoppers and six kinds of abuse.

Shoppers follow a few merchants, shop more in the evening and at weekends, and
crowd into live rooms (coupon drops, red packets, flash sales). Abuse is
injected at low rates: card testing, account takeover, coupon farming,
flash-sale bots, 刷单 rings (orders from accounts tied to the room's merchant)
and refund abuse. Every rate, size and timing is a parameter, so a held-out
stream can differ from the one a model was tuned on. Every identifier is a
random token drawn the same way for shoppers and abusers.
"""

from __future__ import annotations

import csv
import math
import random
from dataclasses import dataclass, field, fields
from datetime import UTC, datetime, timedelta
from pathlib import Path

COLUMNS = (
    "ts",
    "event",
    "user_id",
    "account_created_at",
    "device_id",
    "ip",
    "card_fp",
    "amount",
    "merchant_id",
    "room_id",
    "ip_region",
    "billing_region",
    "shipping_region",
    "address_id",
    "outcome",
    "label",
)
PATTERNS = (
    "card_testing",
    "account_takeover",
    "coupon_farming",
    "flash_sale_bot",
    "brushing_ring",
    "refund_abuse",
)
LEGIT = "legit"
REGIONS = tuple(f"R{number:02d}" for number in range(1, 32))
HOUR_WEIGHTS = (1, 1, 1, 1, 1, 1, 2, 3, 4, 5, 5, 6, 8, 7, 5, 5, 5, 6, 7, 9, 11, 12, 10, 5)
DAY_SECONDS = 86400.0


@dataclass
class SimulationParams:
    seed: int = 1
    days: int = 7
    start: str = "2026-11-02"
    users: int = 2000
    merchants: int = 30
    sessions_per_day: float = 0.8  # an ordinary shopper's mean
    lives_per_week: float = 3.0  # per merchant
    attend_share: float = 0.3  # followers who join a live they could watch
    decline_rate: float = 0.03
    refund_rate: float = 0.04
    new_account_share: float = 0.1
    card_testing_per_day: float = 0.7
    card_testing_cards: int = 30
    card_testing_gap_seconds: float = 20.0
    takeovers_per_day: float = 1.0
    takeover_amount_factor: float = 5.0
    farms_per_day: float = 0.2
    farm_size: int = 15
    farm_accounts_per_device: int = 5
    bot_sale_share: float = 0.2
    bots_per_sale: int = 8
    bot_delay_max_seconds: float = 0.6
    rings: int = 3
    ring_size: int = 6
    ring_order_share: float = 0.6
    refund_abusers: int = 8
    abuser_refund_share: float = 0.85


@dataclass
class Person:
    id: str
    created: float
    region: str
    devices: list[str]
    cards: list[tuple[str, str]]
    addresses: list[tuple[str, str]]
    ips: list[str]
    median_amount: float
    rate: float = 1.0
    follows: list[Person] = field(default_factory=list)


@dataclass
class Live:
    merchant: Person
    room: str
    start: float
    end: float


class Simulator:
    def __init__(self, params: SimulationParams) -> None:
        self.params = params
        self.rng = random.Random(params.seed)
        self.t0 = datetime.fromisoformat(params.start).replace(tzinfo=UTC).timestamp()
        self.t1 = self.t0 + params.days * DAY_SECONDS
        self.rows: list[tuple[float, int, list[str]]] = []
        self.ip_region: dict[str, str] = {}
        self.carrier_ips = {region: [self.new_ip(region) for _ in range(8)] for region in REGIONS}

    # identifiers: the same generator for everyone
    def token(self, prefix: str) -> str:
        return f"{prefix}{self.rng.getrandbits(40):010x}"

    def new_ip(self, region: str) -> str:
        rng = self.rng
        octets = (
            rng.randint(1, 223),
            rng.randint(0, 255),
            rng.randint(0, 255),
            rng.randint(1, 254),
        )
        ip = ".".join(str(octet) for octet in octets)
        self.ip_region[ip] = region
        return ip

    def other_region(self, region: str) -> str:
        return self.rng.choice([other for other in REGIONS if other != region])

    def new_person(self, *, created: float, region: str | None = None) -> Person:
        rng = self.rng
        region = region or rng.choice(REGIONS)
        cards = [(self.token("c"), region) for _ in range(rng.choice((1, 1, 2)))]
        addresses = [(self.token("a"), region if rng.random() < 0.9 else self.other_region(region))]
        if rng.random() < 0.2:
            addresses.append((self.token("a"), region))
        return Person(
            id=self.token("u"),
            created=created,
            region=region,
            devices=[self.token("d") for _ in range(rng.choice((1, 1, 1, 2)))],
            cards=cards,
            addresses=addresses,
            ips=[self.new_ip(region) for _ in range(rng.choice((1, 2)))],
            median_amount=math.exp(rng.gauss(math.log(8000), 0.7)),
            rate=self.params.sessions_per_day * math.exp(rng.gauss(0, 0.8)) / 1.377,
        )

    def emit(
        self,
        ts: float,
        event: str,
        person: Person,
        *,
        label: str | int = LEGIT,
        **fields_: str | int,
    ) -> None:
        values = {
            "device_id": "",
            "ip": "",
            "card_fp": "",
            "amount": 0,
            "merchant_id": "",
            "room_id": "",
            "billing_region": "",
            "shipping_region": "",
            "address_id": "",
            "outcome": "ok",
        }
        values.update(fields_)
        ip = str(values["ip"])
        row = [
            _iso(ts),
            event,
            person.id,
            _iso(person.created),
            str(values["device_id"]),
            ip,
            str(values["card_fp"]),
            str(values["amount"]),
            str(values["merchant_id"]),
            str(values["room_id"]),
            self.ip_region.get(ip, ""),
            str(values["billing_region"]),
            str(values["shipping_region"]),
            str(values["address_id"]),
            str(values["outcome"]),
            str(label),
        ]
        if self.t0 <= ts < self.t1:
            self.rows.append((ts, len(self.rows), row))

    # ordinary shoppers
    def session_ip(self, person: Person) -> str:
        roll = self.rng.random()
        if roll < 0.03:
            return self.rng.choice(self.carrier_ips[self.other_region(person.region)])  # travelling
        if roll < 0.4:
            return self.rng.choice(self.carrier_ips[person.region])
        return self.rng.choice(person.ips)

    def login(self, person: Person, ts: float, device: str, ip: str, label: str = LEGIT) -> float:
        if label == LEGIT and self.rng.random() < 0.03:
            self.emit(ts, "login", person, device_id=device, ip=ip, outcome="fail")
            ts += self.rng.uniform(5, 40)
        self.emit(ts, "login", person, device_id=device, ip=ip, label=label)
        return ts

    def buy(
        self,
        person: Person,
        ts: float,
        device: str,
        ip: str,
        *,
        merchant: Person,
        room: str = "",
        amount: float | None = None,
        label: str = LEGIT,
        card: tuple[str, str] | None = None,
        address: tuple[str, str] | None = None,
        decline_rate: float | None = None,
        refund_rate: float | None = None,
        refund_days: tuple[float, float] = (1, 10),
    ) -> float:
        rng = self.rng
        amount = amount or person.median_amount * math.exp(rng.gauss(0, 0.5))
        card = card or rng.choice(person.cards)
        address = address or rng.choice(person.addresses)
        common: dict[str, str | int] = {
            "device_id": device,
            "ip": ip,
            "merchant_id": merchant.id,
            "room_id": room,
            "amount": max(int(amount), 100),
            "shipping_region": address[1],
            "address_id": address[0],
        }
        self.emit(ts, "order", person, label=label, **common)
        ts += rng.uniform(3, 40)
        decline = self.params.decline_rate if decline_rate is None else decline_rate
        declined = rng.random() < decline
        self.emit(
            ts,
            "payment",
            person,
            label=label,
            card_fp=card[0],
            billing_region=card[1],
            outcome="fail" if declined else "ok",
            **common,
        )
        if declined and label == LEGIT:
            ts += rng.uniform(20, 120)
            card = rng.choice(person.cards)
            self.emit(ts, "payment", person, card_fp=card[0], billing_region=card[1], **common)
        refund = self.params.refund_rate if refund_rate is None else refund_rate
        if rng.random() < refund:
            refund_ts = ts + rng.uniform(*refund_days) * DAY_SECONDS
            self.emit(refund_ts, "refund", person, label=label, **common)
        return ts

    def session_time(self) -> float:
        rng = self.rng
        while True:
            day = rng.randrange(self.params.days)
            moment = self.t0 + day * DAY_SECONDS
            weekend = datetime.fromtimestamp(moment, UTC).weekday() >= 5
            if weekend or rng.random() < 0.77:
                hour = rng.choices(range(24), weights=HOUR_WEIGHTS)[0]
                return moment + hour * 3600 + rng.uniform(0, 3600)

    def shopper_sessions(self, person: Person) -> None:
        rng = self.rng
        sessions = _poisson(rng, person.rate * self.params.days)
        for _ in range(sessions):
            ts = self.session_time()
            if ts < person.created:
                continue
            device = rng.choice(person.devices)
            ts = self.login(person, ts, device, ip := self.session_ip(person))
            if rng.random() < 0.35 and person.follows:
                self.buy(
                    person,
                    ts + rng.uniform(30, 900),
                    device,
                    ip,
                    merchant=rng.choice(person.follows),
                )


def _iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _poisson(rng: random.Random, mean: float) -> int:
    if mean <= 0:
        return 0
    if mean > 50:
        return max(0, round(rng.gauss(mean, math.sqrt(mean))))
    limit, count, product = math.exp(-mean), 0, rng.random()
    while product > limit:
        count += 1
        product *= rng.random()
    return count


def write_rows(rows: list[list[str]], out: Path) -> None:
    with out.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(COLUMNS)
        writer.writerows(rows)


def param_names() -> list[str]:
    return [item.name for item in fields(SimulationParams)]


_ = timedelta

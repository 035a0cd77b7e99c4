"""Crowd benchmark: a crowd signs up, logs in, orders and pays, on SQLite and PostgreSQL.

Run by hand (not a test); prints one JSON document on stdout, progress on stderr::

    .venv/bin/python benchmarks/crowd.py                        # SQLite, then PostgreSQL
    .venv/bin/python benchmarks/crowd.py --databases sqlite --users 150 --in-flight 20
    .venv/bin/python benchmarks/crowd.py --postgres-url postgresql+psycopg://postgres@host/db

The scenario, on a fresh database each: ``--users`` people (500) sign up and log
in, ``--in-flight`` (50) at a time, each through "the proxy" (a distinct
``X-Forwarded-For``, trusted from 127.0.0.1 as ``liveshop serve`` trusts it); then
each of them saves the sandbox card 4242 4242 4242 4242, orders one unit of a
merchant's product (stocked for all of them) and pays for it, again 50 at a time.

The server is ``python -m liveshop.cli serve`` in its own process (one worker, on
SQLite the embedded default in its home) on a free port; the crowd is asyncio +
httpx in this process. Per step it reports p50 and p99 latency and every answer:
5xx (``server_errors``, must be 0), dropped connections (``dropped``: no answer,
must be 0), 429 (``rate_limited``, reported apart: a rate limit refusing the
crowd, not a failure of the server) and any other 4xx (``unexpected_4xx``). The
database is checked afterwards: users, tokens, paid orders, succeeded payments
and the units sold must match the answers.
"""

from __future__ import annotations

import argparse
import asyncio
import math
import os
import platform
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import orjson
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

HOST = "127.0.0.1"
POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
SECRET_KEY = "crowd-benchmark-secret-key-0123456789"
GOOD_CARD = "4242424242424242"  # the sandbox's card that always succeeds
PRICE = 29_900  # 分: below the step-up amount, so a payment needs no second factor
REQUEST_TIMEOUT_SECONDS = 120.0
EXPECTED = {  # the answer each step gives when it works
    "register": {201},
    "login": {200},
    "save_card": {200, 201},
    "order": {201},
    "pay": {201},
}
console = Console(stderr=True)


def log(message: str) -> None:
    console.print(f"[crowd {time.strftime('%H:%M:%S')}] {message}", highlight=False)


def percentile(sorted_values: list[float], share: float) -> float | None:
    if not sorted_values:
        return None
    index = min(len(sorted_values) - 1, max(0, math.ceil(share * len(sorted_values)) - 1))
    return round(sorted_values[index], 1)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        port: int = probe.getsockname()[1]
        return port


def forwarded_address(index: int) -> str:
    """A distinct client address per person (TEST-NET-2 and -3 are 2 x 254 addresses;
    past them, private 10.x addresses)."""
    if index < 254:
        return f"198.51.100.{index + 1}"
    if index < 508:
        return f"203.0.113.{index - 253}"
    return f"10.{(index >> 16) & 255}.{(index >> 8) & 255}.{(index & 255) or 1}"


# --------------------------------------------------------------------------- answers


@dataclass
class Answer:
    step: str
    milliseconds: float
    status: int | None  # None: the connection dropped (no HTTP answer)
    error: str | None = None


@dataclass
class StepFigures:
    answers: list[Answer] = field(default_factory=list)

    def report(self, step: str) -> dict[str, Any]:
        statuses = Counter(answer.status for answer in self.answers if answer.status is not None)
        dropped = Counter(answer.error or "?" for answer in self.answers if answer.status is None)
        unexpected = {
            str(status): count
            for status, count in statuses.items()
            if 400 <= status < 500 and status != 429 and status not in EXPECTED[step]
        }
        latencies = sorted(answer.milliseconds for answer in self.answers)
        return {
            "requests": len(self.answers),
            "ok": sum(count for status, count in statuses.items() if status in EXPECTED[step]),
            "statuses": {str(status): count for status, count in sorted(statuses.items())},
            "server_errors": sum(count for status, count in statuses.items() if status >= 500),
            "dropped": sum(dropped.values()),
            "dropped_by_error": dict(dropped),
            "rate_limited": statuses.get(429, 0),
            "unexpected_4xx": sum(unexpected.values()),
            "unexpected_4xx_by_status": unexpected,
            "p50_ms": percentile(latencies, 0.50),
            "p99_ms": percentile(latencies, 0.99),
            "max_ms": round(latencies[-1], 1) if latencies else None,
        }


class Recorder:
    """Every answer of one phase, by step; the first few bodies of failures."""

    def __init__(self) -> None:
        self.steps: dict[str, StepFigures] = {}
        self.failure_samples: list[str] = []

    async def call(
        self, step: str, send: Callable[[], Awaitable[httpx.Response]]
    ) -> httpx.Response | None:
        started = time.perf_counter()
        try:
            response = await send()
        except httpx.TransportError as error:
            self._add(Answer(step, _since(started), None, type(error).__name__))
            return None
        self._add(Answer(step, _since(started), response.status_code))
        if response.status_code not in EXPECTED[step] and len(self.failure_samples) < 10:
            self.failure_samples.append(f"{step} {response.status_code} {response.text[:200]}")
        return response

    def _add(self, answer: Answer) -> None:
        self.steps.setdefault(answer.step, StepFigures()).answers.append(answer)

    def report(self, wall_seconds: float) -> dict[str, Any]:
        steps = {name: figures.report(name) for name, figures in self.steps.items()}
        return {
            "wall_seconds": round(wall_seconds, 2),
            "steps": steps,
            "failure_samples": self.failure_samples,
        }


def _since(started: float) -> float:
    return (time.perf_counter() - started) * 1000


# --------------------------------------------------------------------------- the crowd


@dataclass
class Person:
    index: int
    username: str
    password: str
    token: str | None = None

    @property
    def headers(self) -> dict[str, str]:
        headers = {"X-Forwarded-For": forwarded_address(self.index)}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        return headers


async def sign_up(http: httpx.AsyncClient, recorder: Recorder, person: Person) -> None:
    credentials = {"username": person.username, "password": person.password}
    registered = await recorder.call(
        "register",
        lambda: http.post("/api/auth/register", json=credentials, headers=person.headers),
    )
    if registered is None or registered.status_code != 201:
        return
    logged_in = await recorder.call(
        "login", lambda: http.post("/api/auth/login", json=credentials, headers=person.headers)
    )
    if logged_in is not None and logged_in.status_code == 200:
        person.token = logged_in.json()["token"]


async def order_and_pay(
    http: httpx.AsyncClient, recorder: Recorder, person: Person, sku_id: int
) -> bool:
    """Save the card, order one unit, pay it; True when the payment succeeded."""
    card = {"card_number": GOOD_CARD, "exp_month": 12, "exp_year": datetime.now(UTC).year + 2}
    saved = await recorder.call(
        "save_card",
        lambda: http.post(
            "/api/payment-methods", json=card | {"cvc": "123"}, headers=person.headers
        ),
    )
    if saved is None or saved.status_code not in EXPECTED["save_card"]:
        return False
    ordered = await recorder.call(
        "order",
        lambda: http.post(
            "/api/orders",
            json={"items": [{"sku_id": sku_id, "quantity": 1}]},
            headers=person.headers | {"Idempotency-Key": f"crowd-order-{person.index:06d}"},
        ),
    )
    if ordered is None or ordered.status_code != 201:
        return False
    paid = await recorder.call(
        "pay",
        lambda: http.post(
            "/api/payments",
            json={"order_id": ordered.json()["id"], "payment_method_id": saved.json()["id"]},
            headers=person.headers | {"Idempotency-Key": f"crowd-pay-{person.index:06d}"},
        ),
    )
    return paid is not None and paid.status_code == 201 and paid.json()["status"] == "succeeded"


async def run_phase(
    name: str,
    base_url: str,
    people: list[Person],
    in_flight: int,
    journey: Callable[[httpx.AsyncClient, Recorder, Person], Awaitable[Any]],
) -> tuple[dict[str, Any], list[Any]]:
    """Every person's journey, ``in_flight`` at a time, each on its own connection."""
    recorder = Recorder()
    gate = asyncio.Semaphore(in_flight)
    limits = httpx.Limits(max_connections=in_flight, max_keepalive_connections=in_flight)
    timeout = httpx.Timeout(REQUEST_TIMEOUT_SECONDS)
    progress = Progress(
        TextColumn(name),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=True,
    )
    async with httpx.AsyncClient(base_url=base_url, limits=limits, timeout=timeout) as http:
        with progress:
            task = progress.add_task(name, total=len(people))

            async def one(person: Person) -> Any:
                async with gate:
                    try:
                        return await journey(http, recorder, person)
                    finally:
                        progress.advance(task)

            started = time.perf_counter()
            results = await asyncio.gather(*(one(person) for person in people))
            wall = time.perf_counter() - started
    return recorder.report(wall), list(results)


# --------------------------------------------------------------------------- the server


class ServerProcess:
    """``liveshop serve`` on a free port, in its own process and session."""

    def __init__(self, home: Path, database_url: str | None) -> None:
        self.port = free_port()
        self.log_path = home / "server.log"
        self.env = {key: value for key, value in os.environ.items() if key[:9] != "LIVESHOP_"}
        self.env.update(LIVESHOP_HOME=str(home), LIVESHOP_SECRET_KEY=SECRET_KEY)
        self.env["PYTHONUNBUFFERED"] = "1"
        if database_url is not None:
            self.env["LIVESHOP_DATABASE_URL"] = database_url
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def base_url(self) -> str:
        return f"http://{HOST}:{self.port}"

    def start(self) -> None:
        command = [sys.executable, "-m", "liveshop.cli", "serve", "--port", str(self.port)]
        with self.log_path.open("ab") as handle:
            self.process = subprocess.Popen(
                command, env=self.env, stdout=handle, stderr=subprocess.STDOUT,
                start_new_session=True,
            )  # fmt: skip
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"the server exited:\n{self.log_tail()}")
            try:
                if httpx.get(f"{self.base_url}/healthz", timeout=1).status_code == 200:
                    return
            except httpx.TransportError:
                time.sleep(0.1)
        raise RuntimeError(f"the server did not start:\n{self.log_tail()}")

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)

    def log_tail(self, lines: int = 30) -> str:
        text = self.log_path.read_text(errors="replace") if self.log_path.exists() else ""
        return "\n".join(text.splitlines()[-lines:])

    def log_count(self, needle: str) -> int:
        return self.log_path.read_text(errors="replace").count(needle)


# --------------------------------------------------------------------------- databases


@dataclass
class Database:
    name: str
    sqlalchemy_url: str
    environment_url: str | None  # LIVESHOP_DATABASE_URL for the server (None: SQLite in home)
    schema: str | None = None


def sqlite_database(home: Path) -> Database:
    from liveshop.core.settings import Settings

    return Database("sqlite", Settings(home=home, database_url=None).resolved_database_url(), None)


def postgres_database(admin_url: str) -> Database:
    """A private schema, as the tests use (tests/conftest.py)."""
    from sqlalchemy import create_engine, text

    schema = f"bench_crowd_{os.getpid()}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
        connection.execute(text(f"CREATE SCHEMA {schema}"))
    admin.dispose()
    separator = "&" if "?" in admin_url else "?"
    url = f"{admin_url}{separator}options=-csearch_path%3D{schema}"
    return Database("postgres", url, url, schema)


def drop_schema(admin_url: str, schema: str) -> None:
    from sqlalchemy import create_engine, text

    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
    admin.dispose()


def seed(database_url: str, units: int) -> int:
    """Migrate; a merchant's product with ``units`` in stock. Returns its SKU id."""
    from liveshop.accounts import service as accounts
    from liveshop.accounts.models import Role
    from liveshop.catalog import service as catalog
    from liveshop.catalog.schemas import ProductIn
    from liveshop.core.db import get_engine, get_session_factory, unit_of_work
    from liveshop.core.migrations import upgrade_database
    from liveshop.wiring import connect_domains

    connect_domains()  # product copy is checked when saved, as in the app
    upgrade_database(database_url)
    with unit_of_work(database_url) as session:
        merchant = accounts.create_user(
            session, username="crowd_merchant", password=secrets.token_urlsafe(16),
            role=Role.MERCHANT,
        )  # fmt: skip
        product = catalog.create_product(
            session, merchant=merchant, body=ProductIn(title="羽绒服", price=PRICE, stock=units)
        )
        sku_id: int = catalog.skus_of(session, product_id=product.id)[0].id
    get_engine(database_url).dispose()  # the server has the database to itself
    get_engine.cache_clear()
    get_session_factory.cache_clear()
    return sku_id


def check_database(database_url: str, sku_id: int, people: int) -> dict[str, int]:
    """What the database holds after the crowd: to compare with the answers."""
    from sqlalchemy import func, select

    from liveshop.accounts.models import ApiToken, User
    from liveshop.catalog.models import Sku
    from liveshop.core.db import get_engine, unit_of_work
    from liveshop.orders.models import Order, OrderStatus
    from liveshop.payments.models import Payment, PaymentStatus

    with unit_of_work(database_url, writes=False) as session:
        users = session.scalar(select(func.count(User.id)).where(User.username.like("fan_%")))
        tokens = session.scalar(select(func.count(ApiToken.id)))
        paid = session.scalar(select(func.count(Order.id)).where(Order.status == OrderStatus.PAID))
        succeeded = session.scalar(
            select(func.count(Payment.id)).where(Payment.status == PaymentStatus.SUCCEEDED)
        )
        sku = session.get_one(Sku, sku_id)
        figures = {
            "people": people,
            "users": int(users or 0),
            "tokens": int(tokens or 0),
            "orders_paid": int(paid or 0),
            "payments_succeeded": int(succeeded or 0),
            "stock_left": int(sku.stock),
        }
    get_engine(database_url).dispose()
    return figures


# --------------------------------------------------------------------------- one run


def totals(*phases: dict[str, Any]) -> dict[str, int]:
    keys = ("server_errors", "dropped", "rate_limited", "unexpected_4xx")
    return {
        key: sum(step[key] for phase in phases for step in phase["steps"].values()) for key in keys
    }


def seed_crowd(database_url: str, people: list[Person]) -> None:
    """For ``--orders-only``: the crowd as users with a token each, straight into the
    database (one argon2 hash shared by all), instead of signing up through the server."""
    from liveshop.accounts import service as accounts
    from liveshop.accounts.models import Role, User
    from liveshop.core.db import get_engine, unit_of_work
    from liveshop.core.security import hash_password

    shared_hash = hash_password(secrets.token_urlsafe(16))
    with unit_of_work(database_url) as session:
        users = [
            User(username=person.username, password_hash=shared_hash, role=Role.VIEWER)
            for person in people
        ]
        session.add_all(users)
        session.flush()
        for person, user in zip(people, users, strict=True):
            person.token = accounts.issue_token(session, user=user)
    get_engine(database_url).dispose()


def run_phases(
    database: Database, server: ServerProcess, people: list[Person], sku_id: int, args: Any
) -> dict[str, Any]:
    phases: dict[str, Any] = {}
    if not args.orders_only:
        phases["signups"], _ = asyncio.run(
            run_phase(f"{database.name} sign-ups", server.base_url, people, args.in_flight, sign_up)
        )
        log(f"{database.name}: sign-ups in {phases['signups']['wall_seconds']} s")

    async def buy(http: httpx.AsyncClient, recorder: Recorder, person: Person) -> bool:
        return await order_and_pay(http, recorder, person, sku_id)

    buyers = [person for person in people if person.token]
    orders, outcomes = asyncio.run(
        run_phase(f"{database.name} orders", server.base_url, buyers, args.in_flight, buy)
    )
    log(f"{database.name}: orders in {orders['wall_seconds']} s")
    phases["orders"] = orders | {"payments_succeeded": sum(1 for ok in outcomes if ok)}
    return phases


def matches(checked: dict[str, int], phases: dict[str, Any], people: int) -> bool:
    """The database holds what the answers said: users, tokens, paid orders, stock."""

    def ok(phase: str, step: str) -> int:
        return int(phases.get(phase, {}).get("steps", {}).get(step, {}).get("ok", people))

    return (
        checked["users"] == ok("signups", "register")
        and checked["tokens"] == ok("signups", "login")
        and checked["orders_paid"] == checked["payments_succeeded"]
        and checked["payments_succeeded"] == phases["orders"]["payments_succeeded"]
        and checked["stock_left"] == people - ok("orders", "order")
    )


def run_database(database: Database, home: Path, args: argparse.Namespace) -> dict[str, Any]:
    log(f"{database.name}: seeding")
    sku_id = seed(database.sqlalchemy_url, units=args.users)
    run_tag = secrets.token_hex(3)
    people = [
        Person(index, f"fan_{run_tag}_{index}", f"crowd-{secrets.token_urlsafe(12)}")
        for index in range(args.users)
    ]
    if args.orders_only:
        seed_crowd(database.sqlalchemy_url, people)
    server = ServerProcess(home, database.environment_url)
    server.start()
    log(f"{database.name}: serving on {server.base_url}")
    try:
        phases = run_phases(database, server, people, sku_id, args)
    finally:
        server.stop()
    checked = check_database(database.sqlalchemy_url, sku_id, args.users)
    return {
        **phases,
        "totals": totals(*phases.values()),
        "database": checked,
        "database_matches_answers": matches(checked, phases, args.users),
        "server_log": {
            "database_is_locked": server.log_count("database is locked"),
            "tracebacks": server.log_count("Traceback (most recent call last)"),
        },
    }


def parse_arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, default=500)
    parser.add_argument("--in-flight", type=int, default=50)
    parser.add_argument("--databases", default="sqlite,postgres", help="sqlite,postgres")
    parser.add_argument("--postgres-url", default=POSTGRES_URL)
    parser.add_argument("--keep", action="store_true", help="keep the homes (server logs)")
    parser.add_argument(
        "--orders-only",
        action="store_true",
        help="skip the sign-ups: the crowd is put in the database with tokens",
    )
    return parser.parse_args()


def main() -> None:
    args = parse_arguments()
    workdir = Path(tempfile.mkdtemp(prefix="liveshop-crowd-"))
    results: dict[str, Any] = {}
    try:
        for name in args.databases.split(","):
            home = workdir / name
            home.mkdir()
            database = (
                sqlite_database(home) if name == "sqlite" else postgres_database(args.postgres_url)
            )
            try:
                results[name] = run_database(database, home, args)
            finally:
                if database.schema is not None and not args.keep:
                    drop_schema(args.postgres_url, database.schema)
    finally:
        if args.keep:
            log(f"homes and server logs kept in {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    document = {
        "benchmark": "crowd",
        "command": " ".join(["python", *sys.argv]),
        "scenario": {
            "users": args.users,
            "in_flight": args.in_flight,
            "orders_only": args.orders_only,
            "server": "liveshop serve, one worker",
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
        },
        "results": results,
    }
    sys.stdout.write(orjson.dumps(document, option=orjson.OPT_INDENT_2).decode() + "\n")


if __name__ == "__main__":
    main()

"""kill -9 of the server in the middle of a flash sale: no lost order, no leaked unit.

A real server process (``python -m liveshop.cli serve``) on a SQLite home sells
100 units (one per buyer) to a crowd of HTTP clients. Once about 30 % of the
units are sold it gets SIGKILL, with requests in flight; it is started again on
the same home, the clients retry what got no answer (same Idempotency-Key) and
send what they had not sent yet, and the sale sells out. Then the database must
hold exactly the orders the clients were told about, ``sold`` must equal the
units of those orders, and nobody may hold more than the limit.

With the Redis engine a request killed between its Lua claim and its commit
leaves a claim without an order: the claims-recovery job of the restarted
server must write it (after its grace period). One such orphan is also made on
purpose, by running the claim script for a buyer while the server is down, so
the recovery path is exercised on every run, not only when the kill happens to
land between a claim and its commit.
"""

from __future__ import annotations

import asyncio
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from collections import Counter, deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
import redis
from sqlalchemy import func, select, text

from liveshop.accounts import service as accounts
from liveshop.accounts.models import User
from liveshop.core.clock import utcnow
from liveshop.core.db import unit_of_work
from liveshop.orders.flash_purchase import buy_flash_sale
from liveshop.orders.models import Order, OrderItem
from liveshop.orders.placement import AttemptInProgress
from liveshop.promotions import flash_sales
from liveshop.promotions.models import FlashSale, FlashSaleAdmission
from liveshop.promotions.stock_engines import (
    CLAIM_SCRIPT,
    CLAIMS_GROUP,
    RedisStockEngine,
    StockEngine,
)
from tests.conftest import REDIS_URL, SECRET_KEY, require_service
from tests.ports import free_port
from tests.promotions.conftest import Shelf, create_buyers, start_sale

pytestmark = pytest.mark.timeout(150)

UNITS = 100
PER_USER_LIMIT = 1
BUYERS = 300
ATTEMPTS_PER_BUYER = 2  # two taps on "buy", each with its own Idempotency-Key
KILL_AFTER = 30  # SIGKILL once this many 201s came back
CONCURRENCY = 24
CRASH_REDIS_DB = 12  # only when no redis-server binary lets the test run a Redis of its own
RECOVERY_WAIT_SECONDS = 25.0  # grace (10 s) + job interval (1 s) + restart, with margin
ORPHAN_LOG_LINE = "wrote the order of an orphaned flash-sale claim"


@pytest.fixture
def database_url(sqlite_url: str) -> str:
    """SQLite only: the server's home is the directory of this file."""
    return sqlite_url


# --- the server process ---


class ServerProcess:
    """``python -m liveshop.cli serve`` on a home, restartable on the same port."""

    def __init__(self, *, home: Path, log_path: Path, redis_url: str | None) -> None:
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.log_path = log_path
        self.env = {
            key: value for key, value in os.environ.items() if not key.startswith("LIVESHOP_")
        }
        self.env.update(
            LIVESHOP_HOME=str(home),
            LIVESHOP_SECRET_KEY=SECRET_KEY,
            LIVESHOP_ORDER_EXPIRY_CHECK_SECONDS="1",
            PYTHONUNBUFFERED="1",
        )
        if redis_url:
            self.env["LIVESHOP_REDIS_URL"] = redis_url
        self.process: subprocess.Popen[bytes] | None = None
        self.starts = 0

    def start(self) -> None:
        self.starts += 1
        with self.log_path.open("ab") as log:
            log.write(f"\n--- start {self.starts} ---\n".encode())
            log.flush()
            self.process = subprocess.Popen(
                [sys.executable, "-m", "liveshop.cli", "serve", "--port", str(self.port)],
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                pytest.fail(f"the server exited with {self.process.returncode}:\n{self.log_tail()}")
            try:
                if httpx.get(f"{self.base_url}/healthz", timeout=1).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.1)
        pytest.fail(f"the server did not answer /healthz within 30 s:\n{self.log_tail()}")

    def kill(self) -> None:
        """SIGKILL: no shutdown, no rollback, no flush; whatever was in flight dies."""
        assert self.process is not None
        os.kill(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)

    def log_text(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def log_tail(self, lines: int = 60) -> str:
        return "\n".join(self.log_text().splitlines()[-lines:])


@pytest.fixture
def crash_redis_url(tmp_path: Path) -> Iterator[str]:
    """A Redis of this test's own (the server's key names are fixed, and parallel runs
    of this file on one shared database would claim each other's units); the shared
    Redis, database 12, emptied, where no redis-server binary is installed."""
    require_service("Redis", REDIS_URL, 6379)
    binary = shutil.which("redis-server")
    if binary is None:
        url = f"{REDIS_URL}/{CRASH_REDIS_DB}"
        redis.Redis.from_url(url).flushdb()
        yield url
        redis.Redis.from_url(url).flushdb()
        return
    port = free_port()
    process = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        cwd=tmp_path,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"redis://127.0.0.1:{port}/0"
    client = redis.Redis.from_url(url)
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                client.ping()
                break
            except redis.ConnectionError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)
        yield url
    finally:
        client.close()
        process.terminate()
        process.wait(timeout=10)


@pytest.fixture
def make_server(home: Path, tmp_path: Path) -> Iterator[Callable[[str | None], ServerProcess]]:
    servers: list[ServerProcess] = []

    def make(redis_url: str | None) -> ServerProcess:
        server = ServerProcess(home=home, log_path=tmp_path / "server.log", redis_url=redis_url)
        servers.append(server)
        return server

    yield make
    for server in servers:
        server.stop()


# --- the crowd ---


@dataclass(frozen=True)
class Outcome:
    status: int | None  # None: no answer (the connection died with the server)
    code: str | None = None
    order_id: int | None = None


@dataclass
class Attempt:
    user_id: int
    token: str
    key: str
    outcomes: list[Outcome] = field(default_factory=list)

    @property
    def last(self) -> Outcome | None:
        return self.outcomes[-1] if self.outcomes else None


async def buy(client: httpx.AsyncClient, sale_id: int, attempt: Attempt) -> Outcome:
    try:
        response = await client.post(
            f"/api/flash-sales/{sale_id}/buy",
            json={"quantity": 1},
            headers={"Authorization": f"Bearer {attempt.token}", "Idempotency-Key": attempt.key},
        )
    except httpx.TransportError:
        return Outcome(None)
    try:
        body = response.json()
    except ValueError:  # a 500's plain text
        return Outcome(response.status_code, code=response.text[:80])
    if response.status_code in (200, 201):
        return Outcome(response.status_code, order_id=int(body["id"]))
    return Outcome(response.status_code, code=body.get("code"))


async def send_all(
    base_url: str,
    sale_id: int,
    queue: deque[Attempt],
    *,
    kill_after: int | None = None,
    kill: Callable[[], None] | None = None,
) -> int:
    """Send queued attempts, CONCURRENCY at a time; with ``kill_after``, call ``kill``
    once that many 201s came back and stop taking attempts from the queue.
    Returns the number of 201s seen before the kill (or in all)."""
    created = 0
    stopped = False

    async def worker(client: httpx.AsyncClient) -> None:
        nonlocal created, stopped
        while queue and not stopped:
            attempt = queue.popleft()
            outcome = await buy(client, sale_id, attempt)
            attempt.outcomes.append(outcome)
            if outcome.status == 201 and not stopped:
                created += 1
                if kill_after is not None and created >= kill_after:
                    assert kill is not None
                    stopped = True
                    kill()

    limits = httpx.Limits(max_connections=CONCURRENCY, max_keepalive_connections=CONCURRENCY)
    async with httpx.AsyncClient(base_url=base_url, timeout=30, limits=limits) as client:
        await asyncio.gather(*(worker(client) for _ in range(CONCURRENCY)))
    return created


def crowd(database_url: str, count: int, prefix: str) -> list[tuple[int, str]]:
    """``count`` viewers with a live token each, in one transaction."""
    ids = set(create_buyers(database_url, count, prefix=prefix))
    with unit_of_work(database_url) as session:
        users = session.scalars(select(User).where(User.id.in_(ids)).order_by(User.id)).all()
        return [(user.id, accounts.issue_token(session, user=user)) for user in users]


def open_sale(server: ServerProcess, shelf: Shelf) -> int:
    now = utcnow()
    response = httpx.post(
        f"{server.base_url}/api/flash-sales",
        headers=shelf.host.headers,
        json={
            "room_id": shelf.room_id,
            "sku_id": shelf.sku_id,
            "price": 9_900,
            "quantity": UNITS,
            "per_user_limit": PER_USER_LIMIT,
            "starts_at": (now - timedelta(seconds=1)).isoformat(),
            "ends_at": (now + timedelta(hours=1)).isoformat(),
        },
        timeout=30,
    )
    assert response.status_code == 201, response.text
    sale_id: int = response.json()["id"]
    return sale_id


def db_sold(database_url: str, sale_id: int) -> int:
    with unit_of_work(database_url) as session:
        return session.get_one(FlashSale, sale_id).sold


def unacknowledged(engine: RedisStockEngine) -> int:
    """Claims on the stream not yet read by the order writers, or read and not acknowledged."""
    groups = {group["name"]: group for group in engine.client.xinfo_groups(engine.stream)}
    group = groups[CLAIMS_GROUP.encode()]
    return int(group["pending"]) + int(group.get("lag") or 0)


def diagnosis(engine: RedisStockEngine, run: CrashRun, server: ServerProcess) -> str:
    """What to look at when recovery did not catch up."""
    answers = Counter(
        (attempt.last.status, attempt.last.code) for attempt in run.attempts if attempt.last
    )
    return "\n".join(
        [
            f"answers: {dict(answers)}",
            f"stream length: {engine.client.xlen(engine.stream)}",
            f"groups: {engine.client.xinfo_groups(engine.stream)}",
            f"kill: {run.created_before_kill} created, {run.sold_at_kill} sold, "
            f"{run.in_flight_at_kill} in flight",
            server.log_tail(),
        ]
    )


def redis_remaining(engine: RedisStockEngine, sale_id: int) -> int:
    return int(engine.client.get(engine.keys(sale_id)[0]) or 0)


# --- the scenario ---


@dataclass
class CrashRun:
    sale_id: int
    attempts: list[Attempt]
    created_before_kill: int
    sold_at_kill: int
    in_flight_at_kill: int


def sell_through_a_kill(
    server: ServerProcess,
    shelf: Shelf,
    database_url: str,
    *,
    while_down: Callable[[int], None] | None = None,
    extra_attempts: Callable[[int], list[Attempt]] | None = None,
) -> CrashRun:
    buyers = crowd(database_url, BUYERS, prefix="crowd")
    server.start()
    sale_id = open_sale(server, shelf)
    attempts = [
        Attempt(user_id, token, f"tap-{user_id}-{tap}-{random.getrandbits(32):08x}")
        for user_id, token in buyers
        for tap in range(ATTEMPTS_PER_BUYER)
    ]
    random.Random(20260).shuffle(attempts)
    queue = deque(attempts)

    created = asyncio.run(
        send_all(server.base_url, sale_id, queue, kill_after=KILL_AFTER, kill=server.kill)
    )
    assert server.process is not None
    assert server.process.returncode == -signal.SIGKILL
    in_flight = [
        attempt for attempt in attempts if attempt.outcomes and attempt.last == Outcome(None)
    ]
    sold_at_kill = db_sold(database_url, sale_id)
    # The kill really was mid-sale, with requests in flight.
    assert created == KILL_AFTER
    assert KILL_AFTER <= sold_at_kill < UNITS
    assert in_flight, "no request was in flight when the server was killed"
    assert queue, "every attempt was sent before the kill"
    if while_down is not None:
        while_down(sale_id)
    extra = extra_attempts(sale_id) if extra_attempts is not None else []

    server.start()
    # Clients retry what got no answer, with the same key, then send the rest.
    retry = deque([*in_flight, *extra, *queue])
    asyncio.run(send_all(server.base_url, sale_id, retry))
    return CrashRun(sale_id, [*attempts, *extra], created, sold_at_kill, len(in_flight))


def unresolved(outcome: Outcome) -> bool:
    """No answer, or "claimed, its order is not written yet"."""
    return outcome.status is None or outcome.code == "attempt_in_progress"


def check_no_lost_order_no_leaked_unit(database_url: str, run: CrashRun) -> list[Attempt]:
    """The invariants after the sale. Returns the attempts that have an order in the
    database although their client was never given it (201 or 200): a client that got
    no answer, or "in progress", and then, on its retry, something else."""
    sale_id = run.sale_id
    for attempt in run.attempts:
        assert attempt.last is not None, f"attempt {attempt.key} was never sent"
        assert (attempt.last.status, attempt.last.code) in {
            (201, None),
            (200, None),
            (409, "sold_out"),
            (429, "purchase_limit"),
        }, (attempt.key, attempt.outcomes)
    with unit_of_work(database_url) as session:
        sale = session.get_one(FlashSale, sale_id)
        orders = list(session.scalars(select(Order).where(Order.flash_sale_id == sale_id)))
        units = session.scalar(
            select(func.coalesce(func.sum(OrderItem.quantity), 0))
            .join(Order, Order.id == OrderItem.order_id)
            .where(Order.flash_sale_id == sale_id)
        )
        admissions = session.scalar(
            select(func.count()).where(FlashSaleAdmission.sale_id == sale_id)
        )
    by_attempt = {(order.buyer_id, order.idempotency_key): order.id for order in orders}
    assert len(by_attempt) == len(orders)

    unanswered: list[Attempt] = []
    seen: set[int] = set()
    for attempt in run.attempts:
        in_db = by_attempt.get((attempt.user_id, f"flash-{sale_id}-{attempt.key}"))
        given = {outcome.order_id for outcome in attempt.outcomes if outcome.order_id is not None}
        if given:
            # No lost order: the order a client was given (201, or 200 on a retry) is
            # in the database, is the buyer's, and one attempt never got two orders.
            assert given == {in_db}, (attempt.key, attempt.outcomes, in_db)
        elif in_db is not None:
            # An order nobody was told about: only where an answer was missing.
            assert any(unresolved(outcome) for outcome in attempt.outcomes), (
                attempt.key,
                attempt.outcomes,
            )
            unanswered.append(attempt)
        if in_db is not None:
            seen.add(in_db)
    # No order the crowd did not ask for.
    assert seen == {order.id for order in orders}
    # No leaked unit: the counter is exactly the units of the orders, and the sale sold out.
    assert units == len(orders) == admissions
    assert sale.sold == units
    assert sale.sold == UNITS  # sold <= quantity, and the restart did not strand any unit
    per_buyer = Counter(order.buyer_id for order in orders)
    assert max(per_buyer.values()) <= PER_USER_LIMIT
    return unanswered


def check_shown_counts(server: ServerProcess, sale_id: int) -> None:
    shown = httpx.get(f"{server.base_url}/api/flash-sales/{sale_id}", timeout=10).json()
    assert shown["quantity"] == UNITS
    assert (shown["sold"], shown["remaining"]) == (UNITS, 0)
    assert shown["sold"] + shown["remaining"] == shown["quantity"]


# --- the tests ---


def test_sql_engine_survives_kill_9_mid_sale(
    database_url: str,
    shelf: Shelf,
    make_server: Callable[[str | None], ServerProcess],
) -> None:
    server = make_server(None)
    run = sell_through_a_kill(server, shelf, database_url)

    # The retries of what was in flight ran before the sale sold out, so every order
    # was given to its client.
    assert check_no_lost_order_no_leaked_unit(database_url, run) == []
    check_shown_counts(server, run.sale_id)
    with unit_of_work(database_url) as session:
        assert session.execute(text("PRAGMA integrity_check")).scalar() == "ok"
    assert "Traceback" not in server.log_text(), server.log_tail()


@pytest.mark.redis
def test_redis_engine_recovers_claims_of_requests_killed_mid_sale(
    crash_redis_url: str,
    database_url: str,
    shelf: Shelf,
    make_server: Callable[[str | None], ServerProcess],
) -> None:
    redis_url = crash_redis_url
    engine = RedisStockEngine(redis_url)  # the server's names (default namespace)
    server = make_server(redis_url)
    orphan_buyers = crowd(database_url, 2, prefix="orphan")
    orphans_at_kill: list[int] = []
    made_orphans: list[Attempt] = []

    def while_down(sale_id: int) -> None:
        claimed = UNITS - redis_remaining(engine, sale_id)
        orphans_at_kill.append(claimed - db_sold(database_url, sale_id))
        # What a request leaves when it dies between its claim and its commit.
        for user_id, token in orphan_buyers:
            attempt = Attempt(user_id, token, f"orphan-{user_id}-tap")
            code, _remaining, entry = engine.client.eval(
                CLAIM_SCRIPT,
                4,
                *engine.keys(sale_id),
                engine.stream,
                user_id,
                1,
                PER_USER_LIMIT,
                attempt.key,
                sale_id,
            )
            assert code == 0
            assert entry
            made_orphans.append(attempt)

    def extra_attempts(_sale_id: int) -> list[Attempt]:
        # The orphan buyers tap again with their old key (a retry) and with a new one.
        # (Their first request "died with the server": no answer.)
        retries = [Attempt(a.user_id, a.token, a.key, [Outcome(None)]) for a in made_orphans]
        new_taps = [Attempt(a.user_id, a.token, f"{a.key}-again") for a in made_orphans]
        return [*retries, *new_taps]

    try:
        run = sell_through_a_kill(
            server, shelf, database_url, while_down=while_down, extra_attempts=extra_attempts
        )
        sale_id = run.sale_id
        orphans = orphans_at_kill[0] + len(made_orphans)
        assert orphans_at_kill[0] >= 0

        # Redis is sold out; the database lags by the orphans until recovery writes them.
        assert redis_remaining(engine, sale_id) == 0
        deadline = time.monotonic() + RECOVERY_WAIT_SECONDS
        while db_sold(database_url, sale_id) < UNITS and time.monotonic() < deadline:
            time.sleep(0.25)
        assert db_sold(database_url, sale_id) == UNITS, diagnosis(engine, run, server)
        assert redis_remaining(engine, sale_id) + db_sold(database_url, sale_id) == UNITS

        # Every attempt that got no answer or "in progress", and no order yet, retries
        # once more: now each finds its order (200), or, if it never claimed a unit, is
        # refused. (Before recovery, a claimed attempt's retry can be told "sold_out":
        # the bug pinned by test_a_retry_of_a_claimed_attempt_is_in_progress_not_sold_out.)
        pending = [
            attempt
            for attempt in run.attempts
            if any(unresolved(outcome) for outcome in attempt.outcomes)
            and not any(outcome.order_id for outcome in attempt.outcomes)
        ]
        asyncio.run(send_all(server.base_url, sale_id, deque(pending)))
        for attempt in pending:
            assert attempt.last is not None
            assert (attempt.last.status, attempt.last.code) in {
                (200, None),
                (409, "sold_out"),
                (429, "purchase_limit"),
            }, attempt.outcomes
        # The orphans made while the server was down got their orders, written by recovery.
        orphan_retries = [a for a in run.attempts if a.key in {m.key for m in made_orphans}]
        assert len(orphan_retries) == len(made_orphans)
        for attempt in orphan_retries:
            assert attempt.last is not None
            assert attempt.last.status == 200, attempt.outcomes
        # Each orphan buyer holds the orphan's unit: a new tap gets nothing (429, or
        # "sold_out", which the claim script checks first, once the sale sold out).
        new_taps = [
            a for a in run.attempts if a.key.startswith("orphan-") and a.key.endswith("-again")
        ]
        assert len(new_taps) == len(made_orphans)
        for attempt in new_taps:
            assert attempt.last is not None
            assert (attempt.last.status, attempt.last.code) in {
                (429, "purchase_limit"),
                (409, "sold_out"),
            }, attempt.outcomes

        # And now every order in the database was given to its client.
        assert check_no_lost_order_no_leaked_unit(database_url, run) == []
        check_shown_counts(server, sale_id)
        # Every claim on the stream is acknowledged once its order exists (claims whose
        # request acknowledged them before the job read them are checked after the grace).
        deadline = time.monotonic() + RECOVERY_WAIT_SECONDS
        while time.monotonic() < deadline and unacknowledged(engine):
            time.sleep(0.25)
        assert unacknowledged(engine) == 0
        # The recovery job wrote exactly the orphans' orders, and nothing else.
        assert server.log_text().count(ORPHAN_LOG_LINE) == orphans
    finally:
        engine.client.close()


def test_a_retry_after_the_sale_sold_out_gets_its_order(
    database_url: str, shelf: Shelf, stock_engine: StockEngine
) -> None:
    sale_id = start_sale(database_url, shelf, stock_engine, quantity=1, per_user_limit=1)
    (buyer,) = create_buyers(database_url, 1)

    def tap() -> tuple[int, bool]:
        with unit_of_work(database_url) as session:
            order, created = buy_flash_sale(
                session,
                buyer=session.get_one(User, buyer),
                sale_id=sale_id,
                quantity=1,
                attempt_key="response-lost-with-the-server",
                engine=stock_engine,
                payment_minutes=5,
            )
            return order.id, created

    order_id, created = tap()  # the last unit: the sale is now sold out
    assert created
    assert tap() == (order_id, False)  # the retry of the same attempt: the same order


@pytest.mark.redis
def test_a_retry_of_a_claimed_attempt_is_in_progress_not_sold_out(
    crash_redis_url: str, database_url: str, shelf: Shelf
) -> None:
    flash_sales.forget_cached_sales()
    engine = RedisStockEngine(crash_redis_url)
    try:
        sale_id = start_sale(database_url, shelf, engine, quantity=2, per_user_limit=1)
        orphan, other = create_buyers(database_url, 2)
        # The orphan's request claimed a unit and died before its commit.
        code, _remaining, _entry = engine.client.eval(
            CLAIM_SCRIPT,
            4,
            *engine.keys(sale_id),
            engine.stream,
            orphan,
            1,
            1,
            "died-after-its-claim",
            sale_id,
        )
        assert code == 0
        with unit_of_work(database_url) as session:  # someone else takes the last unit
            buy_flash_sale(
                session,
                buyer=session.get_one(User, other),
                sale_id=sale_id,
                quantity=1,
                attempt_key="the-last-unit",
                engine=engine,
                payment_minutes=5,
            )
        assert engine.known_sold_out(sale_id)
        with (
            pytest.raises(AttemptInProgress),
            unit_of_work(database_url) as session,
        ):  # the orphan's client retries its attempt
            buy_flash_sale(
                session,
                buyer=session.get_one(User, orphan),
                sale_id=sale_id,
                quantity=1,
                attempt_key="died-after-its-claim",
                engine=engine,
                payment_minutes=5,
            )
    finally:
        engine.client.close()

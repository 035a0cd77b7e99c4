"""Flash-sale benchmark: stock engines side by side through HTTP, with a correctness checker.

Run by hand (not a test); prints one JSON document on stdout, progress on stderr::

    /tmp/venv/bin/python benchmarks/flash_sale.py                  # every engine, twice
    /tmp/venv/bin/python benchmarks/flash_sale.py --engines redis,naive --connections 32
    /tmp/venv/bin/python benchmarks/flash_sale.py --gates all     # + the kill -9 gates
    /tmp/venv/bin/python benchmarks/flash_sale.py --quick          # 1,000 users, 100 units
    /tmp/venv/bin/python benchmarks/flash_sale.py --ceiling        # + GET /healthz per server
    /tmp/venv/bin/python benchmarks/flash_sale.py --py-spy /tmp/prof  # + server profiles

The scenario: a sale of 300 units (one per buyer), 5,000 buyers released at
once, each tapping "buy" 1 to 3 times (random; every tap has its own
Idempotency-Key). Each engine runs once per ``--connections`` value: ``0``,
one connection per buyer, all 5,000 requests in the server at once; ``32``, a
reverse proxy's upstream pool in front of the worker (buyers queue in the
client; ``user_wait_ms`` counts that queue, ``latency_ms`` only the request).
In the gates a tap that gets no answer, a 5xx or "in progress" is retried with
its key for up to 45 s, as a careful client would; elsewhere it is not.

Engines, each on a fresh database:

* ``sqlite``: LiveShop's default, conditional UPDATEs on SQLite;
* ``postgres``: the same conditional UPDATEs on PostgreSQL;
* ``postgres-for-update``: ``SELECT ... FOR UPDATE`` then ``UPDATE`` (a
  StockEngine defined here, not in LiveShop);
* ``redis``: LiveShop's Redis engine (Lua script + stream), orders on PostgreSQL;
* ``naive``: what peer shops often write, ``SELECT sold`` then
  ``UPDATE ... SET sold = <read + 1>`` on PostgreSQL; it must oversell, which
  proves the checker sees an oversell;
* ``redis-sqlite`` (not run by default): the Redis engine with orders on SQLite.

The two engines not in LiveShop run in LiveShop's own app
(``liveshop.app.create_app``) with ``get_stock_engine`` overridden, started by
this script's ``_serve`` command; the others run ``python -m liveshop.cli
serve``. Three processes: the server (one worker, pinned to CPU 0), the load
generator (asyncio + uvloop + aiohttp, pinned to CPU 1) and this orchestrator,
which seeds users, starts and kills servers and runs the checker on the
database after every run. PostgreSQL and Redis are not pinned.

The checker: ``units_sold`` (units in the sale's orders), ``oversold`` (units
beyond the quantity), ``duplicate_orders`` (units beyond a buyer's limit, plus
attempts answered with two different orders), ``lost_orders`` (a 201 or 200
whose order is not in the database, or not the buyer's), ``leaked_units``
(claimed units, by the engine's counter, without an order), and
``orders_without_answer`` (orders whose client never got them: only possible
when a request died).

Gates (``--gates``): ``server-redis`` and ``server-sqlite`` SIGKILL the server
once 30 % of the units are sold and start it again; ``redis-aof`` SIGKILLs a
Redis started here with ``--appendonly yes --appendfsync everysec`` and starts
it again on its AOF. Clients retry through the outage; the checker runs once
claims recovery (10 s grace) had its chance.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import math
import os
import random
import resource
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

HOST = "127.0.0.1"
POSTGRES_URL = os.environ.get(
    "LIVESHOP_BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test"
)
SECRET_KEY = "flash-sale-benchmark-secret-key-0123456789"
SERVER_CPU = 0
LOADGEN_CPU = 1
BUY_BODY = b'{"quantity": 1}'


def log(message: str) -> None:
    print(f"[flash {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def percentile(sorted_values: list[float], share: float) -> float | None:
    if not sorted_values:
        return None
    index = min(len(sorted_values) - 1, max(0, math.ceil(share * len(sorted_values)) - 1))
    return sorted_values[index]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        port: int = probe.getsockname()[1]
        return port


def raise_nofile(limit: int = 65_536) -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    try:
        resource.setrlimit(resource.RLIMIT_NOFILE, (limit, max(limit, hard)))
    except (ValueError, OSError):
        resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, hard), hard))


def pin_to(cpu: int) -> None:
    with contextlib.suppress(OSError, AttributeError):
        os.sched_setaffinity(0, {cpu})


# --------------------------------------------------------------------------- engines not in src


def variant_engine(name: str) -> Any:
    """A StockEngine (liveshop.promotions.stock_engines.StockEngine protocol) by name."""
    from sqlalchemy import select, update
    from sqlalchemy.dialects import postgresql
    from sqlalchemy.orm import Session

    from liveshop.promotions.models import FlashSale, FlashSaleBuyer
    from liveshop.promotions.stock_engines import Claim, ClaimOutcome

    def ensure_buyer_row(session: Session, sale_id: int, user_id: int) -> None:
        session.execute(
            postgresql.insert(FlashSaleBuyer)
            .values(sale_id=sale_id, user_id=user_id, bought=0)
            .on_conflict_do_nothing()
        )

    class ForUpdateStockEngine:
        """Lock the sale's row and the buyer's row, check, then write (correct, pessimistic)."""

        name = "sql-for-update"

        def __init__(self) -> None:
            self._sold_out: set[int] = set()  # the same sold-out memo as LiveShop's SQL engine

        def known_sold_out(self, sale_id: int) -> bool:
            return sale_id in self._sold_out

        def was_claimed(self, sale_id: int, user_id: int, attempt_key: str) -> bool:
            return False  # like LiveShop's SQL engine: a claim commits with its order

        def set_up(self, sale: FlashSale) -> None:
            return None

        def claim(
            self,
            session: Session,
            *,
            sale: FlashSale,
            user_id: int,
            quantity: int,
            attempt_key: str,
        ) -> Claim:
            # The sale's row first: inserting the buyer's row takes a KEY SHARE lock on it
            # (foreign key), and two transactions holding that and both asking FOR UPDATE
            # deadlock (measured: PostgreSQL aborts one every time).
            row = session.execute(
                select(FlashSale.sold, FlashSale.quantity)
                .where(FlashSale.id == sale.id)
                .with_for_update()
            ).one()
            if row.sold + quantity > row.quantity:
                self._sold_out.add(sale.id)
                return Claim(ClaimOutcome.SOLD_OUT, remaining=0)
            ensure_buyer_row(session, sale.id, user_id)
            bought = session.execute(
                select(FlashSaleBuyer.bought)
                .where(FlashSaleBuyer.sale_id == sale.id, FlashSaleBuyer.user_id == user_id)
                .with_for_update()
            ).scalar_one()
            if bought + quantity > sale.per_user_limit:
                return Claim(ClaimOutcome.OVER_LIMIT, remaining=-1)
            session.execute(
                update(FlashSale)
                .where(FlashSale.id == sale.id)
                .values(sold=row.sold + quantity)
                .execution_options(synchronize_session=False)
            )
            session.execute(
                update(FlashSaleBuyer)
                .where(FlashSaleBuyer.sale_id == sale.id, FlashSaleBuyer.user_id == user_id)
                .values(bought=bought + quantity)
            )
            remaining = row.quantity - row.sold - quantity
            if remaining == 0:
                self._sold_out.add(sale.id)
            return Claim(ClaimOutcome.CLAIMED, remaining=remaining)

        def release(self, session: Session, *, sale_id: int, user_id: int, quantity: int) -> None:
            session.execute(
                update(FlashSale)
                .where(FlashSale.id == sale_id)
                .values(sold=FlashSale.sold - quantity)
            )
            session.execute(
                update(FlashSaleBuyer)
                .where(FlashSaleBuyer.sale_id == sale_id, FlashSaleBuyer.user_id == user_id)
                .values(bought=FlashSaleBuyer.bought - quantity)
            )
            self._sold_out.discard(sale_id)

        def remaining(self, session: Session, *, sale: FlashSale) -> int:
            return sale.quantity - sale.sold

    class ReadThenWriteStockEngine:
        """The peer: read the counters, check in Python, write the values back. Oversells."""

        name = "naive-read-then-write"

        def known_sold_out(self, sale_id: int) -> bool:
            return False

        def was_claimed(self, sale_id: int, user_id: int, attempt_key: str) -> bool:
            return False

        def set_up(self, sale: FlashSale) -> None:
            return None

        def claim(
            self,
            session: Session,
            *,
            sale: FlashSale,
            user_id: int,
            quantity: int,
            attempt_key: str,
        ) -> Claim:
            sold = session.execute(
                select(FlashSale.sold).where(FlashSale.id == sale.id)
            ).scalar_one()
            if sold + quantity > sale.quantity:
                return Claim(ClaimOutcome.SOLD_OUT, remaining=0)
            bought = session.execute(
                select(FlashSaleBuyer.bought).where(
                    FlashSaleBuyer.sale_id == sale.id, FlashSaleBuyer.user_id == user_id
                )
            ).scalar_one_or_none()
            if (bought or 0) + quantity > sale.per_user_limit:
                return Claim(ClaimOutcome.OVER_LIMIT, remaining=-1)
            session.execute(
                update(FlashSale)
                .where(FlashSale.id == sale.id)
                .values(sold=sold + quantity)
                .execution_options(synchronize_session=False)
            )
            statement = postgresql.insert(FlashSaleBuyer).values(
                sale_id=sale.id, user_id=user_id, bought=(bought or 0) + quantity
            )
            session.execute(
                statement.on_conflict_do_update(
                    index_elements=[FlashSaleBuyer.sale_id, FlashSaleBuyer.user_id],
                    set_={"bought": statement.excluded.bought},
                )
            )
            return Claim(ClaimOutcome.CLAIMED, remaining=sale.quantity - sold - quantity)

        def release(self, session: Session, *, sale_id: int, user_id: int, quantity: int) -> None:
            session.execute(
                update(FlashSale)
                .where(FlashSale.id == sale_id)
                .values(sold=FlashSale.sold - quantity)
            )

        def remaining(self, session: Session, *, sale: FlashSale) -> int:
            return sale.quantity - sale.sold

    engines: dict[str, Callable[[], Any]] = {
        "for-update": ForUpdateStockEngine,
        "naive": ReadThenWriteStockEngine,
    }
    return engines[name]()


def serve_variant(engine_name: str, port: int) -> None:
    """LiveShop's app, as ``liveshop serve`` runs it, with another stock engine."""
    import uvicorn

    from liveshop.app import create_app
    from liveshop.cli import WEBSOCKET_IMPLEMENTATION
    from liveshop.core.migrations import upgrade_database
    from liveshop.core.settings import get_settings
    from liveshop.promotions.dependencies import get_stock_engine

    settings = get_settings()
    upgrade_database(settings.resolved_database_url())
    engine = variant_engine(engine_name)
    app = create_app(settings)
    app.dependency_overrides[get_stock_engine] = lambda: engine
    uvicorn.run(app, host=HOST, port=port, ws=WEBSOCKET_IMPLEMENTATION, log_level="warning")


# --------------------------------------------------------------------------- load generator


@dataclass
class LoadConfig:
    port: int
    sale_id: int
    users: list[tuple[int, str, int]]  # user id, token, taps
    connections: int
    records_path: str
    kill_after: int | None = None  # print a "kill" event once this many 201s came back
    retry_seconds: float = 0.0  # how long a tap keeps retrying (no answer, 5xx, in progress)
    request_timeout: float = 30.0
    deadline: float = 240.0  # users still tapping after this are cancelled (and reported)
    cpu: int = LOADGEN_CPU


@dataclass
class TapRecord:
    user_id: int
    key: str
    status: int | None
    code: str | None
    order_id: int | None
    latency_ms: float  # of the last try
    tries: int
    seen: list[str] = field(default_factory=list)  # every answer, when there was more than one
    order_ids: list[int] = field(default_factory=list)  # every order id any try was given


def _answer(status: int, body: bytes) -> tuple[str | None, int | None]:
    try:
        document = json.loads(body)
    except ValueError:
        return "not_json", None
    if status in (200, 201):
        return None, int(document["id"])
    return (document.get("code") if isinstance(document, dict) else None), None


async def run_load(config: LoadConfig) -> tuple[dict[str, Any], list[TapRecord]]:
    import aiohttp

    loop = asyncio.get_running_loop()
    records: list[TapRecord] = []
    latencies: list[float] = []
    created = 0
    kill_sent = False
    last_answer = 0.0
    gate = asyncio.Event()
    url = f"http://{HOST}:{config.port}/api/flash-sales/{config.sale_id}/buy"
    # Bounded connections model a proxy's upstream pool: taps queue on the client side
    # (counted in user_wait_ms, not in latency_ms, and not against the request timeout).
    connections = config.connections or len(config.users)
    upstream = asyncio.Semaphore(connections)
    waits: list[float] = []
    connector = aiohttp.TCPConnector(
        limit=connections, limit_per_host=0, keepalive_timeout=300, force_close=False
    )
    timeout = aiohttp.ClientTimeout(total=config.request_timeout)

    async def tap(session: aiohttp.ClientSession, user_id: int, token: str, number: int) -> None:
        nonlocal created, kill_sent, last_answer
        key = f"u{user_id}-tap{number}-{secrets.token_hex(6)}"
        headers = {
            "Authorization": f"Bearer {token}",
            "Idempotency-Key": key,
            "Content-Type": "application/json",
        }
        first = loop.time()
        tries = 0
        seen: list[str] = []
        order_ids: list[int] = []
        while True:
            tries += 1
            status: int | None
            async with upstream:
                started = loop.time()
                try:
                    async with session.post(url, data=BUY_BODY, headers=headers) as response:
                        status = response.status
                        body = await response.read()
                    code, order_id = _answer(status, body)
                except (aiohttp.ClientError, TimeoutError, OSError) as error:
                    status, code, order_id = None, type(error).__name__, None
                last_answer = loop.time()
            latency = (last_answer - started) * 1000
            latencies.append(latency)
            if order_id is not None:
                order_ids.append(order_id)
            seen.append(f"{status}:{code}" if code else str(status))
            retry = status is None or status >= 500 or code == "attempt_in_progress"
            if retry and loop.time() - first < config.retry_seconds:
                await asyncio.sleep(0.3 + random.random() * 0.4)
                continue
            break
        waits.append((last_answer - first) * 1000)
        if status == 201:
            created += 1
            if config.kill_after is not None and created >= config.kill_after and not kill_sent:
                kill_sent = True
                print(json.dumps({"event": "kill", "created": created}), flush=True)
        records.append(
            TapRecord(
                user_id,
                key,
                status,
                code,
                order_id,
                latency,
                tries,
                seen if tries > 1 else [],
                order_ids,
            )
        )

    async def user(session: aiohttp.ClientSession, user_id: int, token: str, taps: int) -> None:
        await gate.wait()
        for number in range(taps):
            await tap(session, user_id, token, number)

    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:
        tasks = [
            asyncio.create_task(user(session, user_id, token, taps))
            for user_id, token, taps in config.users
        ]
        await asyncio.sleep(0.5)  # every user waits at the gate
        cpu_before = time.process_time()
        released = loop.time()
        gate.set()
        _done, unfinished = await asyncio.wait(tasks, timeout=config.deadline)
        for task in unfinished:
            task.cancel()
        await asyncio.gather(*unfinished, return_exceptions=True)
        wall = min(loop.time(), last_answer or loop.time()) - released
        cpu = time.process_time() - cpu_before

    latencies.sort()
    waits.sort()
    statuses = Counter(
        f"{record.status}:{record.code}" if record.code else str(record.status)
        for record in records
    )
    return {
        "attempts": len(records),
        "requests": len(latencies),
        "wall_s": round(wall, 3),
        "attempts_per_s": round(len(records) / wall, 1),
        "latency_ms": {
            "p50": round(percentile(latencies, 0.50) or 0, 2),
            "p99": round(percentile(latencies, 0.99) or 0, 2),
            "max": round(latencies[-1], 2) if latencies else None,
        },
        "user_wait_ms": {
            "p50": round(percentile(waits, 0.50) or 0, 2),
            "p99": round(percentile(waits, 0.99) or 0, 2),
        },
        "connections": connections,
        "answers": dict(sorted(statuses.items())),
        "retried_attempts": sum(1 for record in records if record.tries > 1),
        "users_cut_off": len(unfinished),
        "loadgen_cpu_percent": round(100 * cpu / wall, 1),
        "loadgen_cpu_ms_per_request": round(1000 * cpu / max(len(latencies), 1), 3),
    }, records


async def run_ceiling(port: int, path: str, requests: int, connections: int) -> dict[str, Any]:
    """The HTTP stack's ceiling on this machine: a GET with no database behind it."""
    import aiohttp

    loop = asyncio.get_running_loop()
    latencies: list[float] = []
    gate = asyncio.Semaphore(connections)
    connector = aiohttp.TCPConnector(limit=connections, limit_per_host=0)
    async with aiohttp.ClientSession(connector=connector) as session:

        async def one() -> None:
            async with gate:
                started = loop.time()
                async with session.get(f"http://{HOST}:{port}{path}") as response:
                    await response.read()
                latencies.append((loop.time() - started) * 1000)

        began = loop.time()
        await asyncio.gather(*(one() for _ in range(requests)))
        wall = loop.time() - began
    latencies.sort()
    return {
        "path": path,
        "connections": connections,
        "requests_per_s": round(requests / wall, 1),
        "latency_ms": {
            "p50": round(percentile(latencies, 0.5) or 0, 2),
            "p99": round(percentile(latencies, 0.99) or 0, 2),
        },
    }


def ceiling_main() -> None:
    raw = json.loads(sys.stdin.read())
    pin_to(LOADGEN_CPU)
    import uvloop

    print(json.dumps(uvloop.run(run_ceiling(**raw))), flush=True)


def loadgen_main() -> None:
    raw = json.loads(sys.stdin.read())
    config = LoadConfig(**{**raw, "users": [tuple(user) for user in raw["users"]]})
    pin_to(config.cpu)
    raise_nofile()
    import uvloop

    summary, records = uvloop.run(run_load(config))
    Path(config.records_path).write_text(json.dumps([asdict(record) for record in records]))
    print(json.dumps({"event": "done", "summary": summary}), flush=True)


# --------------------------------------------------------------------------- processes


class RedisServer:
    """A redis-server of our own, with AOF (``appendfsync everysec``), killable."""

    def __init__(self, directory: Path, port: int) -> None:
        self.directory = directory
        self.port = port
        self.url = f"redis://{HOST}:{port}/0"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        self.process = subprocess.Popen(
            [
                "redis-server",
                "--port",
                str(self.port),
                "--bind",
                HOST,
                "--appendonly",
                "yes",
                "--appendfsync",
                "everysec",
                "--save",
                "",
                "--dir",
                str(self.directory),
            ],
            stdout=(self.directory / "redis.log").open("ab"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        import redis

        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if redis.Redis.from_url(self.url).ping():
                    return
            except redis.RedisError:
                time.sleep(0.05)
        raise RuntimeError("redis-server did not start")

    def kill(self) -> None:
        assert self.process is not None
        os.kill(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)


class ServerProcess:
    """The server under test, one worker pinned to CPU 0, restartable on its port."""

    def __init__(self, command: list[str], env: dict[str, str], log_path: Path) -> None:
        self.port = free_port()
        self.command = [*command, "--port", str(self.port)]
        self.env = env
        self.log_path = log_path
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def base_url(self) -> str:
        return f"http://{HOST}:{self.port}"

    def start(self) -> None:
        import httpx

        with self.log_path.open("ab") as handle:
            self.process = subprocess.Popen(
                self.command,
                env=self.env,
                stdout=handle,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                preexec_fn=lambda: (pin_to(SERVER_CPU), raise_nofile()),
            )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"server exited:\n{self.log_tail()}")
            try:
                if httpx.get(f"{self.base_url}/healthz", timeout=1).status_code == 200:
                    return
            except httpx.TransportError:
                time.sleep(0.1)
        raise RuntimeError(f"server did not start:\n{self.log_tail()}")

    def kill(self) -> None:
        assert self.process is not None
        os.kill(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> str:
        """SIGTERM (uvicorn finishes what is in flight), SIGKILL after 15 s."""
        if self.process is None or self.process.poll() is not None:
            return "not running"
        self.process.terminate()
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)
            return "killed after 15 s (still busy)"
        return "stopped"

    def log_tail(self, lines: int = 40) -> str:
        text = self.log_path.read_text(errors="replace") if self.log_path.exists() else ""
        return "\n".join(text.splitlines()[-lines:])


# --------------------------------------------------------------------------- orchestrator


@dataclass(frozen=True)
class EngineSpec:
    key: str
    label: str
    database: str  # "sqlite" or "postgres"
    redis: bool = False
    variant: str | None = None  # an engine of variant_engine(), served by _serve


ENGINES = {
    spec.key: spec
    for spec in (
        EngineSpec("sqlite", "SQLite conditional UPDATE (LiveShop default)", "sqlite"),
        EngineSpec("postgres", "PostgreSQL conditional UPDATE (LiveShop)", "postgres"),
        EngineSpec(
            "postgres-for-update",
            "PostgreSQL SELECT ... FOR UPDATE (variant)",
            "postgres",
            variant="for-update",
        ),
        EngineSpec(
            "redis", "Redis Lua + stream, orders on PostgreSQL (LiveShop)", "postgres", True
        ),
        EngineSpec("naive", "read-then-write on PostgreSQL (peer)", "postgres", variant="naive"),
        EngineSpec(
            "redis-sqlite", "Redis Lua + stream, orders on SQLite (LiveShop)", "sqlite", True
        ),
    )
}
DEFAULT_ENGINES = "sqlite,postgres,postgres-for-update,redis,naive"
GATES = {
    "server-redis": ("server", "redis"),
    "server-sqlite": ("server", "sqlite"),
    "redis-aof": ("redis", "redis"),
}


@dataclass
class Scenario:
    users: int
    units: int
    per_user_limit: int
    max_taps: int
    connections: list[int]  # each engine runs once per entry; 0 is one connection per user
    gate_connections: int
    seed: int


@dataclass
class Seeded:
    host_token: str
    room_id: int
    sku_id: int
    buyers: list[tuple[int, str]]


class Bench:
    def __init__(self, args: argparse.Namespace, workdir: Path) -> None:
        self.args = args
        self.workdir = workdir
        self.scenario = Scenario(
            users=args.users,
            units=args.units,
            per_user_limit=args.per_user_limit,
            max_taps=args.max_taps,
            connections=[int(value) for value in str(args.connections).split(",")],
            gate_connections=args.gate_connections,
            seed=args.seed,
        )
        self.redis: RedisServer | None = None
        self.redis_url: str | None = args.redis_url
        self.counter = 0

    # --- databases

    def fresh_database(self, spec: EngineSpec, home: Path) -> tuple[str | None, str, str | None]:
        """(LIVESHOP_DATABASE_URL or None, SQLAlchemy URL, PostgreSQL schema or None)."""
        from liveshop.core.settings import Settings

        if spec.database == "sqlite":
            settings = Settings(home=home, database_url=None)
            return None, settings.resolved_database_url(), None
        from sqlalchemy import create_engine, text

        self.counter += 1
        schema = f"bench_flash_{os.getpid()}_{self.counter}"
        admin = create_engine(Settings(database_url=POSTGRES_URL).resolved_database_url())
        with admin.begin() as connection:
            connection.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
            connection.execute(text(f"CREATE SCHEMA {schema}"))
        admin.dispose()
        separator = "&" if "?" in POSTGRES_URL else "?"
        url = f"{POSTGRES_URL}{separator}options=-csearch_path%3D{schema}"
        return url, Settings(database_url=url).resolved_database_url(), schema

    def drop_schema(self, schema: str | None) -> None:
        if schema is None or self.args.keep:
            return
        from sqlalchemy import create_engine, text

        from liveshop.core.settings import Settings

        admin = create_engine(Settings(database_url=POSTGRES_URL).resolved_database_url())
        with admin.begin() as connection:
            connection.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
        admin.dispose()

    def seed(self, database_url: str) -> Seeded:
        """A merchant's product, a host's live room, and the crowd with a token each."""
        from sqlalchemy import insert, select

        from liveshop.accounts import service as accounts
        from liveshop.accounts.models import Role, User
        from liveshop.catalog import service as catalog
        from liveshop.catalog import staff
        from liveshop.catalog.schemas import ProductIn
        from liveshop.core.db import unit_of_work
        from liveshop.core.migrations import upgrade_database
        from liveshop.core.security import hash_password
        from liveshop.live import service as live
        from liveshop.wiring import connect_domains

        connect_domains()  # product copy is checked when saved, as in the app
        upgrade_database(database_url)
        with unit_of_work(database_url) as session:
            merchant = accounts.create_user(
                session, username="bench_merchant", password=SECRET_KEY, role=Role.MERCHANT
            )
            host = accounts.create_user(
                session, username="bench_host", password=SECRET_KEY, role=Role.HOST
            )
            product = catalog.create_product(
                session,
                merchant=merchant,
                body=ProductIn(title="羽绒服", price=29_900, stock=self.scenario.units * 10),
            )
            sku_id = catalog.skus_of(session, product_id=product.id)[0].id
            invitation = staff.invite_staff(session, owner=merchant, user_id=host.id)
            staff.accept_invitation(session, invitee=host, invitation_id=invitation.id)
            room = live.create_room(session, host=host, title="秒杀专场")
            live.start_room(session, actor=host, room_id=room.id)
            host_token = accounts.issue_token(session, user=host)
            room_id = room.id
        shared_hash = hash_password("a fan's password")  # one argon2 hash for the whole crowd
        with unit_of_work(database_url) as session:
            session.execute(
                insert(User),
                [
                    {"username": f"fan_{index}", "password_hash": shared_hash, "role": Role.VIEWER}
                    for index in range(self.scenario.users)
                ],
            )
            fans = session.scalars(
                select(User).where(User.role == Role.VIEWER).order_by(User.id)
            ).all()
            buyers = [(fan.id, accounts.issue_token(session, user=fan)) for fan in fans]
        return Seeded(host_token, room_id, sku_id, buyers)

    # --- one run

    def server_for(
        self, spec: EngineSpec, home: Path, env_url: str | None, jobs_seconds: float
    ) -> ServerProcess:
        env = {key: value for key, value in os.environ.items() if not key.startswith("LIVESHOP_")}
        env.update(
            LIVESHOP_HOME=str(home),
            LIVESHOP_SECRET_KEY=SECRET_KEY,
            LIVESHOP_ORDER_EXPIRY_CHECK_SECONDS=str(jobs_seconds),
            PYTHONUNBUFFERED="1",
        )
        if env_url:
            env["LIVESHOP_DATABASE_URL"] = env_url
        if spec.redis:
            assert self.redis_url is not None
            env["LIVESHOP_REDIS_URL"] = self.redis_url
        if spec.variant:
            command = [
                sys.executable,
                str(Path(__file__).resolve()),
                "_serve",
                "--engine",
                spec.variant,
            ]
        else:
            command = [sys.executable, "-m", "liveshop.cli", "serve"]
        return ServerProcess(command, env, home / "server.log")

    def open_sale(self, server: ServerProcess, seeded: Seeded) -> int:
        import httpx

        now = datetime.now(UTC)
        response = httpx.post(
            f"{server.base_url}/api/flash-sales",
            headers={"Authorization": f"Bearer {seeded.host_token}"},
            json={
                "room_id": seeded.room_id,
                "sku_id": seeded.sku_id,
                "price": 9_900,
                "quantity": self.scenario.units,
                "per_user_limit": self.scenario.per_user_limit,
                "starts_at": (now - timedelta(seconds=1)).isoformat(),
                "ends_at": (now + timedelta(hours=2)).isoformat(),
            },
            timeout=30,
        )
        if response.status_code != 201:
            raise RuntimeError(f"creating the sale: {response.status_code} {response.text}")
        for _ in range(20):  # warm the GET path (imports, caches, pool)
            httpx.get(f"{server.base_url}/api/flash-sales/{response.json()['id']}", timeout=10)
        sale_id: int = response.json()["id"]
        return sale_id

    def run(self, spec: EngineSpec, connections: int, gate: str | None = None) -> dict[str, Any]:
        import psutil

        shown = connections or "one per user"
        title = f"{spec.key} [connections: {shown}]" + (f" (gate: kill -9 {gate})" if gate else "")
        log(f"{title}: preparing")
        home = Path(tempfile.mkdtemp(prefix=f"{spec.key}-", dir=self.workdir))
        env_url, database_url, schema = self.fresh_database(spec, home)
        if spec.redis:
            self.flush_redis()
        seeded = self.seed(database_url)
        self.forget(database_url)
        server = self.server_for(spec, home, env_url, jobs_seconds=1.0 if gate else 30.0)
        try:
            server.start()
            sale_id = self.open_sale(server, seeded)
            ceiling = self.ceiling(server, connections) if gate is None else None
            rng = random.Random(self.scenario.seed)
            users = [
                (user_id, token, rng.randint(1, self.scenario.max_taps))
                for user_id, token in seeded.buyers
            ]
            records_path = home / "records.json"
            config = LoadConfig(
                port=server.port,
                sale_id=sale_id,
                users=users,
                connections=connections,
                records_path=str(records_path),
                kill_after=math.ceil(0.3 * self.scenario.units) if gate else None,
                retry_seconds=45.0 if gate else 0.0,
            )
            assert server.process is not None
            watched = psutil.Process(server.process.pid)
            cpu_before = sum(watched.cpu_times()[:2])
            load_before = os.getloadavg()[0]
            log(f"{title}: {len(users)} users, {sum(u[2] for u in users)} taps, released at once")
            profiler = self.start_profiler(spec, server, connections) if gate is None else None
            summary, events = self.load(config, on_kill=self.killer(gate, server))
            if profiler is not None:
                profiler.send_signal(signal.SIGINT)
                profiler.wait(timeout=60)
            server_cpu = sum(watched.cpu_times()[:2]) - cpu_before if gate is None else None
            if spec.redis:
                self.wait_for_recovery(database_url, sale_id, 40.0 if gate else 5.0)
            # The checker reads a database no request is writing any more (a server
            # still working off a backlog is stopped; SIGKILL after 15 s rolls back).
            stopped = server.stop()
            self.forget(database_url)
            records = json.loads(records_path.read_text())
            check = self.check(spec, database_url, sale_id, records)
        finally:
            server.stop()
            server_log = server.log_path.read_text(errors="replace")
            self.forget(database_url)
        self.drop_schema(schema)
        if not self.args.keep:
            shutil.rmtree(home, ignore_errors=True)
        result: dict[str, Any] = {
            "engine": spec.key,
            "label": spec.label,
            "gate": f"kill -9 {gate} after 30 % of units sold" if gate else None,
            "users": len(users),
            **summary,
            "server_cpu_percent": (
                round(100 * server_cpu / summary["wall_s"], 1) if server_cpu is not None else None
            ),
            # Load-independent: what one attempt costs the server, whatever share of
            # its core the machine's other work left it (load_average_before).
            "server_cpu_ms_per_attempt": (
                round(1000 * server_cpu / summary["requests"], 3)
                if server_cpu is not None and summary["requests"]
                else None
            ),
            "load_average_before": round(load_before, 2),
            **check,
            "server_stop": stopped,
        }
        if spec.redis:
            result["orders_written_by_claims_recovery"] = server_log.count(
                "wrote the order of an orphaned flash-sale claim"
            )
        if ceiling is not None:
            result["http_ceiling"] = ceiling
        if gate:
            result["kills"] = events
        log(f"{title}: {json.dumps(result)}")
        return result

    def ceiling(self, server: ServerProcess, connections: int) -> dict[str, Any] | None:
        """GET /healthz through the same client before the sale (``--ceiling``)."""
        if not self.args.ceiling:
            return None
        command = [sys.executable, str(Path(__file__).resolve()), "_ceiling"]
        config = {
            "port": server.port,
            "path": "/healthz",
            "requests": 10_000,
            "connections": min(connections or self.scenario.users, 1_000),
        }
        done = subprocess.run(
            command, input=json.dumps(config), capture_output=True, text=True, check=True
        )
        result: dict[str, Any] = json.loads(done.stdout)
        return result

    def start_profiler(
        self, spec: EngineSpec, server: ServerProcess, connections: int
    ) -> subprocess.Popen[bytes] | None:
        """py-spy on the server during the load (``--py-spy DIR``): collapsed stacks."""
        if not self.args.py_spy:
            return None
        assert server.process is not None
        self.args.py_spy.mkdir(parents=True, exist_ok=True)
        output = self.args.py_spy / f"{spec.key}-{connections or 'per-user'}.txt"
        return subprocess.Popen(
            [
                str(Path(sys.executable).parent / "py-spy"),
                "record",
                "--pid", str(server.process.pid),
                "--format", "raw",
                "--rate", "200",
                "--gil",
                "--nonblocking",
                "--output", str(output),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )  # fmt: skip

    def killer(self, gate: str | None, server: ServerProcess) -> Callable[[], str]:
        def kill_server() -> str:
            started = time.monotonic()
            server.kill()
            server.start()
            return f"server killed and back in {time.monotonic() - started:.1f} s"

        def kill_redis() -> str:
            assert self.redis is not None
            started = time.monotonic()
            self.redis.kill()
            time.sleep(0.5)
            self.redis.start()
            return f"redis killed and back (AOF reloaded) in {time.monotonic() - started:.1f} s"

        def never() -> str:
            raise AssertionError("no gate")

        return {"server": kill_server, "redis": kill_redis}.get(gate or "", never)

    def load(
        self, config: LoadConfig, on_kill: Callable[[], str]
    ) -> tuple[dict[str, Any], list[str]]:
        command = [sys.executable, str(Path(__file__).resolve()), "_loadgen"]
        process = subprocess.Popen(
            command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
        )
        assert process.stdin is not None
        assert process.stdout is not None
        process.stdin.write(json.dumps(asdict(config)))
        process.stdin.close()
        events: list[str] = []
        summary: dict[str, Any] | None = None
        for line in process.stdout:
            try:
                message = json.loads(line)
            except ValueError:
                log(f"loadgen: {line.rstrip()}")
                continue
            if message.get("event") == "kill":
                log(f"{message['created']} units sold: kill -9")
                killer = threading.Thread(target=lambda: events.append(on_kill()))
                killer.start()
                killer.join()  # the load keeps running in its own process meanwhile
                log(events[-1])
            elif message.get("event") == "done":
                summary = message["summary"]
        if process.wait() != 0 or summary is None:
            raise RuntimeError(f"the load generator failed ({process.returncode})")
        return summary, events

    # --- redis

    def ensure_redis(self) -> None:
        if self.redis_url is not None:
            return
        self.redis = RedisServer(self.workdir / "redis", free_port())
        self.redis.start()
        self.redis_url = self.redis.url

    def flush_redis(self) -> None:
        import redis

        self.ensure_redis()
        assert self.redis_url is not None
        redis.Redis.from_url(self.redis_url).flushdb()

    def redis_remaining(self, sale_id: int) -> int | None:
        if self.redis_url is None:
            return None
        from liveshop.promotions.stock_engines import RedisStockEngine

        engine = RedisStockEngine(self.redis_url)
        value = engine.client.get(engine.keys(sale_id)[0])
        engine.client.close()
        return int(value) if value is not None else None

    def wait_for_recovery(self, database_url: str, sale_id: int, seconds: float) -> None:
        """Until the database's sold equals Redis' claimed units (claims recovery done)."""
        deadline = time.monotonic() + seconds
        from sqlalchemy.exc import OperationalError

        while time.monotonic() < deadline:
            remaining = self.redis_remaining(sale_id)
            try:
                sold = self.db_sold(database_url, sale_id)
            except OperationalError:  # SQLite still locked by a busy server
                sold = None
            if remaining is not None and sold == self.scenario.units - remaining:
                return
            time.sleep(0.5)
        log("claims recovery did not catch up in time")

    # --- the checker

    @staticmethod
    def forget(database_url: str) -> None:
        from liveshop.core.db import get_engine, get_session_factory

        get_engine(database_url).dispose()
        get_engine.cache_clear()
        get_session_factory.cache_clear()

    @staticmethod
    def db_sold(database_url: str, sale_id: int) -> int:
        from liveshop.core.db import unit_of_work
        from liveshop.promotions.models import FlashSale

        with unit_of_work(database_url) as session:
            return session.get_one(FlashSale, sale_id).sold

    def check(
        self, spec: EngineSpec, database_url: str, sale_id: int, records: list[dict[str, Any]]
    ) -> dict[str, Any]:
        """Read the database after the run and hold it against what clients were told."""
        from sqlalchemy import func, select

        from liveshop.core.db import unit_of_work
        from liveshop.orders.models import Order, OrderItem
        from liveshop.promotions.models import FlashSale, FlashSaleAdmission

        with unit_of_work(database_url) as session:
            sale = session.get_one(FlashSale, sale_id)
            quantity, db_sold = sale.quantity, sale.sold
            rows = session.execute(
                select(
                    Order.id, Order.buyer_id, Order.idempotency_key, func.sum(OrderItem.quantity)
                )
                .join(OrderItem, OrderItem.order_id == Order.id)
                .where(Order.flash_sale_id == sale_id)
                .group_by(Order.id, Order.buyer_id, Order.idempotency_key)
            ).all()
            admissions = session.scalar(
                select(func.count()).where(FlashSaleAdmission.sale_id == sale_id)
            )
        orders = {row[0]: (row[1], row[2], int(row[3])) for row in rows}
        by_attempt = {(buyer, key): order_id for order_id, (buyer, key, _u) in orders.items()}
        units = sum(units for _b, _k, units in orders.values())
        per_buyer: Counter[int] = Counter()
        for buyer, _key, order_units in orders.values():
            per_buyer[buyer] += order_units
        over_limit = sum(max(0, held - self.scenario.per_user_limit) for held in per_buyer.values())
        lost = 0
        two_orders = 0
        answered: set[int] = set()
        for record in records:
            given = set(record["order_ids"])
            if len(given) > 1:
                two_orders += 1
            for order_id in given:
                answered.add(order_id)
                expected_key = f"flash-{sale_id}-{record['key']}"
                if orders.get(order_id, (None, None, 0))[:2] != (record["user_id"], expected_key):
                    lost += 1
        unanswered = [order_id for order_id in orders if order_id not in answered]
        redis_remaining = self.redis_remaining(sale_id) if spec.redis else None
        claimed = quantity - redis_remaining if redis_remaining is not None else db_sold
        result = {
            "quantity": quantity,
            "units_sold": units,
            "oversold": max(0, units - quantity),
            "duplicate_orders": over_limit + two_orders,
            "lost_orders": lost,
            "leaked_units": claimed - units,
            "orders_without_answer": len(unanswered),
            "db_sold": db_sold,
            "admissions": admissions,
        }
        if spec.redis:
            result["redis_remaining"] = redis_remaining
        # Orders the checker cannot tie to any tap at all would be phantoms.
        keys = {(record["user_id"], f"flash-{sale_id}-{record['key']}") for record in records}
        result["orders_not_from_any_tap"] = sum(1 for attempt in by_attempt if attempt not in keys)
        return result

    def close(self) -> None:
        if self.redis is not None:
            self.redis.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--engines", default=DEFAULT_ENGINES, help=f"of {', '.join(ENGINES)}")
    parser.add_argument(
        "--gates", default="", help=f"'all' or some of {', '.join(GATES)} (after the engines)"
    )
    parser.add_argument("--users", type=int, default=5_000)
    parser.add_argument("--units", type=int, default=300)
    parser.add_argument("--per-user-limit", type=int, default=1)
    parser.add_argument("--max-taps", type=int, default=3, help="each user taps 1 to this")
    parser.add_argument(
        "--connections",
        default="0,32",
        help="client connections, a run per value (0: one per user, all released at once; "
        "32: a proxy's upstream pool, below the server's 40 threads)",
    )
    parser.add_argument("--gate-connections", type=int, default=32)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument(
        "--redis-url", help="use this Redis (flushed!) instead of starting one with AOF"
    )
    parser.add_argument("--quick", action="store_true", help="1,000 users, 100 units")
    parser.add_argument("--keep", action="store_true", help="keep homes and schemas")
    parser.add_argument(
        "--ceiling",
        action="store_true",
        help="also measure GET /healthz (no database) on each server: the HTTP stack's ceiling",
    )
    parser.add_argument(
        "--py-spy", type=Path, help="profile the server with py-spy into this directory"
    )
    parser.add_argument("--output", type=Path, help="also write the JSON here")
    args = parser.parse_args()
    if args.quick:
        args.users, args.units = 1_000, 100
    engines = [ENGINES[key] for key in args.engines.split(",") if key]
    gates = list(GATES) if args.gates == "all" else [g for g in args.gates.split(",") if g]
    raise_nofile()
    pin_to(LOADGEN_CPU)  # the orchestrator is idle during runs; keep it off the server's core
    workdir = Path(tempfile.mkdtemp(prefix="flash-bench-"))
    bench = Bench(args, workdir)
    document: dict[str, Any] = {
        "benchmark": "flash_sale",
        "scenario": asdict(bench.scenario),
        "machine": {"cpus": os.cpu_count(), "server_cpu": SERVER_CPU, "loadgen_cpu": LOADGEN_CPU},
        "runs": [],
        "gates": [],
    }
    try:
        for connections in bench.scenario.connections:
            for spec in engines:
                document["runs"].append(bench.run(spec, connections))
        for gate in gates:
            target, engine = GATES[gate]
            document["gates"].append(
                bench.run(ENGINES[engine], bench.scenario.gate_connections, gate=target)
            )
    finally:
        bench.close()
        if not args.keep:
            shutil.rmtree(workdir, ignore_errors=True)
    text = json.dumps(document, indent=2, ensure_ascii=False)
    print(text)
    if args.output:
        args.output.write_text(text + "\n")


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "_loadgen":
        loadgen_main()
    elif len(sys.argv) > 1 and sys.argv[1] == "_ceiling":
        ceiling_main()
    elif len(sys.argv) > 1 and sys.argv[1] == "_serve":
        serve_parser = argparse.ArgumentParser()
        serve_parser.add_argument("command")
        serve_parser.add_argument("--engine", required=True)
        serve_parser.add_argument("--port", type=int, required=True)
        serve_args = serve_parser.parse_args()
        serve_variant(serve_args.engine, serve_args.port)
    else:
        main()

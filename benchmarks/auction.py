"""Auction benchmark: bids over HTTP against a running ``liveshop serve``, on SQLite
and on PostgreSQL, with each bid engine (SQL; Redis, the server given a Redis of the
benchmark's own).

Run by hand (not a test); prints one JSON document on stdout, progress on stderr::

    .venv/bin/python benchmarks/auction.py               # sqlite and postgres, sql and redis
    .venv/bin/python benchmarks/auction.py --backends sqlite --engines redis --bids 2000
    .venv/bin/python benchmarks/auction.py --engines redis --workers 2
    .venv/bin/python benchmarks/auction.py --client raw --rate 1000 --concurrency 64
    .venv/bin/python benchmarks/auction.py --backends sqlite --engines redis --open-loop
    # before and after a change, side by side in one run (servers from each source tree):
    .venv/bin/python benchmarks/auction.py --trees before=/tmp/before/src,after=src

For each backend: a fresh database (a SQLite home, or a private schema in the
PostgreSQL database ``test``), seeded with a shop, a live room, an auction and
``--bidders`` bidders with a card on file and a token; then a server process
(``python -m liveshop.cli serve``, ``--workers`` uvicorn workers: one by default;
more only with the Redis engine, as ``serve`` requires) and ``--bids`` bids sent
``--concurrency`` at a time: ``--workload rising`` (default), each maximum above
the last by more than any increment (bids that arrive out of order under
concurrency may still be refused: 67 % accepted on SQLite, 37 % on PostgreSQL in
the measured run); ``noisy``, random maxima, most refused as too low by the time
they arrive. Reported: accepted bids per second (accepted / wall time of the
burst), all answers per second, latency p50/p99 of every answer, and a check that
the bid log is one unbroken sequence with ``bid_count`` rows. On Redis the bids reach
SQL through the server's persister: the check waits for it (``persisted_after_seconds``:
how long after the burst the record held every accepted bid).

Also reported: the server's CPU per bid sent (``server_cpu_ms_per_bid``: every process
of the server, from /proc, over the burst and the persister's catching up; the machine
is shared, so this says more than bids per second), whether every bid was answered
(200, or 409 for a bid the auction had outgrown), and whether the accepted answers are
the log (``answers_match_log``: each 200's seq, key and maximum is a row of the record,
and the record holds no other). ``--rate 1000`` sends bid i at i/1000 s (bids ordered
and answered when 1,000 arrive within one second); ``sent_within_seconds`` says how long
the sending took.

``--open-loop`` is the issue's case, "1,000 bids sent within one second": bid i is
sent at i/``--rate`` s (1,000 by default) whatever the earlier bids' answers, on an
idle keep-alive connection (``--concurrency`` opened beforehand, a new one when none
is idle); reported besides: ``last_answer_after_seconds`` (from the first bid's
moment), the connections used, and latency counted from each bid's planned moment.
Each burst starts once the server's start-up work has settled (its CPU quiet:
``server_settled_after_seconds``), so that the risk engine's rebuild and jieba's
dictionary are not counted as bids.

``--persister worker`` (Redis) runs the bids stream's persister as ``liveshop auctions
persist`` beside the server, which is told to leave the stream to it
(``LIVESHOP_AUCTION_BID_PERSISTER=false``); its CPU is ``persister_cpu_ms_per_bid``.

``--client raw`` sends the bids over plain keep-alive sockets written and read by
hand instead of httpx, whose CPU (on the same machine as the server) otherwise caps
what is measured. ``--trees label=path,...`` runs the server from each source tree in turn (its
``PYTHONPATH``), for each backend and engine, on databases seeded alike: results are
keyed ``label:backend/engine``, and ``ratios`` gives each later tree's accepted bids
and answers per second over the first's.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
from auction_load import bid_plan, burst, open_loop  # the script's own directory
from pydantic import SecretStr
from sqlalchemy import create_engine, func, select, text

from liveshop.accounts import service as accounts
from liveshop.accounts.models import Role, User
from liveshop.auctions import service as auctions
from liveshop.auctions.models import Auction, AuctionBid
from liveshop.auctions.schemas import AuctionIn
from liveshop.catalog import service as catalog
from liveshop.catalog import staff
from liveshop.catalog.schemas import ProductIn
from liveshop.core.db import unit_of_work
from liveshop.core.migrations import upgrade_database
from liveshop.core.security import hash_password
from liveshop.live import service as live
from liveshop.payments.methods import add_payment_method
from liveshop.payments.schemas import CardIn
from liveshop.payments.vault import MasterKey
from liveshop.wiring import connect_domains

POSTGRES_URL = os.environ.get(
    "LIVESHOP_BENCH_POSTGRES", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)


def log(message: str) -> None:
    print(f"[auction {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def seed(database_url: str, bidders: int) -> tuple[int, list[str]]:
    """A merchant's product, a live room of a host staffing the shop, a running
    auction, and bidders with cards and tokens. Returns (auction id, tokens)."""
    master = MasterKey(os.urandom(32))
    shared_hash = hash_password("a bidder's password")
    with unit_of_work(database_url) as session:
        merchant = accounts.create_user(
            session, username="bench_merchant", password="pw-bench-12345", role=Role.MERCHANT
        )
        host = accounts.create_user(
            session, username="bench_host", password="pw-bench-12345", role=Role.HOST
        )
        product = catalog.create_product(
            session, merchant=merchant, body=ProductIn(title="拍品", price=99_900, stock=10)
        )
        sku_id = catalog.skus_of(session, product_id=product.id)[0].id
        invitation = staff.invite_staff(session, owner=merchant, user_id=host.id)
        staff.accept_invitation(session, invitee=host, invitation_id=invitation.id)
        room = live.create_room(session, host=host, title="拍卖专场")
        live.start_room(session, actor=host, room_id=room.id)
        auction = auctions.create_auction(
            session,
            actor=host,
            body=AuctionIn(
                room_id=room.id, sku_id=sku_id, starting_price=1_000, duration_seconds=3_600
            ),
        )
        auctions.start_auction(session, actor=host, auction_id=auction.id)
        tokens = []
        for index in range(bidders):
            user = User(
                username=f"bench_bidder_{index}", password_hash=shared_hash, role=Role.VIEWER
            )
            session.add(user)
            session.flush()
            add_payment_method(
                session,
                user=user,
                body=CardIn(
                    card_number=SecretStr("4242424242424242"),
                    exp_month=12,
                    exp_year=2035,
                    cvc=SecretStr("123"),
                    save_consent=True,
                ),
                master=master,
            )
            tokens.append(accounts.issue_token(session, user=user))
        return auction.id, tokens


def server_cpu_seconds(group: int) -> float:
    """User and system CPU of every process in the server's process group (its
    workers, and threads in them), from /proc."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # gone meanwhile
        if int(fields[2]) == group:  # pgrp (the server runs in a session of its own)
            total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / ticks


def settle(group: int, *, quiet_cpu: float = 0.05, window: float = 0.5) -> float:
    """Wait until the server's start-up work (the risk engine's state, jieba's
    dictionary, the first jobs' rounds) is done: until its CPU over ``window`` seconds
    stays below ``quiet_cpu`` of a core twice in a row (at most 60 s). An auction does
    not begin as its server starts; the seconds waited."""
    begun = time.perf_counter()
    quiet = 0
    last = server_cpu_seconds(group)
    while quiet < 2 and time.perf_counter() - begun < 60:
        time.sleep(window)
        now = server_cpu_seconds(group)
        quiet = quiet + 1 if now - last < quiet_cpu * window else 0
        last = now
    return round(time.perf_counter() - begun, 2)


def start_redis(workdir: Path) -> tuple[subprocess.Popen[bytes], str]:
    """A Redis of the benchmark's own (the server's key names are fixed)."""
    binary = shutil.which("redis-server")
    if binary is None:
        raise SystemExit("--engines redis needs redis-server on the PATH")
    port = free_port()
    process = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        cwd=workdir,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 10
    while True:
        try:
            with socket.create_connection(("127.0.0.1", port), 1):
                return process, f"redis://127.0.0.1:{port}/0"
        except OSError:
            if time.monotonic() > deadline:
                process.kill()
                raise
            time.sleep(0.05)


def start(command: list[str], env: dict[str, str], log_path: Path) -> subprocess.Popen[bytes]:
    """``liveshop COMMAND`` in a session of its own (its CPU is its process group's)."""
    with log_path.open("wb") as output:
        return subprocess.Popen(
            [sys.executable, "-m", "liveshop.cli", *command],
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


def stop(server: subprocess.Popen[bytes]) -> None:
    """SIGTERM, then SIGKILL if the app's shutdown (bounded at 30 s) runs over."""
    server.terminate()
    try:
        server.wait(timeout=45)
    except subprocess.TimeoutExpired:
        log("the server did not stop in 45 s: killed")
        server.kill()
        server.wait(timeout=10)


def logged_bids(database_url: str, auction_id: int) -> list[tuple[int, str, int]]:
    """(seq, Idempotency-Key, maximum) of every bid the record holds."""
    with unit_of_work(database_url) as session:
        rows = session.execute(
            select(AuctionBid.seq, AuctionBid.idempotency_key, AuctionBid.max_amount)
            .where(AuctionBid.auction_id == auction_id)
            .order_by(AuctionBid.seq)
        ).all()
    return [(seq, key, amount) for seq, key, amount in rows]


def record_of(database_url: str, auction_id: int) -> tuple[int, int | None, int, int | None]:
    """(bid_count, current price, bid rows, highest seq) as SQL holds them."""
    with unit_of_work(database_url) as session:
        auction = session.get_one(Auction, auction_id)
        rows = session.scalar(
            select(func.count()).select_from(AuctionBid).where(AuctionBid.auction_id == auction_id)
        )
        top = session.scalar(
            select(func.max(AuctionBid.seq)).where(AuctionBid.auction_id == auction_id)
        )
        return auction.bid_count, auction.current_price, int(rows or 0), top


def run_backend(
    backend: str, engine: str, args: argparse.Namespace, workdir: Path, tree: tuple[str, str]
) -> dict[str, Any]:
    """One burst against a server run from ``tree`` (label, source path; path "" for this
    interpreter's own ``liveshop``)."""
    label, source = tree
    home = workdir / f"{label}-{backend}-{engine}"
    home.mkdir()
    env = {key: value for key, value in os.environ.items() if not key.startswith("LIVESHOP_")}
    if source:
        env["PYTHONPATH"] = str(Path(source).resolve())
    env.update(
        LIVESHOP_HOME=str(home),
        LIVESHOP_SECRET_KEY="bench-secret-key-" + "x" * 32,
        PYTHONUNBUFFERED="1",
    )
    schema = None
    redis_server = None
    if engine == "redis":
        redis_server, env["LIVESHOP_REDIS_URL"] = start_redis(home)
    if backend == "postgres":
        schema = f"liveshop_bench_auction_{os.getpid()}_{engine}"
        admin = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
            connection.execute(text(f"CREATE SCHEMA {schema}"))
        database_url = f"{POSTGRES_URL}?options=-csearch_path%3D{schema}"
        env["LIVESHOP_DATABASE_URL"] = database_url
    else:
        database_url = f"sqlite:///{home / 'liveshop.db'}"
    try:
        log(f"{backend}: migrating and seeding {args.bidders} bidders")
        upgrade_database(database_url)
        auction_id, tokens = seed(database_url, args.bidders)
        port = free_port()
        persister = None
        if engine == "redis" and args.persister == "worker":
            env["LIVESHOP_AUCTION_BID_PERSISTER"] = "false"
            persister = start(["auctions", "persist"], env, home / "persister.log")
        server = start(
            ["serve", "--port", str(port), "--workers", str(args.workers)],
            env,
            home / "server.log",
        )
        try:
            base_url = f"http://127.0.0.1:{port}"
            deadline = time.monotonic() + 60
            while True:
                try:
                    if httpx.get(f"{base_url}/healthz", timeout=1).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                if time.monotonic() > deadline or server.poll() is not None:
                    raise RuntimeError((home / "server.log").read_text()[-2000:])
                time.sleep(0.2)
            settled = settle(server.pid)
            worker_before = server_cpu_seconds(persister.pid) if persister else 0.0
            log(f"{backend}/{engine}: {args.bids} bids, {args.concurrency} at a time")
            load_average = [round(value, 2) for value in os.getloadavg()]
            cpu_before = server_cpu_seconds(server.pid)
            client_before = time.process_time()
            if args.open_loop:
                plan = bid_plan(tokens, args.bids, args.seed, args.workload)
                load = open_loop(base_url, auction_id, plan, args.rate or 1_000, args.concurrency)
            else:
                load = burst(
                    base_url,
                    auction_id,
                    tokens,
                    args.bids,
                    args.concurrency,
                    args.seed,
                    args.workload,
                    args.client,
                    args.rate,
                )
            result = asyncio.run(load)
            waited = time.perf_counter()
            while time.perf_counter() - waited < 60:  # Redis: the persister catches up
                bid_count, _price, _rows, _top = record_of(database_url, auction_id)
                if bid_count >= result["accepted"]:
                    break
                time.sleep(0.1)
            result["persisted_after_seconds"] = round(time.perf_counter() - waited, 3)
            server_cpu = server_cpu_seconds(server.pid) - cpu_before
            result["server_cpu_seconds"] = round(server_cpu, 2)  # the burst and persisting it
            result["server_cpu_ms_per_bid"] = round(server_cpu * 1_000 / args.bids, 2)
            if persister is not None:
                worker_cpu = server_cpu_seconds(persister.pid) - worker_before
                result["persister_cpu_ms_per_bid"] = round(worker_cpu * 1_000 / args.bids, 2)
            result["client_cpu_ms_per_bid"] = round(
                (time.process_time() - client_before) * 1_000 / args.bids, 2
            )
            result["load_average_at_start"] = load_average
            result["server_settled_after_seconds"] = settled
        finally:
            stop(server)
            if persister is not None:
                stop(persister)
        bid_count, price, rows, top = record_of(database_url, auction_id)
        result["log_consistent"] = rows == bid_count == top == result["accepted"]
        # every accepted answer is in the log under its seq, and the log holds no other bid
        result["answers_match_log"] = result.pop("answered") == logged_bids(
            database_url, auction_id
        )
        result["every_bid_answered"] = sum(result["statuses"].values()) == args.bids and set(
            result["statuses"]
        ) <= {"200", "409"}
        result["final_price"] = price
        return result
    finally:
        if redis_server is not None:
            redis_server.terminate()
            redis_server.wait(timeout=10)
        if schema is not None:
            admin = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
            with admin.connect() as connection:
                connection.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))


def ratios(results: dict[str, Any], labels: list[str]) -> dict[str, Any]:
    """Each later tree's accepted bids and answers per second over the first tree's."""
    first, *later = labels
    out: dict[str, Any] = {}
    for name, base in results.items():
        if not name.startswith(f"{first}:"):
            continue
        case = name.split(":", 1)[1]
        for label in later:
            other = results.get(f"{label}:{case}")
            if other is None:
                continue
            out[f"{label}/{first}:{case}"] = {
                key: round(other[key] / base[key], 2) if base[key] else None
                for key in ("accepted_bids_per_second", "answers_per_second")
            }
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--backends", default="sqlite,postgres")
    parser.add_argument("--engines", default="sql,redis", help="bid engines: sql, redis")
    parser.add_argument("--bids", type=int, default=1_000)
    parser.add_argument("--bidders", type=int, default=50)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--workload", choices=("rising", "noisy"), default="rising")
    parser.add_argument("--workers", type=int, default=1, help="the server's uvicorn workers")
    parser.add_argument(
        "--client",
        choices=("httpx", "raw"),
        default="httpx",
        help="the load's HTTP client: httpx, or raw keep-alive sockets (far less CPU)",
    )
    parser.add_argument(
        "--rate",
        type=float,
        default=0.0,
        help="bids per second to send (bid i at i/rate; --concurrency connections); 0: "
        "as fast as the answers come",
    )
    parser.add_argument(
        "--persister",
        choices=("app", "worker"),
        default="app",
        help="on Redis, who writes the bids stream to SQL: the server itself, or a "
        "`liveshop auctions persist` worker beside it (its CPU: persister_cpu_ms_per_bid)",
    )
    parser.add_argument(
        "--open-loop",
        action="store_true",
        help="send bid i at i/rate s (--rate, default 1000) whatever the answers, over raw "
        "sockets (--concurrency opened beforehand, more when none is idle)",
    )
    parser.add_argument(
        "--trees",
        default="",
        help="label=source,... : the server from each source tree in turn (default: this one)",
    )
    args = parser.parse_args()
    trees = [
        (label.strip(), source.strip())
        for label, _, source in (item.partition("=") for item in args.trees.split(",") if item)
    ] or [("this", "")]
    engines = [engine.strip() for engine in args.engines.split(",")]
    if args.workers > 1 and "sql" in engines:
        parser.error("--workers above 1 needs Redis (liveshop serve refuses it): --engines redis")
    connect_domains()
    document: dict[str, Any] = {
        "benchmark": "auction bids over HTTP",
        "command": " ".join(["benchmarks/auction.py", *sys.argv[1:]]),
        "bids": args.bids,
        "bidders": args.bidders,
        "concurrency": args.concurrency,
        "workload": args.workload,
        "client": "raw" if args.open_loop else args.client,
        "rate": args.rate or (1_000 if args.open_loop else 0),
        "open_loop": args.open_loop,
        "workers": args.workers,
        "persister": args.persister,
        "trees": dict(trees),
        "load_average_before": [round(value, 2) for value in os.getloadavg()],
        "note": "measured on a shared, busy 2-core machine",
        "results": {},  # "backend/engine": the burst's figures
    }
    with tempfile.TemporaryDirectory(prefix="liveshop-auction-bench-") as workdir:
        for backend in args.backends.split(","):
            for engine in engines:
                for tree in trees:  # one tree after the other, per backend and engine
                    name = f"{backend.strip()}/{engine}"
                    if len(trees) > 1:
                        name = f"{tree[0]}:{name}"
                    document["results"][name] = run_backend(
                        backend.strip(), engine, args, Path(workdir), tree
                    )
                    log(f"{name}: {json.dumps(document['results'][name])}")
    if len(trees) > 1:
        document["ratios"] = ratios(document["results"], [label for label, _ in trees])
    document["load_average_after"] = [round(value, 2) for value in os.getloadavg()]
    print(json.dumps(document, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()

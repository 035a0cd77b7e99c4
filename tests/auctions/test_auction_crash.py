"""kill -9 of the server in the middle of an auction: no lost or doubled bid, one winner.

On each database (SQLite, PostgreSQL) and each bid engine (SQL; Redis, where the
server's persister writes the bids stream to SQL and recovers it after the kill), a
real server process (``python -m liveshop.cli serve``) takes
bids over HTTP from a crowd; after 120 answers it gets SIGKILL with
requests in flight. Started again on the same home, the clients retry what got
no answer (same Idempotency-Key) and send the rest. Then the deadline is brought
forward and the server's own job closes the auction. The bid log must be one
unbroken sequence holding every bid a client was told was accepted, exactly
once; the winner and price must be the proxy rule's over that log; the winner's
order must exist at that price.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

import httpx
import pytest
from sqlalchemy import update

from liveshop.accounts import service as accounts
from liveshop.accounts.models import User
from liveshop.auctions.models import Auction
from liveshop.auctions.redis_bids import RedisBidEngine, to_us
from liveshop.core.clock import utcnow
from liveshop.core.db import unit_of_work
from liveshop.orders.models import Order
from tests.auctions.conftest import Shelf, bid_log, bidders, expected_outcome
from tests.promotions.test_flash_sale_crash import ServerProcess, crash_redis_url, make_server

__all__ = ["crash_redis_url", "make_server"]

pytestmark = pytest.mark.timeout(180)

BIDDERS = 30
BIDS = 400
KILL_AFTER = 120  # answers before the SIGKILL
CONCURRENCY = 16


@pytest.fixture(params=["sql", pytest.param("redis", marks=pytest.mark.redis)])
def server_redis_url(request: pytest.FixtureRequest) -> str | None:
    """The server's bid engine: SQL (no Redis), or Redis of this test's own."""
    if request.param == "sql":
        return None
    url: str = request.getfixturevalue("crash_redis_url")
    return url


def bring_deadline_forward(database_url: str, auction_id: int, redis_url: str | None) -> None:
    """The deadline is now, in the record and (on Redis) where the bids are decided,
    once the record holds every bid Redis took (the persister writes each bid's
    deadline to the row: one still in flight would move it back)."""
    if redis_url is not None:
        engine = RedisBidEngine(redis_url)
        taken = int(engine.client.hget(engine.keys(auction_id)[0], "count") or 0)
        engine.client.close()
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            with unit_of_work(database_url) as session:
                if session.get_one(Auction, auction_id).bid_count == taken:
                    break
            time.sleep(0.1)
    moment = utcnow()
    with unit_of_work(database_url) as session:
        session.execute(update(Auction).where(Auction.id == auction_id).values(ends_at=moment))
    if redis_url is not None:
        engine = RedisBidEngine(redis_url)
        engine.client.hset(engine.keys(auction_id)[0], "ends_at", to_us(moment))
        engine.client.close()


@dataclass
class PlannedBid:
    token: str
    user_id: int
    amount: int
    key: str
    answers: list[int | None] = field(default_factory=list)  # None: no answer


async def send(
    base_url: str,
    auction_id: int,
    queue: deque[PlannedBid],
    kill_after: int | None,
    kill: Callable[[], None] | None,
) -> None:
    accepted = 0
    stopped = False

    async def worker(client: httpx.AsyncClient) -> None:
        nonlocal accepted, stopped
        while queue and not stopped:
            planned = queue.popleft()
            try:
                response = await client.post(
                    f"/api/auctions/{auction_id}/bids",
                    json={"max_amount": planned.amount},
                    headers={
                        "Authorization": f"Bearer {planned.token}",
                        "Idempotency-Key": planned.key,
                    },
                )
                planned.answers.append(response.status_code)
            except httpx.TransportError:
                planned.answers.append(None)
                continue
            if not stopped:
                accepted += 1  # answers: accepted or refused, the server is mid-auction
                if kill_after is not None and accepted >= kill_after and kill is not None:
                    stopped = True
                    kill()

    limits = httpx.Limits(max_connections=CONCURRENCY, max_keepalive_connections=CONCURRENCY)
    async with httpx.AsyncClient(base_url=base_url, timeout=30, limits=limits) as client:
        await asyncio.gather(*(worker(client) for _ in range(CONCURRENCY)))


def test_kill_minus_nine_mid_auction_leaves_one_consistent_winner(
    database_url: str,
    shelf: Shelf,
    server_redis_url: str | None,
    make_server: Callable[[str | None], ServerProcess],
) -> None:
    ids = bidders(database_url, BIDDERS, prefix="crash")
    with unit_of_work(database_url) as session:
        tokens = {
            user_id: accounts.issue_token(session, user=session.get_one(User, user_id))
            for user_id in ids
        }
    server = make_server(server_redis_url)
    if not database_url.startswith("sqlite"):  # SQLite: the home's own database file
        server.env["LIVESHOP_DATABASE_URL"] = database_url
    server.start()
    created = httpx.post(
        f"{server.base_url}/api/auctions",
        headers=shelf.host.headers,
        json={
            "room_id": shelf.room_id,
            "sku_id": shelf.sku_id,
            "starting_price": 1_000,
            "duration_seconds": 3_600,
        },
    )
    assert created.status_code == 201, created.text
    auction_id = created.json()["id"]
    started = httpx.post(
        f"{server.base_url}/api/auctions/{auction_id}/start", headers=shelf.host.headers
    )
    assert started.status_code == 200, started.text

    rng = random.Random(9)
    plan = []
    for index in range(BIDS):
        user_id = ids[rng.randrange(BIDDERS)]
        amount = 1_000 + index * 50 + rng.randrange(0, 3_000)
        plan.append(PlannedBid(tokens[user_id], user_id, amount, f"crash-{index}"))
    queue = deque(plan)
    asyncio.run(send(server.base_url, auction_id, queue, KILL_AFTER, server.kill))
    assert server.process is not None
    assert server.process.returncode is not None

    server.start()  # same home, same port
    retries = deque(p for p in plan if p.answers and p.answers[-1] is None)
    asyncio.run(send(server.base_url, auction_id, deque([*retries, *queue]), None, None))
    assert all(p.answers and p.answers[-1] is not None for p in plan)
    assert all(p.answers[-1] in (200, 409) for p in plan), {p.answers[-1] for p in plan}

    bring_deadline_forward(database_url, auction_id, server_redis_url)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        state = httpx.get(f"{server.base_url}/api/auctions/{auction_id}").json()
        if state["status"] != "running":
            break
        time.sleep(0.3)
    assert state["status"] == "won", (state, server.log_tail())

    told_accepted = {p.key for p in plan if 200 in p.answers}
    with unit_of_work(database_url) as session:
        auction = session.get_one(Auction, auction_id)
        log = bid_log(session, auction_id)
        assert [row.seq for row in log] == list(range(1, len(log) + 1))
        assert log
        assert auction.bid_count == len(log)
        keys = [row.idempotency_key for row in log]
        assert len(keys) == len(set(keys))  # none counted twice
        assert told_accepted <= set(keys)  # none lost
        winner, price = expected_outcome(
            [(row.bidder_id, row.max_amount) for row in log], auction.starting_price
        )
        assert (auction.buyer_id, auction.sold_price) == (winner, price)
        order = session.get_one(Order, auction.order_id)
        assert (order.buyer_id, order.items_total) == (winner, price)

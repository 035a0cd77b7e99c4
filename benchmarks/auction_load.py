"""The auction benchmark's load (``auction.py``): bids sent over HTTP to a running
server, ``concurrency`` at a time, through httpx or over raw keep-alive sockets, as
fast as the answers come or at a set rate (``burst``), or each at its moment whatever
the answers (``open_loop``); the figures of the burst and what each accepted answer
said."""

from __future__ import annotations

import asyncio
import json
import random
import statistics
import time
from typing import Any

import httpx


async def burst(
    base_url: str,
    auction_id: int,
    tokens: list[str],
    bids: int,
    concurrency: int,
    seed_value: int,
    workload: str,
    client_kind: str = "httpx",
    rate: float = 0.0,
) -> dict[str, Any]:
    plan = bid_plan(tokens, bids, seed_value, workload)
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    answered: list[tuple[int, str, int]] = []  # (seq, key, maximum) of each accepted bid
    sent_at: list[float] = []
    queue = list(reversed(plan))
    begun = time.perf_counter()

    async def next_bid() -> tuple[str, int, str]:
        """The next bid of the plan; with ``rate``, not before its moment (bid i at i/rate)."""
        index = len(plan) - len(queue)
        bid = queue.pop()
        if rate:
            delay = begun + index / rate - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
        sent_at.append(time.perf_counter() - begun)
        return bid

    async def worker(client: httpx.AsyncClient) -> None:
        while queue:
            token, amount, key = await next_bid()
            started = time.perf_counter()
            response = await client.post(
                f"/api/auctions/{auction_id}/bids",
                json={"max_amount": amount},
                headers={"Authorization": f"Bearer {token}", "Idempotency-Key": key},
            )
            latencies.append((time.perf_counter() - started) * 1_000)
            statuses[response.status_code] = statuses.get(response.status_code, 0) + 1
            if response.status_code == 200:
                answered.append(_accepted(response.content, key))

    async def raw_worker() -> None:
        """One keep-alive connection, one bid at a time (``raw_bid``)."""
        host, _, port = base_url.removeprefix("http://").partition(":")
        reader, writer = await asyncio.open_connection(host, int(port))
        try:
            while queue:
                token, amount, key = await next_bid()
                started = time.perf_counter()
                status_code, reply = await raw_bid(
                    (reader, writer), host, auction_id, token, amount, key
                )
                latencies.append((time.perf_counter() - started) * 1_000)
                statuses[status_code] = statuses.get(status_code, 0) + 1
                if status_code == 200:
                    answered.append(_accepted(reply, key))
        finally:
            writer.close()

    if client_kind == "raw":
        begun = time.perf_counter()
        await asyncio.gather(*(raw_worker() for _ in range(concurrency)))
        wall = time.perf_counter() - begun
    else:
        limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
        async with httpx.AsyncClient(base_url=base_url, timeout=60, limits=limits) as client:
            begun = time.perf_counter()
            await asyncio.gather(*(worker(client) for _ in range(concurrency)))
            wall = time.perf_counter() - begun
    return _figures(statuses, latencies, wall, answered) | {
        "mode": "closed loop",
        "sent_within_seconds": round(sent_at[-1] - sent_at[0], 3) if sent_at else 0.0,
    }


def bid_plan(
    tokens: list[str], bids: int, seed_value: int, workload: str
) -> list[tuple[str, int, str]]:
    """(token, maximum, Idempotency-Key) of each bid, in sending order."""
    rng = random.Random(seed_value)
    if workload == "rising":  # each maximum above the last by more than any increment
        amounts = [1_000 + index * 12_000 for index in range(bids)]
    else:  # "noisy": random maxima, most of them below the price when they arrive
        amounts = [1_000 + index * 30 + rng.randrange(0, 3_000) for index in range(bids)]
    return [
        (tokens[rng.randrange(len(tokens))], amount, f"b-{index}")
        for index, amount in enumerate(amounts)
    ]


Connection = tuple[asyncio.StreamReader, asyncio.StreamWriter]


async def raw_bid(
    connection: Connection, host: str, auction_id: int, token: str, amount: int, key: str
) -> tuple[int, bytes]:
    """One bid written and its answer read by hand on a keep-alive connection: a
    fraction of httpx's CPU, which shares the machine with the server."""
    reader, writer = connection
    body = json.dumps({"max_amount": amount}).encode()
    head = (
        f"POST /api/auctions/{auction_id}/bids HTTP/1.1\r\nHost: {host}\r\n"
        f"Authorization: Bearer {token}\r\nIdempotency-Key: {key}\r\n"
        f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
    )
    writer.write(head.encode() + body)
    status_code = int((await reader.readline()).split()[1])
    length = 0
    while (line := await reader.readline()) not in (b"\r\n", b""):
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value)
    return status_code, await reader.readexactly(length)


async def open_loop(
    base_url: str,
    auction_id: int,
    plan: list[tuple[str, int, str]],
    rate: float,
    connections: int,
) -> dict[str, Any]:
    """Bid i sent at i/``rate`` s whether or not earlier bids were answered (the crowd
    does not wait for the server): each on an idle keep-alive connection, ``connections``
    of them opened beforehand, a new one opened when none is idle. Latency counts from
    the bid's planned moment, so a client running late does not hide a slow server."""
    host, _, port = base_url.removeprefix("http://").partition(":")
    idle: list[Connection] = [
        await asyncio.open_connection(host, int(port)) for _ in range(connections)
    ]
    opened = len(idle)
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    answered: list[tuple[int, str, int]] = []
    sent: list[float] = []
    done: list[float] = []
    begun = time.perf_counter() + 0.05  # every task is waiting when the first bid is due

    async def one(index: int, token: str, amount: int, key: str) -> None:
        nonlocal opened
        due = begun + index / rate
        await asyncio.sleep(max(due - time.perf_counter(), 0))
        if idle:
            connection = idle.pop()
        else:
            opened += 1
            connection = await asyncio.open_connection(host, int(port))
        sent.append(time.perf_counter() - begun)
        try:
            status_code, reply = await raw_bid(connection, host, auction_id, token, amount, key)
        except (ConnectionError, asyncio.IncompleteReadError, IndexError):
            status_code, reply = 0, b""  # no answer (counted as status 0), connection dropped
            connection[1].close()
        else:
            idle.append(connection)
        finished = time.perf_counter()
        done.append(finished - begun)
        latencies.append((finished - due) * 1_000)
        statuses[status_code] = statuses.get(status_code, 0) + 1
        if status_code == 200:
            answered.append(_accepted(reply, key))

    try:
        await asyncio.gather(*(one(index, *bid) for index, bid in enumerate(plan)))
    finally:
        for _reader, writer in idle:
            writer.close()
    return _figures(statuses, latencies, max(done), answered) | {
        "mode": "open loop",
        "sent_within_seconds": round(max(sent) - min(sent), 3),
        "last_answer_after_seconds": round(max(done), 3),  # from the first bid's moment
        "connections": opened,
    }


def _figures(
    statuses: dict[int, int],
    latencies: list[float],
    wall: float,
    answered: list[tuple[int, str, int]],
) -> dict[str, Any]:
    latencies.sort()
    accepted = statuses.get(200, 0)
    bids = len(latencies)
    return {
        "bids_sent": bids,
        "accepted": accepted,
        "statuses": {str(code): count for code, count in sorted(statuses.items())},
        "wall_seconds": round(wall, 3),
        "accepted_bids_per_second": round(accepted / wall, 1),
        "answers_per_second": round(bids / wall, 1),
        "latency_ms_p50": round(statistics.median(latencies), 2),
        "latency_ms_p99": round(latencies[min(bids - 1, int(bids * 0.99))], 2),
        "answered": sorted(answered),
    }


def _accepted(reply: bytes, key: str) -> tuple[int, str, int]:
    """(seq, Idempotency-Key, maximum) an accepted bid's answer gives."""
    bid = json.loads(reply)["bid"]
    return int(bid["seq"]), key, int(bid["max_amount"])

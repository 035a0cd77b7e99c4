"""The auction benchmark's load (``auction.py``): bids sent over HTTP to a running
server, ``concurrency`` at a time, through httpx or over raw keep-alive sockets, as
fast as the answers come or at a set rate; the figures of the burst and what each
accepted answer said."""

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
    rng = random.Random(seed_value)
    if workload == "rising":  # each maximum above the last by more than any increment
        amounts = [1_000 + index * 12_000 for index in range(bids)]
    else:  # "noisy": random maxima, most of them below the price when they arrive
        amounts = [1_000 + index * 30 + rng.randrange(0, 3_000) for index in range(bids)]
    plan = [
        (tokens[rng.randrange(len(tokens))], amount, f"b-{index}")
        for index, amount in enumerate(amounts)
    ]
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
        """One keep-alive connection, requests written and answers read by hand: a
        fraction of httpx's CPU, which shares the machine with the server."""
        host, _, port = base_url.removeprefix("http://").partition(":")
        reader, writer = await asyncio.open_connection(host, int(port))
        try:
            while queue:
                token, amount, key = await next_bid()
                body = json.dumps({"max_amount": amount}).encode()
                head = (
                    f"POST /api/auctions/{auction_id}/bids HTTP/1.1\r\nHost: {host}\r\n"
                    f"Authorization: Bearer {token}\r\nIdempotency-Key: {key}\r\n"
                    f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
                )
                started = time.perf_counter()
                writer.write(head.encode() + body)
                status_code = int((await reader.readline()).split()[1])
                length = 0
                while (line := await reader.readline()) not in (b"\r\n", b""):
                    name, _, value = line.partition(b":")
                    if name.strip().lower() == b"content-length":
                        length = int(value)
                reply = await reader.readexactly(length)
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
    latencies.sort()
    accepted = statuses.get(200, 0)
    return {
        "bids_sent": bids,
        "accepted": accepted,
        "statuses": {str(code): count for code, count in sorted(statuses.items())},
        "wall_seconds": round(wall, 3),
        "accepted_bids_per_second": round(accepted / wall, 1),
        "answers_per_second": round(bids / wall, 1),
        "latency_ms_p50": round(statistics.median(latencies), 2),
        "latency_ms_p99": round(latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))], 2),
        "sent_within_seconds": round(sent_at[-1] - sent_at[0], 3) if sent_at else 0.0,
        "answered": sorted(answered),
    }


def _accepted(reply: bytes, key: str) -> tuple[int, str, int]:
    """(seq, Idempotency-Key, maximum) an accepted bid's answer gives."""
    bid = json.loads(reply)["bid"]
    return int(bid["seq"]), key, int(bid["max_amount"])

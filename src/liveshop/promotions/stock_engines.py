"""Where flash-sale units are counted: the SQL database (default) or Redis.

Both give the same guarantees: never more units claimed than the sale holds,
never more per buyer than the limit, and a retried attempt claims nothing twice.
"""

from __future__ import annotations

import asyncio
import enum
import hashlib
import threading
import time
from dataclasses import dataclass
from typing import Any, Protocol

import redis
import redis.asyncio
from sqlalchemy import insert, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from liveshop.core.bus import call_after_commit
from liveshop.core.db import rows_changed
from liveshop.promotions.models import FlashSale, FlashSaleBuyer

CLAIMS_GROUP = "order-writers"
# How long a worker answers "sold out" from memory before asking Redis again: a
# unit returned to the sale (a cancelled or expired order) through another worker
# is offered here at most this much later; through this worker, at once.
SOLD_OUT_MEMO_SECONDS = 1.0


class ClaimOutcome(enum.Enum):
    CLAIMED = "claimed"
    SOLD_OUT = "sold_out"
    OVER_LIMIT = "over_limit"
    DUPLICATE = "duplicate"  # this attempt was claimed before: find its order


@dataclass(frozen=True)
class Claim:
    outcome: ClaimOutcome
    remaining: int
    stream_entry: str | None = None


class StockEngine(Protocol):
    name: str

    def known_sold_out(self, sale_id: int) -> bool:
        """True only when certain, without touching the database."""

    def set_up(self, sale: FlashSale) -> None: ...

    def was_claimed(self, sale_id: int, user_id: int, attempt_key: str) -> bool:
        """Whether this attempt holds a unit whose order may not be written yet."""

    def claim(
        self, session: Session, *, sale: FlashSale, user_id: int, quantity: int, attempt_key: str
    ) -> Claim: ...

    def release(self, session: Session, *, sale_id: int, user_id: int, quantity: int) -> None: ...

    def remaining(self, session: Session, *, sale: FlashSale) -> int: ...


class SqlStockEngine:
    """Conditional UPDATEs inside the order's own transaction: claim and order commit together."""

    name = "sql"

    def __init__(self) -> None:
        self._sold_out: set[int] = set()
        self._lock = threading.Lock()

    def known_sold_out(self, sale_id: int) -> bool:
        return sale_id in self._sold_out

    def set_up(self, sale: FlashSale) -> None:
        return None

    def was_claimed(self, sale_id: int, user_id: int, attempt_key: str) -> bool:
        return False  # a SQL claim commits together with its order

    def claim(
        self, session: Session, *, sale: FlashSale, user_id: int, quantity: int, attempt_key: str
    ) -> Claim:
        self._ensure_buyer_row(session, sale_id=sale.id, user_id=user_id)
        within_limit = rows_changed(
            session.execute(
                update(FlashSaleBuyer)
                .where(
                    FlashSaleBuyer.sale_id == sale.id,
                    FlashSaleBuyer.user_id == user_id,
                    FlashSaleBuyer.bought + quantity <= sale.per_user_limit,
                )
                .values(bought=FlashSaleBuyer.bought + quantity)
            )
        )
        if within_limit != 1:
            return Claim(ClaimOutcome.OVER_LIMIT, remaining=-1)
        taken = session.execute(
            update(FlashSale)
            .where(FlashSale.id == sale.id, FlashSale.sold + quantity <= FlashSale.quantity)
            .values(sold=FlashSale.sold + quantity)
            .returning(FlashSale.quantity - FlashSale.sold)
        ).scalar_one_or_none()
        if taken is None:
            return Claim(ClaimOutcome.SOLD_OUT, remaining=0)
        if taken == 0:
            with self._lock:
                self._sold_out.add(sale.id)
        return Claim(ClaimOutcome.CLAIMED, remaining=int(taken))

    @staticmethod
    def _ensure_buyer_row(session: Session, *, sale_id: int, user_id: int) -> None:
        values = {"sale_id": sale_id, "user_id": user_id, "bought": 0}
        dialect = session.get_bind().dialect.name
        statement: Any
        if dialect == "postgresql":
            statement = postgresql.insert(FlashSaleBuyer).values(**values).on_conflict_do_nothing()
        elif dialect == "sqlite":
            statement = sqlite.insert(FlashSaleBuyer).values(**values).on_conflict_do_nothing()
        else:  # pragma: no cover - only SQLite and PostgreSQL are supported
            statement = insert(FlashSaleBuyer).values(**values)
        session.execute(statement)

    def release(self, session: Session, *, sale_id: int, user_id: int, quantity: int) -> None:
        session.execute(
            update(FlashSale).where(FlashSale.id == sale_id).values(sold=FlashSale.sold - quantity)
        )
        session.execute(
            update(FlashSaleBuyer)
            .where(FlashSaleBuyer.sale_id == sale_id, FlashSaleBuyer.user_id == user_id)
            .values(bought=FlashSaleBuyer.bought - quantity)
        )
        with self._lock:
            self._sold_out.discard(sale_id)

    def remaining(self, session: Session, *, sale: FlashSale) -> int:
        return sale.quantity - sale.sold


# KEYS: remaining, bought (hash user -> units), attempts (set), claims stream
# ARGV: user, quantity, per-user limit, attempt key, sale id
CLAIM_SCRIPT = """
local attempt = ARGV[1] .. ':' .. ARGV[4]
if redis.call('SISMEMBER', KEYS[3], attempt) == 1 then
  return {3, tonumber(redis.call('GET', KEYS[1]) or '0'), ''}
end
local quantity = tonumber(ARGV[2])
local remaining = tonumber(redis.call('GET', KEYS[1]) or '0')
if remaining < quantity then return {1, remaining, ''} end
local bought = tonumber(redis.call('HGET', KEYS[2], ARGV[1]) or '0')
if bought + quantity > tonumber(ARGV[3]) then return {2, remaining, ''} end
redis.call('DECRBY', KEYS[1], quantity)
redis.call('HINCRBY', KEYS[2], ARGV[1], quantity)
redis.call('SADD', KEYS[3], attempt)
local entry = redis.call('XADD', KEYS[4], '*', 'sale', ARGV[5], 'user', ARGV[1],
  'quantity', ARGV[2], 'attempt', ARGV[4])
return {0, remaining - quantity, entry}
"""
# KEYS: remaining, bought; ARGV: user, quantity
RELEASE_SCRIPT = """
redis.call('INCRBY', KEYS[1], ARGV[2])
redis.call('HINCRBY', KEYS[2], ARGV[1], -tonumber(ARGV[2]))
return 1
"""
# A claim the risk checks refused, undone: its units, the buyer's count, the attempt and
# its stream entry (so claims recovery writes no order for it).
# KEYS: remaining, bought, attempts, claims stream; ARGV: user, quantity, attempt key, entry
UNDO_CLAIM_SCRIPT = """
redis.call('INCRBY', KEYS[1], ARGV[2])
redis.call('HINCRBY', KEYS[2], ARGV[1], -tonumber(ARGV[2]))
redis.call('SREM', KEYS[3], ARGV[1] .. ':' .. ARGV[3])
redis.call('XACK', KEYS[4], ARGV[5], ARGV[4])
redis.call('XDEL', KEYS[4], ARGV[4])
return 1
"""
OUTCOMES = {
    0: ClaimOutcome.CLAIMED,
    1: ClaimOutcome.SOLD_OUT,
    2: ClaimOutcome.OVER_LIMIT,
    3: ClaimOutcome.DUPLICATE,
}


class RedisStockEngine:
    """An atomic Lua script per attempt; each claim is also put on a Redis Stream.

    The order is written right after the claim; if the process dies in between,
    claims recovery (``orders.claims_recovery``) writes it, idempotently.
    """

    name = "redis"

    def __init__(
        self,
        url: str,
        namespace: str = "liveshop",
        *,
        sold_out_memo_seconds: float = SOLD_OUT_MEMO_SECONDS,
    ) -> None:
        self.url = url
        self.namespace = namespace
        self.sold_out_memo_seconds = sold_out_memo_seconds
        self.stream = f"{namespace}:flash-claims"
        self.client = redis.Redis.from_url(url)
        self._claim = self.client.register_script(CLAIM_SCRIPT)
        self._release = self.client.register_script(RELEASE_SCRIPT)
        self._undo_claim = self.client.register_script(UNDO_CLAIM_SCRIPT)
        # Event-loop clients, one per loop (an asyncio connection belongs to its loop).
        self._loop_clients: dict[asyncio.AbstractEventLoop, _LoopClient] = {}
        self._sold_out_until: dict[int, float] = {}

    # --- in memory

    def sold_out_in_memory(self, sale_id: int) -> bool:
        """Redis said sold out less than ``sold_out_memo_seconds`` ago (no I/O at all)."""
        until = self._sold_out_until.get(sale_id)
        return until is not None and time.monotonic() < until

    def remember_sold_out(self, sale_id: int) -> None:
        self._sold_out_until[sale_id] = time.monotonic() + self.sold_out_memo_seconds

    def _forget_sold_out(self, sale_id: int) -> None:
        self._sold_out_until.pop(sale_id, None)

    # --- from the event loop

    def _loop_client(self) -> _LoopClient:
        loop = asyncio.get_running_loop()
        client = self._loop_clients.get(loop)
        if client is None:
            for stale in [known for known in self._loop_clients if known.is_closed()]:
                del self._loop_clients[stale]
            client = self._loop_clients[loop] = _LoopClient(self.url)
        return client

    async def claim_units(
        self, *, sale_id: int, per_user_limit: int, user_id: int, quantity: int, attempt_key: str
    ) -> Claim:
        """The Lua claim, awaited in the event loop; the caller mirrors ``sold`` in the
        database together with the order (see ``mirror_sold``)."""
        code, remaining, entry = await self._loop_client().claim(
            [*self.keys(sale_id), self.stream],
            [user_id, quantity, per_user_limit, attempt_key, sale_id],
        )
        return self._claim_from(sale_id, int(code), int(remaining), entry)

    def undo_claim(
        self, sale_id: int, user_id: int, quantity: int, attempt_key: str, entry: str
    ) -> None:
        """A claim refused after it was made (the risk checks): as if it never was."""
        self._undo_claim(
            keys=[*self.keys(sale_id), self.stream],
            args=[user_id, quantity, attempt_key, entry, CLAIMS_GROUP],
        )
        self._forget_sold_out(sale_id)

    async def was_claimed_async(self, sale_id: int, user_id: int, attempt_key: str) -> bool:
        attempts_key = self.keys(sale_id)[2]
        member = f"{user_id}:{attempt_key}"
        return await self._loop_client().is_member(attempts_key, member)

    def _claim_from(self, sale_id: int, code: int, remaining: int, entry: Any) -> Claim:
        outcome = OUTCOMES[code]
        if outcome is ClaimOutcome.SOLD_OUT or (outcome is ClaimOutcome.CLAIMED and remaining <= 0):
            self.remember_sold_out(sale_id)
        stream_entry = entry.decode() if isinstance(entry, bytes) and entry else None
        return Claim(outcome, remaining=remaining, stream_entry=stream_entry)

    def keys(self, sale_id: int) -> list[str]:
        """remaining, bought (hash user -> units), attempts (set); one hash slot per sale."""
        base = f"{self.namespace}:flash:{{{sale_id}}}"
        return [f"{base}:remaining", f"{base}:bought", f"{base}:attempts"]

    def acknowledge(self, *entries: str) -> None:
        """The claims' orders are committed: the recovery job need not look at them."""
        self.client.xack(self.stream, CLAIMS_GROUP, *entries)

    def known_sold_out(self, sale_id: int) -> bool:
        if self.sold_out_in_memory(sale_id):
            return True
        value = self.client.get(self.keys(sale_id)[0])
        if value is not None and int(value) <= 0:
            self.remember_sold_out(sale_id)
            return True
        return False

    def was_claimed(self, sale_id: int, user_id: int, attempt_key: str) -> bool:
        attempts_key = self.keys(sale_id)[2]
        return bool(self.client.sismember(attempts_key, f"{user_id}:{attempt_key}"))

    def set_up(self, sale: FlashSale) -> None:
        remaining_key = self.keys(sale.id)[0]
        self.client.set(remaining_key, sale.quantity - sale.sold, nx=True)

    def claim(
        self, session: Session, *, sale: FlashSale, user_id: int, quantity: int, attempt_key: str
    ) -> Claim:
        code, remaining, entry = self._claim(
            keys=[*self.keys(sale.id), self.stream],
            args=[user_id, quantity, sale.per_user_limit, attempt_key, sale.id],
        )
        claim = self._claim_from(sale.id, int(code), int(remaining), entry)
        if claim.outcome is ClaimOutcome.CLAIMED:
            mirror_sold(session, sale_id=sale.id, change=quantity)
        return claim

    def release(self, session: Session, *, sale_id: int, user_id: int, quantity: int) -> None:
        """The database first; Redis only once that commits, so a rollback leaks nothing."""
        mirror_sold(session, sale_id=sale_id, change=-quantity)
        call_after_commit(session, lambda: self.give_back(sale_id, user_id, quantity))

    def give_back(self, sale_id: int, user_id: int, quantity: int) -> None:
        """Units return to the sale in Redis (and to the buyer's limit)."""
        remaining_key, bought_key, _attempts = self.keys(sale_id)
        self._release(keys=[remaining_key, bought_key], args=[user_id, quantity])
        self._forget_sold_out(sale_id)

    def remaining(self, session: Session, *, sale: FlashSale) -> int:
        value = self.client.get(self.keys(sale.id)[0])
        return int(value) if value is not None else sale.quantity - sale.sold


class _LoopClient:
    """Redis from one event loop, with a crowd's commands pipelined.

    Commands that arrive while a round trip is in flight are sent together in
    the next one (one pipeline, one write, one read): a thousand claims cost a
    few round trips and no connection-pool contention. Membership checks of
    one set go as one SMISMEMBER.
    """

    def __init__(self, url: str) -> None:
        self.client: redis.asyncio.Redis = redis.asyncio.Redis.from_url(url)
        self.claim_sha = hashlib.sha1(CLAIM_SCRIPT.encode()).hexdigest()
        self._claims: list[tuple[list[Any], asyncio.Future[Any]]] = []
        self._checks: list[tuple[str, str, asyncio.Future[Any]]] = []
        self._draining: asyncio.Task[None] | None = None

    async def claim(self, keys: list[str], args: list[Any]) -> Any:
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._claims.append(([*keys, *args], future))
        self._wake()
        return await future

    async def is_member(self, key: str, member: str) -> bool:
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._checks.append((key, member, future))
        self._wake()
        return bool(await future)

    def _wake(self) -> None:
        if self._draining is None:
            self._draining = asyncio.create_task(self._drain())

    async def _drain(self) -> None:
        try:
            while self._claims or self._checks:
                claims, self._claims = self._claims, []
                checks, self._checks = self._checks, []
                futures = [future for _args, future in claims] + [c[2] for c in checks]
                try:
                    await self._round_trip(claims, checks)
                except Exception as error:  # every waiter gets the failure, none hangs
                    for future in futures:
                        if not future.done():
                            future.set_exception(error)
        finally:
            self._draining = None

    async def _round_trip(
        self,
        claims: list[tuple[list[Any], asyncio.Future[Any]]],
        checks: list[tuple[str, str, asyncio.Future[Any]]],
    ) -> None:
        by_key: dict[str, list[tuple[str, asyncio.Future[Any]]]] = {}
        for key, member, future in checks:
            by_key.setdefault(key, []).append((member, future))
        pipeline = self.client.pipeline(transaction=False)
        for arguments, _future in claims:
            pipeline.evalsha(self.claim_sha, 4, *arguments)
        for key, members in by_key.items():
            pipeline.smismember(key, [member for member, _future in members])
        replies = await pipeline.execute(raise_on_error=False)
        claim_replies, check_replies = replies[: len(claims)], replies[len(claims) :]
        if any(_no_script(reply) for reply in claim_replies):
            # Redis restarted (scripts are not persisted): load it and send those
            # claims again in the next round trip; NOSCRIPT means it did not run.
            await self.client.script_load(CLAIM_SCRIPT)
        for claim, reply in zip(claims, claim_replies, strict=True):
            if _no_script(reply):
                self._claims.append(claim)
            else:
                _settle(claim[1], reply)
        for (_key, members), reply in zip(by_key.items(), check_replies, strict=True):
            if isinstance(reply, Exception):
                for _member, future in members:
                    _settle(future, reply)
                continue
            for (_member, future), found in zip(members, reply, strict=True):
                _settle(future, found)


def _no_script(reply: Any) -> bool:
    return isinstance(reply, redis.exceptions.NoScriptError)


def _settle(future: asyncio.Future[Any], reply: Any) -> None:
    if future.done():  # its request went away
        return
    if isinstance(reply, Exception):
        future.set_exception(reply)
    else:
        future.set_result(reply)


def mirror_sold(session: Session, *, sale_id: int, change: int) -> None:
    """Keep the database's ``sold`` equal to Redis' count (its CHECK still forbids oversell)."""
    session.execute(
        update(FlashSale).where(FlashSale.id == sale_id).values(sold=FlashSale.sold + change)
    )


def make_stock_engine(redis_url: str | None) -> StockEngine:
    return RedisStockEngine(redis_url) if redis_url else SqlStockEngine()

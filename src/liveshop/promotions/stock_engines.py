"""Where flash-sale units are counted: the SQL database (default) or Redis.

Both give the same guarantees: never more units claimed than the sale holds,
never more per buyer than the limit, and a retried attempt claims nothing twice.
"""

from __future__ import annotations

import enum
import threading
from dataclasses import dataclass
from typing import Any, Protocol

import redis
from sqlalchemy import insert, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from liveshop.core.bus import call_after_commit
from liveshop.core.db import rows_changed
from liveshop.promotions.models import FlashSale, FlashSaleBuyer

CLAIMS_GROUP = "order-writers"


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
OUTCOMES = {
    0: ClaimOutcome.CLAIMED,
    1: ClaimOutcome.SOLD_OUT,
    2: ClaimOutcome.OVER_LIMIT,
    3: ClaimOutcome.DUPLICATE,
}


class RedisStockEngine:
    """An atomic Lua script per attempt; each claim is also put on a Redis Stream.

    The order is written right after the claim; if the process dies in between,
    the stream consumer (see promotions.claims_consumer) writes it, idempotently.
    """

    name = "redis"

    def __init__(self, url: str, namespace: str = "liveshop") -> None:
        self.namespace = namespace
        self.stream = f"{namespace}:flash-claims"
        self.client = redis.Redis.from_url(url)
        self._claim = self.client.register_script(CLAIM_SCRIPT)
        self._release = self.client.register_script(RELEASE_SCRIPT)

    def keys(self, sale_id: int) -> list[str]:
        """remaining, bought (hash user -> units), attempts (set); one hash slot per sale."""
        base = f"{self.namespace}:flash:{{{sale_id}}}"
        return [f"{base}:remaining", f"{base}:bought", f"{base}:attempts"]

    def acknowledge(self, entry: str) -> None:
        """The claim's order is committed: the recovery job need not look at it."""
        self.client.xack(self.stream, CLAIMS_GROUP, entry)

    def known_sold_out(self, sale_id: int) -> bool:
        value = self.client.get(self.keys(sale_id)[0])
        return value is not None and int(value) <= 0

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
        outcome = OUTCOMES[int(code)]
        if outcome is ClaimOutcome.CLAIMED:
            mirror_sold(session, sale_id=sale.id, change=quantity)
        stream_entry = entry.decode() if isinstance(entry, bytes) and entry else None
        return Claim(outcome, remaining=int(remaining), stream_entry=stream_entry)

    def release(self, session: Session, *, sale_id: int, user_id: int, quantity: int) -> None:
        """The database first; Redis only once that commits, so a rollback leaks nothing."""
        mirror_sold(session, sale_id=sale_id, change=-quantity)
        remaining_key, bought_key, _attempts = self.keys(sale_id)
        call_after_commit(
            session,
            lambda: self._release(keys=[remaining_key, bought_key], args=[user_id, quantity]),
        )

    def remaining(self, session: Session, *, sale: FlashSale) -> int:
        value = self.client.get(self.keys(sale.id)[0])
        return int(value) if value is not None else sale.quantity - sale.sold


def mirror_sold(session: Session, *, sale_id: int, change: int) -> None:
    """Keep the database's ``sold`` equal to Redis' count (its CHECK still forbids oversell)."""
    session.execute(
        update(FlashSale).where(FlashSale.id == sale_id).values(sold=FlashSale.sold + change)
    )


def make_stock_engine(redis_url: str | None) -> StockEngine:
    return RedisStockEngine(redis_url) if redis_url else SqlStockEngine()

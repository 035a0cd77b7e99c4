"""The rolling state in Redis, shared by every worker: each operation is one Lua
script, so a write and the figures it answers are one atomic step (two
payments at once each count the other, on any worker).

An assessment makes a dozen or more operations. One at a time they cost a round
trip each (about 2 ms an assessment, on the event loop of a flash sale); so
``batched`` runs the features twice: once planning, each operation answered with
a neutral value and noted, then the noted operations go to Redis in one
pipeline, then the features run again on the answers. Which operations a
feature makes depends on the event, not on the answers, but for one read
(a merchant check over the members an answer lists): an operation the plan did
not foresee is sent on its own.
"""

from __future__ import annotations

import copy
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

import redis

from liveshop.risk.state import (
    AMOUNT_HISTORY,
    DAY,
    EMPTY_SERIES,
    HALF_LIFE,
    MAX_MEMBERS,
    MEMBER_HORIZON,
    WINDOWS,
    MemberStats,
    RiskState,
    SeriesStats,
)

PREFIX = "liveshop:risk:"
KEEP_SECONDS = int(MEMBER_HORIZON + DAY)  # keys idle this long expire

_SERIES = """
local key, ts, add = KEYS[1], tonumber(ARGV[1]), ARGV[2]
if add ~= '' then redis.call('ZADD', key, ts, add) end
redis.call('ZREMRANGEBYSCORE', key, '-inf', '(' .. (ts - tonumber(ARGV[3])))
redis.call('EXPIRE', key, tonumber(ARGV[4]))
local out = {}
for index = 5, #ARGV do
  local items = redis.call('ZRANGEBYSCORE', key, ts - tonumber(ARGV[index]), '+inf')
  local total = 0
  for _, item in ipairs(items) do total = total + tonumber(string.match(item, '^[^|]*')) end
  table.insert(out, #items)
  table.insert(out, string.format('%.17g', total))
end
return out
"""
_MEMBER = """
local key, member, ts = KEYS[1], ARGV[1], tonumber(ARGV[2])
local known = redis.call('ZSCORE', key, member) and 1 or 0
redis.call('ZADD', key, ts, member)
redis.call('ZREMRANGEBYRANK', key, 0, -(tonumber(ARGV[3]) + 1))
redis.call('EXPIRE', key, tonumber(ARGV[4]))
return {redis.call('ZCOUNT', key, ts - tonumber(ARGV[5]), '+inf'),
        redis.call('ZCOUNT', key, ts - tonumber(ARGV[6]), '+inf'), known}
"""
_AMOUNTS = """
local earlier = redis.call('LRANGE', KEYS[1], 0, -1)
redis.call('RPUSH', KEYS[1], ARGV[1])
redis.call('LTRIM', KEYS[1], -tonumber(ARGV[2]), -1)
redis.call('EXPIRE', KEYS[1], tonumber(ARGV[3]))
return earlier
"""
_FIRST = """
local ts, horizon = tonumber(ARGV[1]), tonumber(ARGV[2])
local first = tonumber(redis.call('HGET', KEYS[1], 'first') or ARGV[1])
local last = tonumber(redis.call('HGET', KEYS[1], 'last') or ARGV[1])
if ts - last > horizon then first = ts end
redis.call('HSET', KEYS[1], 'first', string.format('%.17g', first), 'last', ARGV[1])
redis.call('EXPIRE', KEYS[1], tonumber(ARGV[3]))
return string.format('%.17g', first)
"""
_DECAYED = """
local ts, value, half_life = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local count = tonumber(redis.call('HGET', KEYS[1], 'count') or '0')
local at = tonumber(redis.call('HGET', KEYS[1], 'at') or ARGV[1])
local before = count * 0.5 ^ (math.max(ts - at, 0) / half_life)
if value ~= 0 then
  redis.call('HSET', KEYS[1], 'count', string.format('%.17g', before + value), 'at', ARGV[1])
  redis.call('EXPIRE', KEYS[1], tonumber(ARGV[4]))
end
return string.format('%.17g', before)
"""


T = TypeVar("T")
NO_MEMBERS = MemberStats(day=0, month=0, known=False)


@dataclass(frozen=True)
class _Call(Generic[T]):
    """One operation: what it is (method and arguments), how to send it (to the client
    or to a pipeline), how to read its raw answer, and the planning pass's answer."""

    identity: tuple[object, ...]
    send: Callable[[Any], Any]
    parse: Callable[[Any], T]
    neutral: T


def _series(answer: list[Any]) -> SeriesStats:
    counts = (int(answer[0]), int(answer[2]), int(answer[4]))
    sums = (float(answer[1]), float(answer[3]), float(answer[5]))
    return SeriesStats(counts, sums)


def _members(answer: list[Any]) -> MemberStats:
    day, month, known = answer
    return MemberStats(day=int(day), month=int(month), known=bool(known))


def _amounts(earlier: list[bytes]) -> list[tuple[float, float]]:
    pairs = [item.decode().split("|") for item in earlier]
    return [(float(at), float(value)) for at, value in pairs]


def _optional_float(value: Any) -> float | None:
    return None if value is None else float(value)


def _run(script: Any, client: Any, keys: list[str], args: list[Any]) -> Any:
    """A script, by its text in a pipeline: redis-py would check with a round trip of
    its own (SCRIPT EXISTS) that the scripts are loaded before every pipeline."""
    if isinstance(client, redis.client.Pipeline):
        return client.eval(script.script, len(keys), *keys, *args)
    return script(keys=keys, args=args, client=client)


class RedisState:
    def __init__(self, client: Any, *, prefix: str = PREFIX) -> None:
        self.client = client
        self.prefix = prefix
        self._series = client.register_script(_SERIES)
        self._member = client.register_script(_MEMBER)
        self._amounts = client.register_script(_AMOUNTS)
        self._first = client.register_script(_FIRST)
        self._decayed = client.register_script(_DECAYED)
        self._answerer: Callable[[_Call[Any]], Any] = self._send_alone

    @staticmethod
    def from_url(url: str, *, prefix: str = PREFIX) -> RedisState:
        return RedisState(redis.Redis.from_url(url), prefix=prefix)

    def _answer(self, call: _Call[T]) -> T:
        answer: T = self._answerer(call)
        return answer

    def _send_alone(self, call: _Call[T]) -> T:
        return call.parse(call.send(self.client))

    def batched(self, compute: Callable[[RiskState], T]) -> T:
        """``compute(state)`` with its operations sent in one pipeline (see above)."""
        planned: list[_Call[Any]] = []

        def plan(call: _Call[Any]) -> Any:
            planned.append(call)
            return call.neutral

        compute(self._answering(plan))
        pipeline = self.client.pipeline(transaction=False)
        for call in planned:
            call.send(pipeline)
        raw = iter(zip(planned, pipeline.execute(), strict=True))
        pending = next(raw, None)

        def answer(call: _Call[Any]) -> Any:
            nonlocal pending
            if pending is None or pending[0].identity != call.identity:
                return self._send_alone(call)
            result = pending[0].parse(pending[1])
            pending = next(raw, None)
            return result

        return compute(self._answering(answer))

    def _answering(self, answer: Callable[[_Call[Any]], Any]) -> RedisState:
        state = copy.copy(self)
        state._answerer = answer
        return state

    def _stats(self, key: str, ts: float, add: str) -> SeriesStats:
        args = [repr(ts), add, repr(DAY), KEEP_SECONDS, *map(repr, WINDOWS)]
        return self._answer(
            _Call(
                ("series", key, ts, tuple(add.split("|")[:2])),
                lambda client: _run(self._series, client, [key], args),
                _series,
                EMPTY_SERIES,
            )
        )

    def add_to_series(self, name: str, key: str, ts: float, value: float) -> SeriesStats:
        member = f"{value!r}|{ts!r}|{secrets.token_hex(4)}"
        return self._stats(f"{self.prefix}s:{name}:{key}", ts, member)

    def read_series(self, name: str, key: str, ts: float) -> SeriesStats:
        return self._stats(f"{self.prefix}s:{name}:{key}", ts, "")

    def add_member(self, name: str, key: str, member: str, ts: float) -> MemberStats:
        redis_key = f"{self.prefix}m:{name}:{key}"
        args = [member, repr(ts), MAX_MEMBERS, KEEP_SECONDS, repr(DAY), repr(MEMBER_HORIZON)]
        return self._answer(
            _Call(
                ("member", redis_key, member, ts),
                lambda client: _run(self._member, client, [redis_key], args),
                _members,
                NO_MEMBERS,
            )
        )

    def has_member(self, name: str, key: str, member: str) -> bool:
        redis_key = f"{self.prefix}m:{name}:{key}"
        return self._answer(
            _Call(
                ("has", redis_key, member),
                lambda client: client.zscore(redis_key, member),
                lambda score: score is not None,
                False,
            )
        )

    def recent_members(self, name: str, key: str, limit: int) -> list[str]:
        redis_key = f"{self.prefix}m:{name}:{key}"
        return self._answer(
            _Call(
                ("recent", redis_key, limit),
                lambda client: client.zrevrange(redis_key, 0, limit - 1),
                lambda found: [item.decode() for item in found],
                [],
            )
        )

    def push_amount(self, user: str, ts: float, amount: float) -> list[tuple[float, float]]:
        redis_key = f"{self.prefix}a:{user}"
        args = [f"{ts!r}|{amount!r}", AMOUNT_HISTORY, KEEP_SECONDS]
        return self._answer(
            _Call(
                ("amounts", redis_key, ts, amount),
                lambda client: _run(self._amounts, client, [redis_key], args),
                _amounts,
                [],
            )
        )

    def swap_last(self, name: str, key: str, ts: float) -> float | None:
        redis_key = f"{self.prefix}l:{name}:{key}"
        return self._answer(
            _Call(
                ("swap", redis_key, ts),
                lambda client: client.set(redis_key, repr(ts), ex=KEEP_SECONDS, get=True),
                _optional_float,
                None,
            )
        )

    def last_time(self, name: str, key: str) -> float | None:
        redis_key = f"{self.prefix}l:{name}:{key}"
        return self._answer(
            _Call(("last", redis_key), lambda client: client.get(redis_key), _optional_float, None)
        )

    def first_time(self, name: str, key: str, ts: float, horizon: float) -> float:
        redis_key = f"{self.prefix}f:{name}:{key}"
        args = [repr(ts), repr(horizon), KEEP_SECONDS]
        return self._answer(
            _Call(
                ("first", redis_key, ts, horizon),
                lambda client: _run(self._first, client, [redis_key], args),
                float,
                ts,
            )
        )

    def add_decayed(self, name: str, key: str, ts: float, value: float) -> float:
        redis_key = f"{self.prefix}d:{name}:{key}"
        args = [repr(ts), repr(value), repr(HALF_LIFE), KEEP_SECONDS]
        return self._answer(
            _Call(
                ("decayed", redis_key, ts, value),
                lambda client: _run(self._decayed, client, [redis_key], args),
                float,
                0.0,
            )
        )

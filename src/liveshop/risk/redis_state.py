"""The rolling state in Redis, shared by every worker: each operation is one Lua
script, so a write and the figures it answers are one atomic step (two
payments at once each count the other, on any worker)."""

from __future__ import annotations

import secrets
from typing import Any

import redis

from liveshop.risk.state import (
    AMOUNT_HISTORY,
    DAY,
    HALF_LIFE,
    MAX_MEMBERS,
    MEMBER_HORIZON,
    WINDOWS,
    MemberStats,
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


class RedisState:
    def __init__(self, client: Any, *, prefix: str = PREFIX) -> None:
        self.client = client
        self.prefix = prefix
        self._series = client.register_script(_SERIES)
        self._member = client.register_script(_MEMBER)
        self._amounts = client.register_script(_AMOUNTS)
        self._first = client.register_script(_FIRST)
        self._decayed = client.register_script(_DECAYED)

    @staticmethod
    def from_url(url: str, *, prefix: str = PREFIX) -> RedisState:
        return RedisState(redis.Redis.from_url(url), prefix=prefix)

    def _stats(self, key: str, ts: float, add: str) -> SeriesStats:
        answer = self._series(
            keys=[key], args=[repr(ts), add, repr(DAY), KEEP_SECONDS, *map(repr, WINDOWS)]
        )
        counts = (int(answer[0]), int(answer[2]), int(answer[4]))
        sums = (float(answer[1]), float(answer[3]), float(answer[5]))
        return SeriesStats(counts, sums)

    def add_to_series(self, name: str, key: str, ts: float, value: float) -> SeriesStats:
        member = f"{value!r}|{ts!r}|{secrets.token_hex(4)}"
        return self._stats(f"{self.prefix}s:{name}:{key}", ts, member)

    def read_series(self, name: str, key: str, ts: float) -> SeriesStats:
        return self._stats(f"{self.prefix}s:{name}:{key}", ts, "")

    def add_member(self, name: str, key: str, member: str, ts: float) -> MemberStats:
        day, month, known = self._member(
            keys=[f"{self.prefix}m:{name}:{key}"],
            args=[member, repr(ts), MAX_MEMBERS, KEEP_SECONDS, repr(DAY), repr(MEMBER_HORIZON)],
        )
        return MemberStats(day=int(day), month=int(month), known=bool(known))

    def has_member(self, name: str, key: str, member: str) -> bool:
        return self.client.zscore(f"{self.prefix}m:{name}:{key}", member) is not None

    def recent_members(self, name: str, key: str, limit: int) -> list[str]:
        found = self.client.zrevrange(f"{self.prefix}m:{name}:{key}", 0, limit - 1)
        return [item.decode() for item in found]

    def push_amount(self, user: str, ts: float, amount: float) -> list[tuple[float, float]]:
        earlier = self._amounts(
            keys=[f"{self.prefix}a:{user}"],
            args=[f"{ts!r}|{amount!r}", AMOUNT_HISTORY, KEEP_SECONDS],
        )
        pairs = [item.decode().split("|") for item in earlier]
        return [(float(at), float(value)) for at, value in pairs]

    def swap_last(self, name: str, key: str, ts: float) -> float | None:
        previous = self.client.set(
            f"{self.prefix}l:{name}:{key}", repr(ts), ex=KEEP_SECONDS, get=True
        )
        return None if previous is None else float(previous)

    def last_time(self, name: str, key: str) -> float | None:
        value = self.client.get(f"{self.prefix}l:{name}:{key}")
        return None if value is None else float(value)

    def first_time(self, name: str, key: str, ts: float, horizon: float) -> float:
        return float(
            self._first(
                keys=[f"{self.prefix}f:{name}:{key}"], args=[repr(ts), repr(horizon), KEEP_SECONDS]
            )
        )

    def add_decayed(self, name: str, key: str, ts: float, value: float) -> float:
        return float(
            self._decayed(
                keys=[f"{self.prefix}d:{name}:{key}"],
                args=[repr(ts), repr(value), repr(HALF_LIFE), KEEP_SECONDS],
            )
        )

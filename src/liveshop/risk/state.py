"""The rolling state the features read: time series, member sets and small profiles.

``RiskState`` is the boundary; :class:`MemoryState` keeps it in the process (the
default, and what the offline replay uses), ``redis_state.RedisState`` in Redis
when ``LIVESHOP_REDIS_URL`` is set, so every worker counts the same attempts.
Each write also answers the figures after it, in one step, so two requests at
once each see the other's attempt (a burst cannot slip past a count).
"""

from __future__ import annotations

from bisect import bisect_left
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol, TypeVar

MINUTE = 60.0
HOUR = 3600.0
DAY = 86400.0
WINDOWS = (MINUTE, HOUR, DAY)  # the 1 min / 1 h / 24 h windows of every series
MEMBER_HORIZON = 30 * DAY  # distinct members are remembered this long
MAX_MEMBERS = 2000  # a carrier's shared IP sees many users; beyond this, the oldest go
HALF_LIFE = 30 * DAY  # refund rates and activity counts weigh the last month most
AMOUNT_HISTORY = 60  # a user's last amounts, for the z-score and the 90-day p95


@dataclass(frozen=True, slots=True)
class SeriesStats:
    counts: tuple[int, int, int]  # in the last minute, hour, day
    sums: tuple[float, float, float]


@dataclass(frozen=True, slots=True)
class MemberStats:
    day: int  # distinct members seen in the last 24 h
    month: int  # ... in the last 30 days
    known: bool  # this member was already there before this event


EMPTY_SERIES = SeriesStats((0, 0, 0), (0.0, 0.0, 0.0))
T = TypeVar("T")


class RiskState(Protocol):
    def batched(self, compute: Callable[[RiskState], T]) -> T:
        """``compute(self)``: one assessment's operations, sent together where a round
        trip is dear (Redis)."""
        ...

    def add_to_series(self, name: str, key: str, ts: float, value: float) -> SeriesStats:
        """Append (ts, value) to a series and answer its windows, this point included."""
        ...

    def read_series(self, name: str, key: str, ts: float) -> SeriesStats: ...

    def add_member(self, name: str, key: str, member: str, ts: float) -> MemberStats: ...

    def has_member(self, name: str, key: str, member: str) -> bool: ...

    def recent_members(self, name: str, key: str, limit: int) -> list[str]:
        """Up to ``limit`` members, the most recently seen first."""
        ...

    def push_amount(self, user: str, ts: float, amount: float) -> list[tuple[float, float]]:
        """The user's earlier amounts (ts, amount), oldest first, then remember this one."""
        ...

    def swap_last(self, name: str, key: str, ts: float) -> float | None:
        """Remember ``ts`` as the last time of ``key``; answer the previous one."""
        ...

    def last_time(self, name: str, key: str) -> float | None:
        """The last time remembered by ``swap_last``, unchanged."""
        ...

    def first_time(self, name: str, key: str, ts: float, horizon: float) -> float:
        """When ``key`` was first seen (``ts`` if never, or if that was longer than
        ``horizon`` ago: then ``ts`` starts a new run)."""
        ...

    def add_decayed(self, name: str, key: str, ts: float, value: float) -> float:
        """Add ``value`` to a count that halves every ``HALF_LIFE``; answer the count
        before this addition (add 0 to read it)."""
        ...


class _Series:
    """Times (non-decreasing) and running sums, pruned past the longest window."""

    __slots__ = ("start", "times", "totals")

    def __init__(self) -> None:
        self.times: list[float] = []
        self.totals: list[float] = [0.0]  # totals[i] = sum of the first i values
        self.start = 0

    def add(self, ts: float, value: float) -> None:
        if self.times and ts < self.times[-1]:
            ts = self.times[-1]  # a late arrival counts as now: windows stay sorted
        self.times.append(ts)
        self.totals.append(self.totals[-1] + value)
        self._prune(ts)

    def stats(self, ts: float) -> SeriesStats:
        times, totals, end = self.times, self.totals, len(self.times)
        counts: list[int] = []
        sums: list[float] = []
        for window in WINDOWS:
            first = bisect_left(times, ts - window, self.start, end)
            counts.append(end - first)
            sums.append(totals[end] - totals[first])
        return SeriesStats((counts[0], counts[1], counts[2]), (sums[0], sums[1], sums[2]))

    def _prune(self, ts: float) -> None:
        first = bisect_left(self.times, ts - DAY, self.start)
        self.start = first
        if first > 256 and first > len(self.times) // 2:
            self.times = self.times[first:]
            base = self.totals[first]
            self.totals = [total - base for total in self.totals[first:]]
            self.start = 0


class MemoryState:
    """The state in this process. Not thread-safe by itself: the engine serialises
    each assessment (features read and written in one step)."""

    def __init__(self) -> None:
        self._series: dict[tuple[str, str], _Series] = {}
        self._members: dict[tuple[str, str], dict[str, float]] = {}
        self._amounts: dict[str, deque[tuple[float, float]]] = {}
        self._last: dict[tuple[str, str], float] = {}
        self._first: dict[tuple[str, str], tuple[float, float]] = {}
        self._decayed: dict[tuple[str, str], tuple[float, float]] = {}

    def batched(self, compute: Callable[[RiskState], T]) -> T:
        return compute(self)

    def add_to_series(self, name: str, key: str, ts: float, value: float) -> SeriesStats:
        series = self._series.get((name, key))
        if series is None:
            series = self._series[(name, key)] = _Series()
        series.add(ts, value)
        return series.stats(ts)

    def read_series(self, name: str, key: str, ts: float) -> SeriesStats:
        series = self._series.get((name, key))
        return EMPTY_SERIES if series is None else series.stats(ts)

    def add_member(self, name: str, key: str, member: str, ts: float) -> MemberStats:
        members = self._members.get((name, key))
        if members is None:
            members = self._members[(name, key)] = {}
        known = member in members
        members.pop(member, None)  # re-inserted last: dicts keep the oldest first
        members[member] = ts
        if len(members) > MAX_MEMBERS:
            del members[next(iter(members))]
        day = month = 0
        for seen in reversed(members.values()):
            if seen < ts - MEMBER_HORIZON:
                break
            month += 1
            if seen >= ts - DAY:
                day += 1
        return MemberStats(day=day, month=month, known=known)

    def has_member(self, name: str, key: str, member: str) -> bool:
        members = self._members.get((name, key))
        return members is not None and member in members

    def recent_members(self, name: str, key: str, limit: int) -> list[str]:
        members = self._members.get((name, key))
        if not members:
            return []
        found: list[str] = []
        for member in reversed(members):
            found.append(member)
            if len(found) == limit:
                break
        return found

    def push_amount(self, user: str, ts: float, amount: float) -> list[tuple[float, float]]:
        history = self._amounts.get(user)
        if history is None:
            history = self._amounts[user] = deque(maxlen=AMOUNT_HISTORY)
        earlier = list(history)
        history.append((ts, amount))
        return earlier

    def swap_last(self, name: str, key: str, ts: float) -> float | None:
        previous = self._last.get((name, key))
        self._last[(name, key)] = ts
        return previous

    def last_time(self, name: str, key: str) -> float | None:
        return self._last.get((name, key))

    def first_time(self, name: str, key: str, ts: float, horizon: float) -> float:
        first, last = self._first.get((name, key), (ts, ts))
        if ts - last > horizon:
            first = ts
        self._first[(name, key)] = (first, ts)
        return first

    def add_decayed(self, name: str, key: str, ts: float, value: float) -> float:
        count, at = self._decayed.get((name, key), (0.0, ts))
        before = float(count * 0.5 ** (max(ts - at, 0.0) / HALF_LIFE))
        if value:
            self._decayed[(name, key)] = (before + value, ts)
        return before

"""Flash-sale winners' orders (Redis engine), written many to a transaction.

Redis decides who won; what is left is writing the winners' orders
(``placement.place_won_orders``). The winners that arrive while a batch is
being written wait for the next batch, and a batch is one transaction of a few
multi-row statements. A batch that fails (another writer, such as claims
recovery, placed one of its orders first) is written again one order at a
time, so one claim never fails the others.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from liveshop.core.batching import BatchedCalls
from liveshop.core.bus import call_after_commit, publish_after_commit
from liveshop.core.db import unit_of_work
from liveshop.orders.placement import Win, place_won_orders
from liveshop.orders.schemas import OrderOut
from liveshop.promotions.stock_engines import Claim, RedisStockEngine

MAX_BATCH = 200


@dataclass(frozen=True)
class ClaimedWin:
    """A win and the Redis claim behind it (its remaining count, its stream entry)."""

    win: Win
    claim: Claim


class ClaimedOrderWriter:
    """Writes the wins of one database in batches, from the event loop's side."""

    def __init__(self, database_url: str, engine: RedisStockEngine) -> None:
        self.database_url = database_url
        self.engine = engine
        self.calls: BatchedCalls[ClaimedWin, OrderOut] = BatchedCalls(
            self._write, max_batch=MAX_BATCH
        )

    async def order_for(self, win: Win, claim: Claim) -> OrderOut:
        return await self.calls.call(ClaimedWin(win, claim))

    def _write(self, wins: list[ClaimedWin]) -> list[OrderOut | Exception]:
        by_sale: dict[int, list[int]] = {}
        for index, claimed in enumerate(wins):
            by_sale.setdefault(claimed.win.terms.id, []).append(index)
        results: list[OrderOut | Exception] = [RuntimeError("not written")] * len(wins)
        for indexes in by_sale.values():
            sale_wins = [wins[index] for index in indexes]
            for index, result in zip(indexes, self._write_sale(sale_wins), strict=True):
                results[index] = result
        return results

    def _write_sale(self, wins: list[ClaimedWin]) -> list[OrderOut | Exception]:
        try:
            return list(self._commit(wins))
        except Exception:
            return [self._write_one(claimed) for claimed in wins]

    def _write_one(self, claimed: ClaimedWin) -> OrderOut | Exception:
        try:
            return self._commit([claimed])[0]
        except Exception as error:  # AttemptInProgress: another writer placed it first
            return error

    def _commit(self, wins: list[ClaimedWin]) -> list[OrderOut]:
        """One sale's wins in one transaction; their stream entries are acknowledged
        after it commits (else claims recovery writes their orders)."""
        with unit_of_work(self.database_url) as session:
            outs = place_won_orders(session, [claimed.win for claimed in wins], count_sold=True)
            remaining = min(claimed.claim.remaining for claimed in wins)
            publish_after_commit(session, wins[0].win.terms.notice(remaining))
            entries = [claimed.claim.stream_entry for claimed in wins if claimed.claim.stream_entry]
            if entries:
                call_after_commit(session, lambda: self.engine.acknowledge(*entries))
        return outs


_writers: dict[tuple[asyncio.AbstractEventLoop, str], ClaimedOrderWriter] = {}


def writer_for(database_url: str, engine: RedisStockEngine) -> ClaimedOrderWriter:
    key = (asyncio.get_running_loop(), database_url)
    writer = _writers.get(key)
    if writer is None:
        for stale in [known for known in _writers if known[0].is_closed()]:
            del _writers[stale]
        writer = _writers[key] = ClaimedOrderWriter(database_url, engine)
    return writer

"""Calls gathered while a worker thread is busy, then handled together.

A crowd released at once (a flash sale) makes thousands of small requests for
the same kind of database work. Handling each in its own thread hop and
transaction costs far more than the work; instead the first caller starts a
batch in a worker thread, callers that arrive meanwhile wait for the next
batch, and each batch is one call of a function that takes them all.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from typing import Generic, TypeVar

Item = TypeVar("Item")
Result = TypeVar("Result")


class BatchedCalls(Generic[Item, Result]):
    """``await call(item)`` runs ``handle_batch`` over every item waiting at the time.

    ``handle_batch`` runs in a worker thread and returns one result or exception
    per item, in order; an exception it raises goes to every caller of that
    batch. Bound to the event loop that first awaits it (its futures belong there).
    """

    def __init__(
        self,
        handle_batch: Callable[[list[Item]], Sequence[Result | Exception]],
        *,
        max_batch: int,
    ) -> None:
        self.handle_batch = handle_batch
        self.max_batch = max_batch
        self._waiting: list[tuple[Item, asyncio.Future[Result]]] = []
        self._draining: asyncio.Task[None] | None = None

    async def call(self, item: Item) -> Result:
        future: asyncio.Future[Result] = asyncio.get_running_loop().create_future()
        self._waiting.append((item, future))
        if self._draining is None:
            self._draining = asyncio.create_task(self._drain())
        # Shielded: a caller that goes away must not cancel the others' answers.
        return await asyncio.shield(future)

    async def _drain(self) -> None:
        try:
            while self._waiting:
                batch = self._waiting[: self.max_batch]
                del self._waiting[: self.max_batch]
                try:
                    results = await asyncio.to_thread(
                        self.handle_batch, [item for item, _future in batch]
                    )
                except Exception as error:  # every waiter gets the failure, none hangs
                    results = [error] * len(batch)
                for (_item, future), result in zip(batch, results, strict=True):
                    if future.done():
                        continue
                    if isinstance(result, Exception):
                        future.set_exception(result)
                    else:
                        future.set_result(result)
        finally:
            self._draining = None

"""The app's background jobs and the worker threads they hand blocking work to.

A job is a coroutine that runs for the app's life (``run_order_jobs_forever`` and the
like) and does its blocking work, a unit of work on the database, in a worker thread.
Cancelling a task that awaits ``asyncio.to_thread`` does not stop that thread: the work
runs to its end, so an app that only cancels its jobs has shut down while a thread may
still hold a database connection (on PostgreSQL a test's TRUNCATE deadlocked with one).

So the app's jobs run their thread work through :meth:`BackgroundJobs.in_thread`, in
threads the jobs own, and :meth:`BackgroundJobs.stop` signals them (a long job's thread
checks :func:`raise_if_stopping` between its steps), cancels their tasks and then waits,
for a bounded time, for the thread work already started to finish.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextvars
import functools
import logging
import threading
from collections.abc import Callable, Coroutine
from typing import Any, ParamSpec, Protocol, TypeVar

logger = logging.getLogger(__name__)

P = ParamSpec("P")
T = TypeVar("T")

# More than the app has jobs: a job waits for its thread work before it hands over more.
JOB_THREADS = 16
# A unit of work commits or rolls back within this; longer work stops at its next step.
STOP_WAIT_SECONDS = 10.0

_STOPPING: contextvars.ContextVar[threading.Event | None] = contextvars.ContextVar(
    "liveshop_background_stopping", default=None
)


class JobStopped(Exception):
    """Raised in a job's thread by :func:`raise_if_stopping` once the app shuts down."""


class InThread(Protocol):
    """Runs ``func(*args, **kwargs)`` in a worker thread and returns its result:
    ``asyncio.to_thread`` (the command line, tests) or the app's
    :meth:`BackgroundJobs.in_thread`."""

    async def __call__(self, func: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs) -> T: ...


def raise_if_stopping() -> None:
    """In a job's thread work: raise :class:`JobStopped` when the app is shutting down.
    Long work calls it between its steps; outside the app's jobs it never raises."""
    stopping = _STOPPING.get()
    if stopping is not None and stopping.is_set():
        raise JobStopped("the app is shutting down")


class BackgroundJobs:
    """The app's jobs for its life: :meth:`start` each in the lifespan with
    :meth:`in_thread` for its blocking work, and :meth:`stop` them at shutdown."""

    def __init__(self, *, threads: int = JOB_THREADS) -> None:
        self._pool = concurrent.futures.ThreadPoolExecutor(threads, "liveshop-job")
        self._tasks: list[asyncio.Task[Any]] = []
        self._running: set[concurrent.futures.Future[Any]] = set()
        self._running_lock = threading.Lock()  # done callbacks run in the workers
        self._stopping = threading.Event()

    def start(self, job: Coroutine[Any, Any, Any]) -> None:
        """Run ``job`` until :meth:`stop` (from the running event loop)."""
        self._tasks.append(asyncio.get_running_loop().create_task(job))

    async def in_thread(self, func: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs) -> T:
        """``func(*args, **kwargs)`` in one of the jobs' threads, with the caller's context
        variables (as ``asyncio.to_thread``); once started, :meth:`stop` waits for it."""
        context = contextvars.copy_context()
        context.run(_STOPPING.set, self._stopping)
        work = self._pool.submit(context.run, functools.partial(func, *args, **kwargs))
        with self._running_lock:
            self._running.add(work)
        work.add_done_callback(self._forget)
        # Cancelling the caller cancels work not yet started; started work runs on.
        return await asyncio.wrap_future(work)

    def _forget(self, work: concurrent.futures.Future[Any]) -> None:
        with self._running_lock:
            self._running.discard(work)

    async def stop(self, *, wait_seconds: float = STOP_WAIT_SECONDS) -> bool:
        """Signal the jobs' threads, cancel the jobs, then wait up to ``wait_seconds``
        for the thread work they had started. True when none is left running; work
        still running then is logged and left to finish on its own."""
        self._stopping.set()
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        with self._running_lock:
            running = list(self._running)
        # Waited for in a thread: no callback of an unfinished one reaches a closed loop.
        _finished, left = await asyncio.to_thread(
            concurrent.futures.wait, running, timeout=wait_seconds
        )
        self._pool.shutdown(wait=False, cancel_futures=True)
        if left:
            logger.error(
                "%d background job(s) still running in their threads after %s s",
                len(left),
                wait_seconds,
            )
        return not left

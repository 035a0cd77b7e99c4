"""FastAPI dependencies shared by every router: settings and the request's unit of work."""

from __future__ import annotations

import asyncio
import contextlib
import functools
from collections.abc import AsyncIterator
from typing import Annotated

import anyio
from fastapi import Depends, FastAPI, Path
from sqlalchemy.orm import Session
from starlette.requests import HTTPConnection

from liveshop.core.db import get_session_factory
from liveshop.core.settings import Settings, get_settings

SettingsDep = Annotated[Settings, Depends(get_settings)]


def app_settings(app: FastAPI) -> Settings:
    """What ``SettingsDep`` gives ``app``'s routes, without the dependency machinery
    (for a route answered before FastAPI's router)."""
    override = app.dependency_overrides.get(get_settings)
    settings: Settings = override() if override is not None else get_settings()
    return settings


# Requests that only read: on SQLite their transaction takes no lock (see
# core.db._begin_sqlite_transaction), so a crowd of readers never waits for, nor
# holds up, the writers. A GET that records something (an audit entry for a read)
# writes it in core.db.separate_writing_unit(session).
READ_ONLY_METHODS = frozenset({"GET", "HEAD"})
# A writing request may wait for a lock (SQLite's write lock, a row lock) in a worker
# thread, and the lock's holder needs a worker thread again before it commits (FastAPI
# validates a sync route's response in one). With every worker waiting, the holder
# never got one: 60 orders at once failed after the 10 s busy timeout. So writing
# requests may take at most half the worker threads; the rest wait in the event loop.
WRITERS_SHARE_OF_WORKER_THREADS = 0.5
# SQLite writes one transaction at a time: two writing requests keep it busy (one
# writes while the next gets ready); more only poll its lock, the busy handler sleeping
# up to 100 ms between tries (500 orders, 50 at once: the slowest waited 10.3 s with
# 20 writing requests let in, 3.8 s with 2, close to the 10 s busy timeout no longer).
SQLITE_WRITING_REQUESTS = 2
_writer_gates: dict[tuple[asyncio.AbstractEventLoop, str], asyncio.Semaphore] = {}


def writer_gate(database_url: str) -> asyncio.Semaphore:
    """The writing requests' gate of this event loop and database (a route that runs its
    own unit of work passes it as ``request_unit_of_work`` does)."""
    loop = asyncio.get_running_loop()
    gate = _writer_gates.get((loop, database_url))
    if gate is None:
        for stale in [key for key in _writer_gates if key[0].is_closed()]:
            del _writer_gates[stale]
        gate = asyncio.Semaphore(_writing_requests_allowed(database_url))
        _writer_gates[(loop, database_url)] = gate
    return gate


def _writing_requests_allowed(database_url: str) -> int:
    if database_url.startswith("sqlite"):
        return SQLITE_WRITING_REQUESTS
    threads = anyio.to_thread.current_default_thread_limiter().total_tokens
    return max(1, int(threads * WRITERS_SHARE_OF_WORKER_THREADS))


def _end_unit_of_work(session: Session, *, commit: bool) -> None:
    try:
        if commit:
            session.commit()
        else:
            session.rollback()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


async def _end_in_own_thread(session: Session, *, commit: bool) -> None:
    """Commit (or roll back) in a thread outside the shared workers, which may all be
    waiting for this transaction's locks, and finish even if the request is cancelled."""
    with anyio.CancelScope(shield=True):
        await anyio.to_thread.run_sync(
            functools.partial(_end_unit_of_work, session, commit=commit),
            limiter=anyio.CapacityLimiter(1),
        )


async def get_db_session(
    connection: HTTPConnection, settings: SettingsDep
) -> AsyncIterator[Session]:
    """The request's one transaction: committed when the route returns, else rolled back.
    Read-only for GET and HEAD; writing, through the writers' gate, for other methods."""
    writes = connection.scope.get("method") not in READ_ONLY_METHODS
    async with request_unit_of_work(settings.resolved_database_url(), writes=writes) as session:
        yield session


@contextlib.asynccontextmanager
async def request_unit_of_work(database_url: str, *, writes: bool) -> AsyncIterator[Session]:
    """A request's transaction (see ``get_db_session``), for a dependency that decides
    itself whether its request writes: a POST that only reads takes no lock."""
    async with writer_gate(database_url) if writes else contextlib.nullcontext():
        # Creating a session does no I/O: its transaction begins at its first statement.
        session = get_session_factory(database_url, writes=writes)()
        try:
            yield session
        except BaseException:
            await _end_in_own_thread(session, commit=False)
            raise
        await _end_in_own_thread(session, commit=True)


# scope="function": commit before the response is sent, so a client never
# sees a success for a write that then fails to commit.
DbSession = Annotated[Session, Depends(get_db_session, scope="function")]


# Row ids are INTEGER (32-bit on PostgreSQL, 64-bit on SQLite): a larger id in a
# path cannot name a row, and would overflow the driver (a 500) if it reached a query.
MAX_ROW_ID = 2**31 - 1
RowId = Annotated[int, Path(ge=1, le=MAX_ROW_ID, description="a row id")]

"""Database engine, sessions and the declarative base shared by every domain."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any, cast

from sqlalchemy import (
    BigInteger,
    Connection,
    CursorResult,
    DateTime,
    Dialect,
    Engine,
    Integer,
    MetaData,
    Result,
    create_engine,
    event,
    make_url,
)
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.types import TypeDecorator

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# SQLite only auto-increments INTEGER PRIMARY KEY; a 64-bit integer elsewhere.
BigId = BigInteger().with_variant(Integer(), "sqlite")


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


def _enable_sqlite_wal(dbapi_connection: Any, _record: Any) -> None:
    # Let SQLAlchemy, not the driver, begin transactions (see _begin_sqlite_transaction).
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.close()


# The execution option that says whether a unit of work writes (default: it does).
WRITES_OPTION = "liveshop_writes"
_QUERY_ONLY = "liveshop_query_only"  # the PRAGMA's current value on a DBAPI connection
_WRITING_BIND = "liveshop_writing_bind"  # Session.info: the engine a session writes through


def _begin_sqlite_transaction(connection: Connection) -> None:
    """BEGIN IMMEDIATE for a unit of work that writes; a plain (deferred) BEGIN for one
    that only reads.

    A writer takes SQLite's write lock at BEGIN, so a read-then-write transaction
    waits for it (busy_timeout) instead of failing when it cannot upgrade a read
    lock. A reader takes no lock: in WAL mode it reads its snapshot while a writer
    writes. A reader's connection is also query-only, so a write in a unit of work
    declared read-only fails at once, every time, rather than now and then under load.
    """
    writes = bool(connection.get_execution_options().get(WRITES_OPTION, True))
    query_only = not writes
    if connection.info.get(_QUERY_ONLY, False) != query_only:
        connection.exec_driver_sql(f"PRAGMA query_only = {'ON' if query_only else 'OFF'}")
        connection.info[_QUERY_ONLY] = query_only
    connection.exec_driver_sql("BEGIN IMMEDIATE" if writes else "BEGIN")


def create_private_sqlite_file(url: str) -> None:
    """Create the SQLite file of ``url`` readable by its owner only (0600) if it is
    missing. SQLite would create it with the process umask (often 0644: anyone on the
    machine could read the accounts); its -wal and -shm files take the file's mode."""
    database = make_url(url).database
    if not database or database == ":memory:" or database.startswith("file:"):
        return
    os.close(os.open(database, os.O_WRONLY | os.O_CREAT, 0o600))


@lru_cache(maxsize=8)
def get_engine(url: str) -> Engine:
    """One engine per URL per process; SQLite in WAL mode with a busy timeout."""
    if url.startswith("sqlite"):
        create_private_sqlite_file(url)
        engine = create_engine(
            url,
            connect_args={"check_same_thread": False, "timeout": 10},
            # Every worker thread (40) and the background jobs may hold a connection at
            # once: SQLite's are cheap, and a reader must not queue for one behind writers.
            pool_size=10,
            max_overflow=40,
        )
        event.listen(engine, "connect", _enable_sqlite_wal)
        event.listen(engine, "begin", _begin_sqlite_transaction)
        return engine
    return create_engine(url, pool_size=10, max_overflow=20, pool_pre_ping=True)


@lru_cache(maxsize=16)
def get_session_factory(url: str, *, writes: bool = True) -> sessionmaker[Session]:
    """Sessions on ``url``; ``writes=False`` for units of work that only read (on SQLite
    they take no lock, see _begin_sqlite_transaction; PostgreSQL is unaffected)."""
    engine = get_engine(url)
    bind = engine if writes else engine.execution_options(**{WRITES_OPTION: False})
    return sessionmaker(bind=bind, expire_on_commit=False, info={_WRITING_BIND: engine})


@contextmanager
def unit_of_work(url: str, *, writes: bool = True) -> Iterator[Session]:
    """One transaction: commit when the block succeeds, roll back when it raises.

    ``writes=False`` declares a reader: on SQLite it neither waits for nor blocks
    writers, and any write in it fails.
    """
    with get_session_factory(url, writes=writes)() as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise


@contextmanager
def separate_writing_unit(session: Session) -> Iterator[Session]:
    """A short writing unit of work of its own, on the database ``session`` uses,
    committed when the block ends (rolled back if it raises).

    For a read-only use case that records a little, e.g. an audit entry for a read:
    the reading, and whatever follows it (serialising 10,000 rows), holds no write
    lock; the record holds it for its own few statements only. It does not see what
    ``session`` has not committed, and stays committed whatever ``session`` does next.
    A session that writes already (it may hold the lock) is its own writing unit.
    """
    engine = session.info.get(_WRITING_BIND)
    if engine is None or session.get_bind() is engine:
        yield session
        return
    with Session(bind=engine, expire_on_commit=False) as writing:
        try:
            yield writing
            writing.commit()
        except BaseException:
            writing.rollback()
            raise


def rows_changed(result: Result[Any]) -> int:
    """How many rows an UPDATE or DELETE changed (the typed view of ``rowcount``)."""
    return cast(CursorResult[Any], result).rowcount


class UtcDateTime(TypeDecorator[datetime]):
    """A timezone-aware UTC datetime on every database (SQLite drops the zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        return value.astimezone(UTC) if value is not None and value.tzinfo else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)

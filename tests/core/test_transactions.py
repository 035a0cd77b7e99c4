"""SQLite transactions: readers take no lock, writers take the write lock at BEGIN.

Everything here is about SQLite's locking, so it runs on SQLite only.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError

from liveshop.accounts.models import Role, User
from liveshop.core.audit.models import AuditEntry
from liveshop.core.db import get_engine, separate_writing_unit, unit_of_work
from tests.conftest import Account, MakeAccount

READERS = 50
WRITERS = 10
# Far below the 10 s busy timeout: a reader that waited for the lock would miss it.
READER_DEADLINE_SECONDS = 5.0


@pytest.fixture
def database_url(sqlite_url: str) -> str:
    return sqlite_url


@contextmanager
def write_lock_held(database_url: str) -> Iterator[sqlite3.Connection]:
    """Another process's writer, busy (hashing a password, say) with the write lock held."""
    holder = sqlite3.connect(get_engine(database_url).url.database or "", isolation_level=None)
    try:
        holder.execute("BEGIN IMMEDIATE")
        yield holder
        holder.execute("COMMIT")
    finally:
        holder.close()


def user_count(database_url: str) -> int:
    with unit_of_work(database_url, writes=False) as session:
        return int(session.scalar(select(func.count(User.id))) or 0)


def add_user(database_url: str, name: str) -> None:
    with unit_of_work(database_url) as session:
        session.add(User(username=name, password_hash="!", role=Role.VIEWER))


def in_parallel(count: int, job: Callable[[int], Any]) -> tuple[list[Any], list[BaseException]]:
    """Run ``job(0..count-1)`` at once; the results and the errors."""
    results: list[Any] = []
    errors: list[BaseException] = []
    start = threading.Barrier(count)

    def run(index: int) -> None:
        start.wait()
        try:
            results.append(job(index))
        except BaseException as error:  # every failure is reported
            errors.append(error)

    with ThreadPoolExecutor(max_workers=count) as pool:
        list(pool.map(run, range(count)))
    return results, errors


def test_readers_read_while_a_writer_holds_the_write_lock(database_url: str) -> None:
    add_user(database_url, "before_the_writer")
    with write_lock_held(database_url) as writer:
        writer.execute(
            "INSERT INTO users (username, password_hash, role, created_at)"
            " SELECT 'uncommitted', password_hash, role, created_at FROM users"
        )
        started = time.monotonic()
        counts, errors = in_parallel(READERS, lambda _index: user_count(database_url))
        elapsed = time.monotonic() - started
    assert errors == []
    assert counts == [1] * READERS  # the committed state; the writer's row is not visible yet
    assert elapsed < READER_DEADLINE_SECONDS
    assert user_count(database_url) == 2


def test_readers_and_writers_at_once_never_see_database_is_locked(database_url: str) -> None:
    """50 readers and 10 writers that read before they write, all released together."""

    def reader_or_writer(index: int) -> int:
        if index < WRITERS:
            with unit_of_work(database_url) as session:
                seen = int(session.scalar(select(func.count(User.id))) or 0)
                time.sleep(0.02)  # read, think, then write: a lock upgrade in a deferred BEGIN
                session.add(User(username=f"writer_{index}", password_hash="!", role=Role.VIEWER))
                return seen
        return user_count(database_url)

    _results, errors = in_parallel(READERS + WRITERS, reader_or_writer)
    assert errors == []
    assert user_count(database_url) == WRITERS


def test_a_read_only_unit_of_work_refuses_to_write_and_writes_nothing(database_url: str) -> None:
    with (
        pytest.raises(OperationalError, match="readonly database"),
        unit_of_work(database_url, writes=False) as session,
    ):
        session.add(User(username="sneaky", password_hash="!", role=Role.VIEWER))
    assert user_count(database_url) == 0
    add_user(database_url, "writer_after_reader")  # the pooled connection writes again
    assert user_count(database_url) == 1


def _warm_token(client: TestClient, account: Account) -> None:
    """Look the token up once, so requests made while the lock is held find it cached."""
    assert client.get("/api/auth/me", headers=account.headers).status_code == 200


def test_get_requests_are_answered_while_a_writer_holds_the_lock(
    client: TestClient, make_account: MakeAccount, database_url: str
) -> None:
    merchant = make_account(Role.MERCHANT)
    product = client.post(
        "/api/products",
        json={"title": "羽绒服", "price": 29_900, "stock": 5},
        headers=merchant.headers,
    ).json()
    _warm_token(client, merchant)
    paths = ["/api/rooms", f"/api/products/{product['id']}", "/api/shops/mine"]
    with write_lock_held(database_url):
        started = time.monotonic()
        answers, errors = in_parallel(
            30,
            lambda index: client.get(paths[index % 3], headers=merchant.headers).status_code,
        )
        elapsed = time.monotonic() - started
    assert errors == []
    assert sorted(answers) == [200] * 30
    assert elapsed < READER_DEADLINE_SECONDS


def test_a_post_waits_for_the_write_lock_and_then_writes(
    client: TestClient, make_account: MakeAccount, database_url: str
) -> None:
    merchant = make_account(Role.MERCHANT)
    _warm_token(client, merchant)
    answers: list[int] = []

    def create() -> None:
        answers.append(
            client.post(
                "/api/products",
                json={"title": "羽绒服", "price": 29_900, "stock": 5},
                headers=merchant.headers,
            ).status_code
        )

    with write_lock_held(database_url):
        creating = threading.Thread(target=create)
        creating.start()
        creating.join(1.0)
        assert creating.is_alive()  # waiting for the lock (busy_timeout), not failed
    creating.join(10)
    assert answers == [201]


def test_gets_that_record_an_audit_entry_write_it(
    client: TestClient, make_account: MakeAccount, database_url: str
) -> None:
    regulator, viewer = make_account(Role.REGULATOR), make_account(Role.VIEWER)
    with unit_of_work(database_url, writes=False) as session:
        before = int(session.scalar(select(func.count(AuditEntry.seq))) or 0)
    assert client.get("/api/regulator/audit/verify", headers=regulator.headers).status_code == 200
    assert client.get("/api/regulator/penalties", headers=regulator.headers).status_code == 200
    assert client.get("/api/me/export", headers=viewer.headers).status_code == 200
    with unit_of_work(database_url, writes=False) as session:
        actions = session.scalars(
            select(AuditEntry.action).where(AuditEntry.seq > before).order_by(AuditEntry.seq)
        ).all()
    assert actions == ["regulator.read", "regulator.read", "privacy.export"]


def test_a_separate_writing_unit_commits_on_its_own(database_url: str) -> None:
    with unit_of_work(database_url, writes=False) as reading:
        assert reading.scalar(select(func.count(User.id))) == 0
        with separate_writing_unit(reading) as writing:
            assert writing is not reading
            writing.add(User(username="recorded", password_hash="!", role=Role.VIEWER))
        reading.rollback()
    assert user_count(database_url) == 1


def test_a_writing_session_is_its_own_separate_writing_unit(database_url: str) -> None:
    """It holds the write lock already: a second writer would wait for it forever."""
    with unit_of_work(database_url) as session:
        session.add(User(username="first", password_hash="!", role=Role.VIEWER))
        session.flush()
        started = time.monotonic()
        with separate_writing_unit(session) as writing:
            assert writing is session
            writing.add(User(username="second", password_hash="!", role=Role.VIEWER))
        assert time.monotonic() - started < 1.0
    assert user_count(database_url) == 2

"""Argon2 (tens of milliseconds of CPU) never runs while a database transaction is open:
on SQLite an open transaction holds the database's one write lock."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from argon2 import PasswordHasher
from fastapi.testclient import TestClient
from sqlalchemy import event, func, select
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from liveshop.accounts.models import ApiToken, User
from liveshop.app import create_app
from liveshop.core.db import get_engine
from liveshop.core.settings import Settings

CREDENTIALS = {"username": "mei_li", "password": "s3cret-password"}


class OpenTransactions:
    """The connections of one engine that are inside a transaction right now."""

    def __init__(self) -> None:
        self.connections: set[int] = set()
        self.seen_while_hashing: list[int] = []

    def begun(self, connection: Connection) -> None:
        self.connections.add(id(connection))

    def ended(self, connection: Connection) -> None:
        self.connections.discard(id(connection))


@pytest.fixture
def open_transactions(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> Iterator[OpenTransactions]:
    """Counts open transactions on the app's engine each time argon2 hashes or verifies."""
    tracker = OpenTransactions()
    engine = get_engine(database_url)
    listeners: list[tuple[str, Callable[..., None]]] = [
        ("begin", tracker.begun),
        ("commit", tracker.ended),
        ("rollback", tracker.ended),
    ]
    for name, listener in listeners:
        event.listen(engine, name, listener)

    def watched(method: Callable[..., Any]) -> Callable[..., Any]:
        def run(hasher: PasswordHasher, *args: Any) -> Any:
            tracker.seen_while_hashing.append(len(tracker.connections))
            return method(hasher, *args)

        return run

    monkeypatch.setattr(PasswordHasher, "hash", watched(PasswordHasher.hash))
    monkeypatch.setattr(PasswordHasher, "verify", watched(PasswordHasher.verify))
    yield tracker
    for name, listener in listeners:
        event.remove(engine, name, listener)


@pytest.fixture
def plain_client(settings: Settings) -> Iterator[TestClient]:
    """Without the lifespan: no background job opens a transaction of its own meanwhile."""
    with_no_jobs = TestClient(create_app(settings))
    yield with_no_jobs
    with_no_jobs.close()


def test_registration_hashes_the_password_outside_any_transaction(
    plain_client: TestClient, open_transactions: OpenTransactions, session: Session
) -> None:
    response = plain_client.post("/api/auth/register", json=CREDENTIALS)

    assert response.status_code == 201
    assert open_transactions.seen_while_hashing == [0]
    assert session.scalar(select(func.count()).select_from(User)) == 1


def test_login_verifies_the_password_outside_any_transaction(
    plain_client: TestClient, open_transactions: OpenTransactions, session: Session
) -> None:
    assert plain_client.post("/api/auth/register", json=CREDENTIALS).status_code == 201

    right = plain_client.post("/api/auth/login", json=CREDENTIALS)
    wrong = plain_client.post("/api/auth/login", json=CREDENTIALS | {"password": "not-it-at-all"})
    unknown = plain_client.post("/api/auth/login", json=CREDENTIALS | {"username": "nobody"})

    assert [right.status_code, wrong.status_code, unknown.status_code] == [200, 401, 401]
    assert open_transactions.seen_while_hashing == [0, 0, 0, 0]
    assert session.scalar(select(func.count()).select_from(ApiToken)) == 1


def test_the_form_login_verifies_the_password_outside_any_transaction(
    plain_client: TestClient, open_transactions: OpenTransactions, session: Session
) -> None:
    assert plain_client.post("/api/auth/register", json=CREDENTIALS).status_code == 201
    page = plain_client.get("/login")
    token = page.text.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]

    response = plain_client.post(
        "/login", data=CREDENTIALS | {"csrf_token": token}, follow_redirects=False
    )

    assert response.status_code == 303
    assert open_transactions.seen_while_hashing == [0, 0]
    assert session.scalar(select(func.count()).select_from(ApiToken)) == 1


def test_concurrent_sign_ups_of_one_name_make_one_user(
    plain_client: TestClient, session: Session
) -> None:
    statuses: list[int] = []
    start = threading.Barrier(4)

    def sign_up() -> None:
        start.wait()
        statuses.append(plain_client.post("/api/auth/register", json=CREDENTIALS).status_code)

    threads = [threading.Thread(target=sign_up) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(statuses) == [201, 409, 409, 409]
    assert session.scalars(select(User.username)).all() == ["mei_li"]

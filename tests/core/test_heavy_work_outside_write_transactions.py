"""CPU-heavy work (argon2: tens of milliseconds) never runs inside a writing
transaction, which on SQLite holds the database's one write lock. Accounts test
their own sign-up and log-in; these are the other places that hash or verify."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from argon2 import PasswordHasher
from fastapi.testclient import TestClient
from sqlalchemy import event, select
from sqlalchemy.engine import Connection

from liveshop.accounts.models import Role, User
from liveshop.core.db import WRITES_OPTION, get_engine, unit_of_work
from tests.conftest import PASSWORD, MakeAccount


@pytest.fixture
def database_url(sqlite_url: str) -> str:
    return sqlite_url


class WritingTransactions:
    """The engine's connections inside a writing transaction, and how many there were
    each time argon2 hashed or verified."""

    def __init__(self) -> None:
        self.open: set[int] = set()
        self.open_while_hashing: list[int] = []

    def begun(self, connection: Connection) -> None:
        if connection.get_execution_options().get(WRITES_OPTION, True):
            self.open.add(id(connection.connection))

    def ended(self, connection: Connection) -> None:
        self.open.discard(id(connection.connection))


@pytest.fixture
def writing_transactions(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> Iterator[WritingTransactions]:
    tracker = WritingTransactions()
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
            tracker.open_while_hashing.append(len(tracker.open))
            return method(hasher, *args)

        return run

    monkeypatch.setattr(PasswordHasher, "hash", watched(PasswordHasher.hash))
    monkeypatch.setattr(PasswordHasher, "verify", watched(PasswordHasher.verify))
    yield tracker
    for name, listener in listeners:
        event.remove(engine, name, listener)


def _username(database_url: str, user_id: int) -> str:
    with unit_of_work(database_url, writes=False) as session:
        return session.scalars(select(User.username).where(User.id == user_id)).one()


def test_erasing_my_account_checks_the_password_outside_the_write_transaction(
    client: TestClient,
    make_account: MakeAccount,
    database_url: str,
    writing_transactions: WritingTransactions,
) -> None:
    viewer = make_account(Role.VIEWER, "leaving_lu")
    writing_transactions.open_while_hashing.clear()  # making the account hashed once
    wrong = client.post("/api/me/erase", json={"password": "not it"}, headers=viewer.headers)
    assert (wrong.status_code, wrong.json()["code"]) == (403, "wrong_password")
    assert _username(database_url, viewer.id) == "leaving_lu"

    erased = client.post("/api/me/erase", json={"password": PASSWORD}, headers=viewer.headers)
    assert erased.status_code == 200, erased.text
    assert _username(database_url, viewer.id) == f"erased-{viewer.id}"
    assert writing_transactions.open_while_hashing == [0, 0]  # two verifications, no hash

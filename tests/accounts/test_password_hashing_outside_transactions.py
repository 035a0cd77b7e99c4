"""Argon2 (tens of milliseconds of CPU) never runs while a database transaction is open:
on SQLite an open transaction holds the database's one write lock."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from liveshop.accounts.models import ApiToken, User
from liveshop.app import create_app
from liveshop.core.settings import Settings
from tests.argon2_watch import TransactionsAtArgon2, watch_argon2

CREDENTIALS = {"username": "mei_li", "password": "s3cret-password"}


@pytest.fixture
def open_transactions(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> Iterator[TransactionsAtArgon2]:
    """Counts open transactions on the app's engine each time argon2 hashes or verifies."""
    with watch_argon2(database_url, monkeypatch) as tracker:
        yield tracker


@pytest.fixture
def plain_client(settings: Settings) -> Iterator[TestClient]:
    """Without the lifespan: no background job opens a transaction of its own meanwhile."""
    with_no_jobs = TestClient(create_app(settings))
    yield with_no_jobs
    with_no_jobs.close()


def test_registration_hashes_the_password_outside_any_transaction(
    plain_client: TestClient, open_transactions: TransactionsAtArgon2, session: Session
) -> None:
    response = plain_client.post("/api/auth/register", json=CREDENTIALS)

    assert response.status_code == 201
    assert open_transactions.open_while_hashing == [0]
    assert session.scalar(select(func.count()).select_from(User)) == 1


def test_login_verifies_the_password_outside_any_transaction(
    plain_client: TestClient, open_transactions: TransactionsAtArgon2, session: Session
) -> None:
    assert plain_client.post("/api/auth/register", json=CREDENTIALS).status_code == 201

    right = plain_client.post("/api/auth/login", json=CREDENTIALS)
    wrong = plain_client.post("/api/auth/login", json=CREDENTIALS | {"password": "not-it-at-all"})
    unknown = plain_client.post("/api/auth/login", json=CREDENTIALS | {"username": "nobody"})

    assert [right.status_code, wrong.status_code, unknown.status_code] == [200, 401, 401]
    assert open_transactions.open_while_hashing == [0, 0, 0, 0]
    assert session.scalar(select(func.count()).select_from(ApiToken)) == 1


def test_the_form_login_verifies_the_password_outside_any_transaction(
    plain_client: TestClient, open_transactions: TransactionsAtArgon2, session: Session
) -> None:
    assert plain_client.post("/api/auth/register", json=CREDENTIALS).status_code == 201
    page = plain_client.get("/login")
    token = page.text.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]

    response = plain_client.post(
        "/login", data=CREDENTIALS | {"csrf_token": token}, follow_redirects=False
    )

    assert response.status_code == 303
    assert open_transactions.open_while_hashing == [0, 0]
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

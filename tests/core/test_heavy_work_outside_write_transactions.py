"""CPU-heavy work (argon2: tens of milliseconds; a QR code: about 13 ms) never runs inside a writing
transaction, which on SQLite holds the database's one write lock. Accounts test
their own sign-up and log-in; these are the other places that hash or verify."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from liveshop.accounts import totp
from liveshop.accounts.models import Role, User
from liveshop.core.db import unit_of_work
from tests.argon2_watch import TransactionsAtArgon2, watch_argon2
from tests.conftest import PASSWORD, SECRET_KEY, MakeAccount


@pytest.fixture
def database_url(sqlite_url: str) -> str:
    return sqlite_url


@pytest.fixture
def writing_transactions(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> Iterator[TransactionsAtArgon2]:
    with watch_argon2(database_url, monkeypatch) as tracker:
        yield tracker


def _username(database_url: str, user_id: int) -> str:
    with unit_of_work(database_url, writes=False) as session:
        return session.scalars(select(User.username).where(User.id == user_id)).one()


def test_erasing_my_account_checks_the_password_outside_the_write_transaction(
    client: TestClient,
    make_account: MakeAccount,
    database_url: str,
    writing_transactions: TransactionsAtArgon2,
) -> None:
    viewer = make_account(Role.VIEWER, "leaving_lu")
    writing_transactions.clear()  # making the account hashed once
    wrong = client.post("/api/me/erase", json={"password": "not it"}, headers=viewer.headers)
    assert (wrong.status_code, wrong.json()["code"]) == (403, "wrong_password")
    assert _username(database_url, viewer.id) == "leaving_lu"

    erased = client.post("/api/me/erase", json={"password": PASSWORD}, headers=viewer.headers)
    assert erased.status_code == 200, erased.text
    assert _username(database_url, viewer.id) == f"erased-{viewer.id}"
    assert writing_transactions.writing_while_hashing == [0, 0]  # two verifications, no hash


def test_the_totp_qr_code_is_drawn_before_the_enrolment_writes(
    database_url: str,
    make_account: MakeAccount,
    writing_transactions: TransactionsAtArgon2,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    account = make_account(Role.VIEWER)
    with unit_of_work(database_url, writes=False) as session:
        user = session.get_one(User, account.id)  # as the token cache hands it to a route
    writing_transactions.clear()  # making the account hashed its password
    draw_qr = totp.segno.make

    def watched_draw(*args: Any, **kwargs: Any) -> Any:
        writing_transactions.hashing()
        return draw_qr(*args, **kwargs)

    monkeypatch.setattr(totp.segno, "make", watched_draw)
    with unit_of_work(database_url) as session:
        enrolment = totp.start_enrolment(session, user=user, secret_key=SECRET_KEY)
    assert enrolment.qr_svg.startswith("<svg")
    assert writing_transactions.writing_while_hashing == [0]

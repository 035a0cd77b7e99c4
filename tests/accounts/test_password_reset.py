"""A forgotten password by email (issue 18 §5): the same answer for every address, a
single-use expiring link (kept as a hash) sent over SMTP, a new password that revokes
every session, and too many asks refused."""

from __future__ import annotations

import re
import socket
import time
from collections.abc import Iterator
from datetime import timedelta
from email.message import Message

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from liveshop.accounts import password_reset
from liveshop.accounts.models import PasswordReset, Role
from liveshop.app import create_app
from liveshop.core.clock import utcnow
from liveshop.core.db import unit_of_work
from liveshop.core.security import hash_token
from liveshop.core.settings import Settings
from tests.conftest import Account, MakeAccount
from tests.notifications.helpers import Inbox, mailing_client

SITE = "http://shop.test"
NEW_PASSWORD = "teal-harbour-lantern-42"


@pytest.fixture
def database_url(sqlite_url: str) -> str:
    return sqlite_url


@pytest.fixture
def mailed(settings: Settings) -> Iterator[tuple[TestClient, Inbox]]:
    password_reset.ask_limiter = password_reset.AskLimiter()  # a fresh window per test
    with mailing_client(settings, site_url=SITE) as mailed:
        yield mailed


def _wait_for(inbox: Inbox, count: int) -> list[Message]:
    deadline = time.monotonic() + 5
    while len(inbox.messages) < count and time.monotonic() < deadline:
        time.sleep(0.05)
    return inbox.messages


def _token(message: Message) -> str:
    body = message.get_payload(decode=True)
    assert isinstance(body, bytes)
    found = re.search(rf"{SITE}/reset-password\?token=([A-Za-z0-9_-]+)", body.decode())
    assert found, body
    return found.group(1)


def _with_email(client: TestClient, account: Account, email: str) -> None:
    response = client.put("/api/auth/me/email", json={"email": email}, headers=account.headers)
    assert response.json() == {"email": email.lower(), "confirmed": False}, response.text


def _drop_confirmation(inbox: Inbox) -> None:
    """The code that confirms a new email (account_email) arrives first: set it aside."""
    _wait_for(inbox, 1)
    inbox.messages.clear()


def test_the_link_resets_the_password_once_and_signs_out_everywhere(
    mailed: tuple[TestClient, Inbox], make_account: MakeAccount, database_url: str
) -> None:
    client, inbox = mailed
    buyer = make_account(Role.VIEWER)
    _with_email(client, buyer, "Li.Si@Example.com")
    _drop_confirmation(inbox)
    known = client.post("/api/auth/password-reset", json={"email": "li.si@example.com"})
    unknown = client.post("/api/auth/password-reset", json={"email": "nobody@example.com"})
    assert (known.status_code, known.json()) == (unknown.status_code, unknown.json())
    assert known.status_code == 202
    messages = _wait_for(inbox, 1)
    time.sleep(0.2)
    assert len(messages) == 1  # the unknown address got nothing
    assert messages[0]["To"] == "li.si@example.com"
    token = _token(messages[0])
    with unit_of_work(database_url) as session:
        stored = session.scalars(select(PasswordReset.token_hash)).all()
    assert stored == [hash_token(token)]  # only the hash is kept

    confirm = {"token": token, "password": NEW_PASSWORD}
    assert client.post("/api/auth/password-reset/confirm", json=confirm).status_code == 204
    assert client.get("/api/auth/me", headers=buyer.headers).status_code == 401
    again = client.post("/api/auth/password-reset/confirm", json=confirm)
    assert (again.status_code, again.json()["code"]) == (422, "reset_link_invalid")
    login = client.post(
        "/api/auth/login", json={"username": buyer.username, "password": NEW_PASSWORD}
    )
    assert login.status_code == 200, login.text


def test_an_expired_link_is_refused(
    mailed: tuple[TestClient, Inbox], make_account: MakeAccount, database_url: str
) -> None:
    client, inbox = mailed
    buyer = make_account(Role.VIEWER)
    _with_email(client, buyer, "wang@example.com")
    _drop_confirmation(inbox)
    client.post("/api/auth/password-reset", json={"email": "wang@example.com"})
    token = _token(_wait_for(inbox, 1)[0])
    with unit_of_work(database_url) as session:
        for reset in session.scalars(select(PasswordReset)):
            reset.expires_at = utcnow() - timedelta(seconds=1)
    expired = client.post(
        "/api/auth/password-reset/confirm", json={"token": token, "password": NEW_PASSWORD}
    )
    assert expired.status_code == 422


def test_too_many_asks_are_refused_alike(mailed: tuple[TestClient, Inbox]) -> None:
    client, _inbox = mailed
    answers = [
        client.post("/api/auth/password-reset", json={"email": f"x{n}@example.com"}).status_code
        for n in range(password_reset.ASKS_PER_ADDRESS + 1)
    ]
    assert answers == [202] * password_reset.ASKS_PER_ADDRESS + [429]


def test_a_relay_that_is_down_is_logged_not_shown(
    settings: Settings, make_account: MakeAccount, caplog: pytest.LogCaptureFixture
) -> None:
    password_reset.ask_limiter = password_reset.AskLimiter()
    closed = settings.model_copy(update={"smtp_port": _closed_port()})
    buyer = make_account(Role.VIEWER)
    with TestClient(create_app(closed)) as client:
        _with_email(client, buyer, "zhao@example.com")
        asked = client.post("/api/auth/password-reset", json={"email": "zhao@example.com"})
    assert asked.status_code == 202
    assert "password reset email not sent" in caplog.text


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port  # closed again when the socket goes

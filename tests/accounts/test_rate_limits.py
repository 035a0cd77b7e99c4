"""Sign-in and sign-up limits: per client address, per account (a short lockout),
never a crowd of addresses."""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from liveshop.accounts.models import ApiToken, User
from liveshop.app import create_app
from liveshop.core.settings import Settings

RIGHT = {"username": "mei_li", "password": "s3cret-password"}
WRONG = {"username": "mei_li", "password": "not-her-password"}
ACCOUNT_LOCKED = "too many wrong passwords for this account; try again in {} s"
ADDRESS_LIMITED = "too many failed sign-ins from your address; try again in {} s"


class Clients:
    """Test clients of one app, one per client address (the address uvicorn reports)."""

    def __init__(self, app: FastAPI) -> None:
        self.app = app
        self._clients: dict[str, TestClient] = {}

    def at(self, address: str) -> TestClient:
        if address not in self._clients:
            self._clients[address] = TestClient(self.app, client=(address, 50000))
        return self._clients[address]

    def close(self) -> None:
        for client in self._clients.values():
            client.close()


MakeClients = Callable[..., Clients]


@pytest.fixture
def make_clients(settings: Settings) -> Iterator[MakeClients]:
    made: list[Clients] = []

    def make(**limits: float) -> Clients:
        clients = Clients(create_app(settings.model_copy(update=limits)))
        made.append(clients)
        return clients

    yield make
    for clients in made:
        clients.close()


class _StoppedClock:
    """Wall time that moves only when the test moves it (a slow machine cannot end a lockout)."""

    def __init__(self) -> None:
        self.now = time.time()

    def __call__(self) -> float:
        return self.now


def _retry_after(response: httpx.Response) -> int:
    return int(response.headers["retry-after"])


def test_thirty_wrong_passwords_lock_the_account_and_the_right_one_waits(
    make_clients: MakeClients, session: Session
) -> None:
    clients = make_clients()
    attacker = clients.at("203.0.113.9")
    assert attacker.post("/api/auth/register", json=RIGHT).status_code == 201

    statuses = [attacker.post("/api/auth/login", json=WRONG).status_code for _ in range(30)]
    right_password = attacker.post("/api/auth/login", json=RIGHT)
    from_elsewhere = clients.at("198.51.100.20").post("/api/auth/login", json=RIGHT)

    assert statuses == [401] * 10 + [429] * 20
    for refused in (right_password, from_elsewhere):
        assert refused.status_code == 429
        seconds = _retry_after(refused)
        assert 299 <= seconds <= 300
        assert refused.json() == {
            "detail": ACCOUNT_LOCKED.format(seconds),
            "code": "account_locked",
        }
    assert session.scalar(select(func.count()).select_from(ApiToken)) == 0


def test_the_lockout_is_short_and_not_extended_by_attempts_while_locked(
    make_clients: MakeClients, session: Session
) -> None:
    clients = make_clients(login_failures_before_lockout=3, login_lockout_seconds=60.0)
    clock = _StoppedClock()
    clients.app.state.sign_in_guard.clock = clock  # the lockout is timed by this clock alone
    client = clients.at("203.0.113.9")
    assert client.post("/api/auth/register", json=RIGHT).status_code == 201
    for _ in range(3):
        assert client.post("/api/auth/login", json=WRONG).status_code == 401

    locked = []
    for _ in range(5):  # one attempt every 10 s of the minute's lockout
        locked.append(client.post("/api/auth/login", json=WRONG).status_code)
        clock.now += 10
    clock.now += 10.5  # the lockout ended 60 s after it began, whatever was tried meanwhile
    after = client.post("/api/auth/login", json=RIGHT)

    assert locked == [429] * 5
    assert after.status_code == 200
    assert session.scalar(select(func.count()).select_from(ApiToken)) == 1


def test_an_address_the_account_signed_in_from_is_not_locked_out_by_an_attacker(
    make_clients: MakeClients, session: Session
) -> None:
    clients = make_clients()
    owner = clients.at("192.0.2.44")
    attacker = clients.at("203.0.113.9")
    assert owner.post("/api/auth/register", json=RIGHT).status_code == 201
    assert owner.post("/api/auth/login", json=RIGHT).status_code == 200
    for _ in range(10):
        assert attacker.post("/api/auth/login", json=WRONG).status_code == 401

    attacker_guess = attacker.post("/api/auth/login", json=RIGHT)
    owner_again = owner.post("/api/auth/login", json=RIGHT)

    assert attacker_guess.status_code == 429
    assert attacker_guess.json()["code"] == "account_locked"
    assert owner_again.status_code == 200
    assert session.scalar(select(func.count()).select_from(ApiToken)) == 2


def test_guessing_from_an_address_the_account_knows_is_locked_too(
    make_clients: MakeClients, session: Session
) -> None:
    clients = make_clients(login_failures_before_lockout=3)
    shared_network = clients.at("192.0.2.44")
    assert shared_network.post("/api/auth/register", json=RIGHT).status_code == 201
    assert shared_network.post("/api/auth/login", json=RIGHT).status_code == 200

    statuses = [shared_network.post("/api/auth/login", json=WRONG).status_code for _ in range(4)]

    assert statuses == [401, 401, 401, 429]
    assert session.scalar(select(func.count()).select_from(ApiToken)) == 1


def test_failed_sign_ins_are_limited_per_address_across_accounts(
    make_clients: MakeClients, session: Session
) -> None:
    clients = make_clients(login_failures_per_address=4)
    stuffer = clients.at("203.0.113.9")

    statuses = [
        stuffer.post(
            "/api/auth/login", json={"username": f"user_{n}", "password": "leaked-password"}
        ).status_code
        for n in range(6)
    ]
    refused = stuffer.post("/api/auth/login", json={"username": "user_9", "password": "x" * 9})
    elsewhere = clients.at("198.51.100.20").post("/api/auth/login", json=WRONG)

    assert statuses == [401, 401, 401, 401, 429, 429]
    seconds = _retry_after(refused)
    assert 1 <= seconds <= 60
    assert refused.json() == {
        "detail": ADDRESS_LIMITED.format(seconds),
        "code": "too_many_sign_ins",
    }
    assert elsewhere.status_code == 401
    assert session.scalar(select(func.count()).select_from(ApiToken)) == 0


def test_successful_sign_ins_do_not_use_up_an_address_s_allowance(
    make_clients: MakeClients, session: Session
) -> None:
    """Many people behind one address (an office, a carrier's NAT) each sign in."""
    clients = make_clients(login_failures_per_address=2)
    office = clients.at("192.0.2.1")
    assert office.post("/api/auth/register", json=RIGHT).status_code == 201

    statuses = [office.post("/api/auth/login", json=RIGHT).status_code for _ in range(5)]

    assert statuses == [200] * 5
    assert session.scalar(select(func.count()).select_from(ApiToken)) == 5


def test_registrations_are_limited_per_address_but_not_across_addresses(
    make_clients: MakeClients, session: Session
) -> None:
    clients = make_clients(registrations_per_address=3)
    one = clients.at("203.0.113.9")

    statuses = [
        one.post(
            "/api/auth/register", json={"username": f"bot_{n}", "password": "s3cret-password"}
        ).status_code
        for n in range(4)
    ]
    refused = one.post(
        "/api/auth/register", json={"username": "bot_9", "password": "s3cret-password"}
    )
    crowd = [
        clients.at(f"198.51.100.{n}")
        .post("/api/auth/register", json={"username": f"fan_{n}", "password": "s3cret-password"})
        .status_code
        for n in range(1, 11)
    ]

    assert statuses == [201, 201, 201, 429]
    seconds = _retry_after(refused)
    assert 1 <= seconds <= 60
    assert refused.json() == {
        "detail": f"too many sign-ups from your address; try again in {seconds} s",
        "code": "too_many_sign_ups",
    }
    assert crowd == [201] * 10
    names = session.scalars(select(User.username).order_by(User.id)).all()
    assert names == ["bot_0", "bot_1", "bot_2", *(f"fan_{n}" for n in range(1, 11))]


def _form_token(client: TestClient, path: str) -> str:
    page = client.get(path)
    found = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert found is not None
    return found.group(1)


def test_the_login_form_is_limited_like_the_api(
    make_clients: MakeClients, session: Session
) -> None:
    clients = make_clients(login_failures_before_lockout=2)
    browser = clients.at("203.0.113.9")
    assert browser.post("/api/auth/register", json=RIGHT).status_code == 201
    token = _form_token(browser, "/login")
    form = {"username": "mei_li", "csrf_token": token}

    wrong = [
        browser.post("/login", data=form | {"password": "not-her-password"}).status_code
        for _ in range(2)
    ]
    locked = browser.post("/login", data=form | {"password": "s3cret-password"})

    assert wrong == [401, 401]
    assert locked.status_code == 429
    seconds = _retry_after(locked)
    assert f"尝试太频繁，请 {seconds} 秒后再试" in locked.text  # the page's words, not the API's
    assert "liveshop_session" not in locked.cookies
    assert session.scalar(select(func.count()).select_from(ApiToken)) == 0


def test_the_sign_up_form_is_limited_like_the_api(
    make_clients: MakeClients, session: Session
) -> None:
    clients = make_clients(registrations_per_address=1)
    browser = clients.at("203.0.113.9")
    token = _form_token(browser, "/register")

    first = browser.post(
        "/register",
        data={"username": "fan_1", "password": "s3cret-password", "csrf_token": token},
        follow_redirects=False,
    )
    second = browser.post(
        "/register",
        data={
            "username": "fan_2",
            "password": "s3cret-password",
            "csrf_token": _form_token(browser, "/register"),  # bound to fan_1's new session
        },
        follow_redirects=False,
    )

    assert first.status_code == 303
    assert second.status_code == 429
    seconds = _retry_after(second)
    assert f"尝试太频繁，请 {seconds} 秒后再试" in second.text
    assert session.scalars(select(User.username)).all() == ["fan_1"]

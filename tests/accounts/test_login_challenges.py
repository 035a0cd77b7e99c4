"""A sign-in the risk checks step up is answered with any second factor the account
has: the authenticator app, a passkey (its assertion bound to this sign-in), or a
six-digit code sent to the account's email (kept hashed, once, ten minutes, a few
tries, a few sends). Only an account with none of them is refused (403)."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from datetime import timedelta
from email.message import Message
from typing import Any

import pyotp
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from liveshop.accounts.models import LoginChallenge
from liveshop.core import risk as core_risk
from liveshop.core.db import unit_of_work
from liveshop.core.risk import RiskDecision, register_risk_assessor
from liveshop.core.settings import Settings
from liveshop.wiring import connect_domains
from tests.accounts.soft_authenticator import SoftAuthenticator
from tests.accounts.test_login_step_up import CREDENTIALS, LoginVerdicts, _tokens
from tests.notifications.helpers import Inbox, mailing_client

EMAIL = "Mei.Li@example.com"
Json = dict[str, Any]


@pytest.fixture
def database_url(sqlite_url: str) -> str:
    return sqlite_url


@pytest.fixture
def inbox_and_client(settings: Settings) -> Iterator[tuple[Inbox, TestClient]]:
    with mailing_client(settings) as (client, inbox):
        yield inbox, client


@pytest.fixture
def client(inbox_and_client: tuple[Inbox, TestClient]) -> TestClient:
    return inbox_and_client[1]


@pytest.fixture
def inbox(inbox_and_client: tuple[Inbox, TestClient]) -> Inbox:
    return inbox_and_client[0]


@pytest.fixture
def engine(client: TestClient) -> Iterator[LoginVerdicts]:
    """An account (allowed to sign in while it is set up), then registered engine."""
    assert client.post("/api/auth/register", json=CREDENTIALS).status_code == 201
    verdicts = LoginVerdicts()
    register_risk_assessor(verdicts)
    yield verdicts
    connect_domains()


def _headers(client: TestClient) -> dict[str, str]:
    token = client.post("/api/auth/login", json=CREDENTIALS).json()["token"]
    return {"Authorization": f"Bearer {token}"}


def _with_email(client: TestClient, inbox: Inbox) -> None:
    """The account's email, confirmed with the code mailed to it (then the inbox is
    emptied: the tests count the sign-in codes)."""
    headers = _headers(client)
    set_email = client.put("/api/auth/me/email", json={"email": EMAIL}, headers=headers)
    assert set_email.status_code == 200, set_email.text
    code = inbox.wait_for(EMAIL.lower(), r"验证码是：(\d{6})").group(1)
    confirmed = client.post("/api/auth/me/email/confirm", json={"code": code}, headers=headers)
    assert confirmed.json() == {"email": EMAIL.lower(), "confirmed": True}, confirmed.text
    inbox.messages.clear()


def _challenged(client: TestClient) -> Json:
    asked = client.post("/api/auth/login", json=CREDENTIALS)
    assert asked.status_code == 401, asked.text
    body: Json = asked.json()
    return body


def _mailed_code(inbox: Inbox, count: int) -> str:
    deadline = time.monotonic() + 5
    while len(inbox.messages) < count and time.monotonic() < deadline:
        time.sleep(0.05)
    message: Message = inbox.messages[count - 1]
    body = message.get_payload(decode=True)
    assert isinstance(body, bytes)
    found = re.search(r"验证码是：(\d{6})", body.decode())
    assert found, body
    assert message["To"] == EMAIL.lower()
    return found.group(1)


def _verify(client: TestClient, challenge: str, **answer: Any) -> tuple[int, Json]:
    response = client.post("/api/auth/login/verify", json={"login_challenge": challenge} | answer)
    body: Json = response.json()
    return response.status_code, body


def _stored(database_url: str, token_hash_of: str) -> LoginChallenge:
    from liveshop.core.security import hash_token

    with unit_of_work(database_url) as session:
        row = session.scalars(
            select(LoginChallenge).where(LoginChallenge.token_hash == hash_token(token_hash_of))
        ).one()
        session.expunge(row)
        return row


def _age_sends(database_url: str, seconds: float) -> None:
    with unit_of_work(database_url) as session:
        for row in session.scalars(select(LoginChallenge)):
            if row.email_sent_at is not None:
                row.email_sent_at -= timedelta(seconds=seconds)


def test_the_401_names_the_factors_only_after_the_right_password(
    client: TestClient, inbox: Inbox, engine: LoginVerdicts
) -> None:
    _with_email(client, inbox)
    engine.decision = RiskDecision.CHALLENGE

    asked = _challenged(client)
    wrong = client.post("/api/auth/login", json=CREDENTIALS | {"password": "not-the-password"})

    assert asked["code"] == "second_factor_required"
    assert (asked["factors"], asked["email_hint"]) == (["email"], "m***@example.com")
    assert len(asked["login_challenge"]) >= 20
    assert (wrong.status_code, wrong.json()) == (
        401,
        {"detail": "wrong username or password", "code": "bad_credentials"},
    )


def test_an_emailed_code_signs_in_once(
    client: TestClient, inbox: Inbox, engine: LoginVerdicts, database_url: str
) -> None:
    _with_email(client, inbox)
    engine.decision = RiskDecision.CHALLENGE
    challenge = _challenged(client)["login_challenge"]
    before = _tokens(database_url)

    sent = client.post("/api/auth/login/email-code", json={"login_challenge": challenge})
    code = _mailed_code(inbox, 1)
    stored = _stored(database_url, challenge)
    wrong = _verify(client, challenge, factor="email", code=f"{(int(code) + 1) % 1_000_000:06d}")
    right = _verify(client, challenge, factor="email", code=code)
    again = _verify(client, challenge, factor="email", code=code)

    assert (sent.status_code, sent.json()) == (
        202,
        {"sent_to": "m***@example.com", "resend_after_seconds": 60},
    )
    assert stored.email_code_hash is not None
    assert code not in stored.email_code_hash
    assert len(stored.email_code_hash) == 64
    assert (wrong[0], wrong[1]["code"]) == (401, "wrong_second_factor")
    assert right[0] == 200
    assert right[1]["user"]["username"] == CREDENTIALS["username"]
    assert (again[0], again[1]["code"]) == (401, "login_challenge_invalid")
    assert _tokens(database_url) == before + 1


def test_sending_codes_is_limited(
    client: TestClient, inbox: Inbox, engine: LoginVerdicts, database_url: str
) -> None:
    _with_email(client, inbox)
    engine.decision = RiskDecision.CHALLENGE
    challenge = _challenged(client)["login_challenge"]
    ask = {"login_challenge": challenge}

    first = client.post("/api/auth/login/email-code", json=ask)
    at_once = client.post("/api/auth/login/email-code", json=ask)
    statuses = []
    for _ in range(3):
        _age_sends(database_url, 61)
        statuses.append(client.post("/api/auth/login/email-code", json=ask))
    first_code, last_code = _mailed_code(inbox, 1), _mailed_code(inbox, 3)
    old = _verify(client, challenge, factor="email", code=first_code)
    newest = _verify(client, challenge, factor="email", code=last_code)

    assert first.status_code == 202
    assert (at_once.status_code, at_once.json()["code"]) == (429, "email_code_sent")
    assert at_once.headers["Retry-After"] == "60"
    assert [r.status_code for r in statuses] == [202, 202, 429]
    assert statuses[-1].json()["code"] == "too_many_email_codes"
    assert len(inbox.messages) == 3
    assert (old[0], old[1]["code"]) == (401, "wrong_second_factor")  # a newer code replaced it
    assert newest[0] == 200


def test_an_expired_code_and_too_many_wrong_answers_are_refused(
    client: TestClient, inbox: Inbox, engine: LoginVerdicts, database_url: str
) -> None:
    _with_email(client, inbox)
    engine.decision = RiskDecision.CHALLENGE
    challenge = _challenged(client)["login_challenge"]
    client.post("/api/auth/login/email-code", json={"login_challenge": challenge})
    code = _mailed_code(inbox, 1)
    with unit_of_work(database_url) as session:
        row = session.scalars(select(LoginChallenge)).one()
        assert row.email_code_expires_at is not None
        row.email_code_expires_at -= timedelta(minutes=10)  # ten minutes later

    expired = _verify(client, challenge, factor="email", code=code)
    wrongs = [_verify(client, challenge, factor="email", code="000000") for _ in range(4)]
    after = _verify(client, challenge, factor="email", code=code)

    assert (expired[0], expired[1]["code"]) == (401, "wrong_second_factor")
    assert [w[0] for w in wrongs] == [401, 401, 401, 423]
    assert wrongs[-1][1]["code"] == "second_factor_locked"
    assert (after[0], after[1]["code"]) == (401, "login_challenge_invalid")


def test_a_passkey_answers_only_the_sign_in_it_was_asked_for(
    client: TestClient, engine: LoginVerdicts, database_url: str
) -> None:
    headers = _headers(client)
    authenticator = SoftAuthenticator(origin="http://testserver")
    options = client.post("/api/me/passkeys/registration-options", headers=headers).json()
    added = client.post(
        "/api/me/passkeys", json={"credential": authenticator.register(options)}, headers=headers
    )
    assert added.status_code == 201, added.text
    engine.decision = RiskDecision.CHALLENGE
    first, second = _challenged(client), _challenged(client)

    asked = [
        client.post("/api/auth/login/passkey-options", json={"login_challenge": c}).json()
        for c in (first["login_challenge"], second["login_challenge"])
    ]
    signed_for_first = authenticator.sign(asked[0])
    on_the_other = _verify(
        client, second["login_challenge"], factor="passkey", credential=signed_for_first
    )
    on_its_own = _verify(
        client, first["login_challenge"], factor="passkey", credential=signed_for_first
    )
    replayed = _verify(
        client, first["login_challenge"], factor="passkey", credential=signed_for_first
    )

    assert first["factors"] == ["passkey"]
    assert first["email_hint"] is None
    assert (on_the_other[0], on_the_other[1]["code"]) == (401, "wrong_second_factor")
    assert on_its_own[0] == 200, on_its_own
    assert (replayed[0], replayed[1]["code"]) == (401, "login_challenge_invalid")


def test_the_authenticator_app_answers_the_challenge_too(
    client: TestClient, inbox: Inbox, engine: LoginVerdicts
) -> None:
    headers = _headers(client)
    app_secret = client.post("/api/me/totp", headers=headers).json()["secret"]
    authenticator = pyotp.TOTP(app_secret)
    confirmed = client.post(
        "/api/me/totp/confirm", json={"code": authenticator.now()}, headers=headers
    )
    _with_email(client, inbox)
    engine.decision = RiskDecision.CHALLENGE

    asked = _challenged(client)
    no_passkey = client.post(
        "/api/auth/login/passkey-options", json={"login_challenge": asked["login_challenge"]}
    )
    later = authenticator.at(time.time() + 30)  # the enrolment used this step's code
    signed_in = _verify(client, asked["login_challenge"], factor="totp", code=later)

    assert confirmed.status_code == 200
    assert asked["factors"] == ["totp", "email"]
    assert (no_passkey.status_code, no_passkey.json()["code"]) == (422, "factor_unavailable")
    assert signed_in[0] == 200, signed_in


def test_an_account_without_any_factor_is_refused_and_an_outage_steps_up(
    client: TestClient, inbox: Inbox, engine: LoginVerdicts, database_url: str
) -> None:
    engine.decision = RiskDecision.CHALLENGE
    refused = client.post("/api/auth/login", json=CREDENTIALS)
    _with_email_while_allowed(client, inbox, engine)

    class Broken(LoginVerdicts):
        def assess(self, request: Any, *, session: Any = None) -> Any:
            raise ConnectionError("the risk engine is down")

    register_risk_assessor(Broken())  # the login path's fail-safe: challenge
    during_outage = _challenged(client)

    assert (refused.status_code, refused.json()["code"]) == (403, "second_factor_unavailable")
    assert "no authenticator app, passkey or email" in refused.json()["detail"]
    assert core_risk.DEFAULT_ON_ERROR[core_risk.RiskPath.LOGIN] == "challenge"
    assert (during_outage["code"], during_outage["factors"]) == (
        "second_factor_required",
        ["email"],
    )


def _with_email_while_allowed(client: TestClient, inbox: Inbox, engine: LoginVerdicts) -> None:
    engine.decision = RiskDecision.ALLOW
    _with_email(client, inbox)
    engine.decision = RiskDecision.CHALLENGE

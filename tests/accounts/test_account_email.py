"""The account's email is a sign-in step-up factor only once confirmed: setting or
changing it mails a six-digit code (kept as a keyed hash, used once, thirty minutes,
five wrong tries, one a minute and five an hour), typed back while signed in."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from liveshop.accounts import account_email
from liveshop.accounts.models import EmailConfirmation
from liveshop.core.db import unit_of_work
from liveshop.core.risk import RiskDecision, register_risk_assessor
from liveshop.core.settings import Settings
from liveshop.wiring import connect_domains
from tests.accounts.test_login_step_up import CREDENTIALS, LoginVerdicts
from tests.notifications.helpers import Inbox, mailing_client

CODE = r"验证码是：(\d{6})"
Json = dict[str, Any]


@pytest.fixture
def mailed(settings: Settings) -> Iterator[tuple[TestClient, Inbox]]:
    with mailing_client(settings) as mailed:
        yield mailed


@pytest.fixture
def engine(mailed: tuple[TestClient, Inbox]) -> Iterator[LoginVerdicts]:
    assert mailed[0].post("/api/auth/register", json=CREDENTIALS).status_code == 201
    verdicts = LoginVerdicts()
    register_risk_assessor(verdicts)
    yield verdicts
    connect_domains()


def _headers(client: TestClient) -> dict[str, str]:
    token = client.post("/api/auth/login", json=CREDENTIALS).json()["token"]
    return {"Authorization": f"Bearer {token}"}


def _set(client: TestClient, headers: dict[str, str], email: str | None) -> Json:
    response = client.put("/api/auth/me/email", json={"email": email}, headers=headers)
    assert response.status_code == 200, response.text
    body: Json = response.json()
    return body


def _confirm(client: TestClient, headers: dict[str, str], code: str) -> tuple[int, Json]:
    response = client.post("/api/auth/me/email/confirm", json={"code": code}, headers=headers)
    body: Json = response.json()
    return response.status_code, body


def _code(inbox: Inbox, email: str) -> str:
    """The newest code mailed to ``email`` (the inbox keeps only that one after)."""
    code = inbox.wait_for(email, CODE).group(1)
    inbox.messages.clear()
    return code


def _wrong(code: str) -> str:
    return f"{(int(code) + 1) % 1_000_000:06d}"


def _age(database_url: str, *, seconds: float) -> None:
    with unit_of_work(database_url) as session:
        for row in session.scalars(select(EmailConfirmation)):
            row.created_at -= timedelta(seconds=seconds)
            row.expires_at -= timedelta(seconds=seconds)


def _factors_of_a_challenged_sign_in(client: TestClient, engine: LoginVerdicts) -> Json:
    engine.decision = RiskDecision.CHALLENGE
    asked = client.post("/api/auth/login", json=CREDENTIALS)
    engine.decision = RiskDecision.ALLOW
    body: Json = asked.json()
    return {"status": asked.status_code, "factors": body.get("factors"), "code": body["code"]}


def test_the_email_is_a_sign_in_factor_only_once_its_code_is_typed_back(
    mailed: tuple[TestClient, Inbox], engine: LoginVerdicts
) -> None:
    client, inbox = mailed
    headers = _headers(client)
    set_to = _set(client, headers, "Mei.Li@Example.com")
    code = _code(inbox, "mei.li@example.com")
    unconfirmed = _factors_of_a_challenged_sign_in(client, engine)
    confirmed = _confirm(client, headers, code)
    after = _factors_of_a_challenged_sign_in(client, engine)
    same_again = _set(client, headers, "mei.li@example.com")

    assert set_to == {"email": "mei.li@example.com", "confirmed": False}
    assert unconfirmed == {"status": 403, "factors": None, "code": "second_factor_unavailable"}
    assert confirmed == (200, {"email": "mei.li@example.com", "confirmed": True})
    assert after == {"status": 401, "factors": ["email"], "code": "second_factor_required"}
    assert same_again == {"email": "mei.li@example.com", "confirmed": True}
    assert client.get("/api/auth/me/email", headers=headers).json()["confirmed"] is True
    assert inbox.messages == []  # the same confirmed address is not mailed again


def test_a_changed_email_is_no_factor_until_the_new_address_is_confirmed(
    mailed: tuple[TestClient, Inbox], engine: LoginVerdicts
) -> None:
    client, inbox = mailed
    headers = _headers(client)
    _set(client, headers, "old@example.com")
    old_code = _code(inbox, "old@example.com")
    assert _confirm(client, headers, old_code)[0] == 200
    changed = _set(client, headers, "new@example.com")
    new_code = _code(inbox, "new@example.com")
    challenged = _factors_of_a_challenged_sign_in(client, engine)
    with_old_code = _confirm(client, headers, old_code)
    with_new_code = _confirm(client, headers, new_code)

    assert changed == {"email": "new@example.com", "confirmed": False}
    assert challenged["factors"] is None  # the old address no longer answers, the new not yet
    assert (with_old_code[0], with_old_code[1]["code"]) == (422, "wrong_email_code")
    assert with_new_code == (200, {"email": "new@example.com", "confirmed": True})


def test_a_code_is_kept_hashed_used_once_and_expires(
    mailed: tuple[TestClient, Inbox], engine: LoginVerdicts, database_url: str
) -> None:
    client, inbox = mailed
    headers = _headers(client)
    _set(client, headers, "mei.li@example.com")
    code = _code(inbox, "mei.li@example.com")
    with unit_of_work(database_url) as session:
        stored = session.scalars(select(EmailConfirmation.code_hash)).one()
    _age(database_url, seconds=account_email.CODE_MINUTES * 60)
    expired = _confirm(client, headers, code)
    _age(database_url, seconds=account_email.RESEND_SECONDS)
    resent = client.post("/api/auth/me/email/code", headers=headers)
    fresh = _code(inbox, "mei.li@example.com")
    right = _confirm(client, headers, fresh)
    again = _confirm(client, headers, fresh)

    assert len(stored) == 64
    assert code not in stored
    assert (expired[0], expired[1]["code"]) == (422, "email_code_invalid")
    assert resent.status_code == 202, resent.text
    assert right[0] == 200
    assert (again[0], again[1]["code"]) == (422, "email_code_invalid")


def test_wrong_codes_use_a_code_up_and_codes_are_sent_a_few_times_an_hour(
    mailed: tuple[TestClient, Inbox], engine: LoginVerdicts, database_url: str
) -> None:
    client, inbox = mailed
    headers = _headers(client)
    _set(client, headers, "mei.li@example.com")
    code = _code(inbox, "mei.li@example.com")
    wrongs = [_confirm(client, headers, _wrong(code)) for _ in range(account_email.MAX_FAILURES)]
    after_wrongs = _confirm(client, headers, code)
    at_once = client.post("/api/auth/me/email/code", headers=headers)
    statuses = []
    for _ in range(account_email.CODES_PER_HOUR):
        _age(database_url, seconds=account_email.RESEND_SECONDS)
        statuses.append(client.post("/api/auth/me/email/code", headers=headers))

    assert [status for status, _ in wrongs] == [422] * account_email.MAX_FAILURES
    assert wrongs[0][1]["code"] == "wrong_email_code"
    assert wrongs[-1][1]["code"] == "email_code_locked"
    assert (after_wrongs[0], after_wrongs[1]["code"]) == (422, "email_code_invalid")
    assert (at_once.status_code, at_once.json()["code"]) == (429, "email_code_sent")
    assert [response.status_code for response in statuses] == [202] * 4 + [429]
    assert statuses[-1].json()["code"] == "too_many_email_codes"
    assert client.get("/api/auth/me/email", headers=headers).json()["confirmed"] is False

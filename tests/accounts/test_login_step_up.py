"""Signing in with the right password, as the risk engine answers: a block refuses
it, a challenge asks for the TOTP second factor (and an account without one is
told to try again later or contact support), an allow signs in."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import pyotp
import pytest
from fastapi.testclient import TestClient
from httpx import Response
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from liveshop.accounts.models import ApiToken
from liveshop.core.clock import utcnow
from liveshop.core.db import unit_of_work
from liveshop.core.risk import (
    RiskDecision,
    RiskPath,
    RiskRequest,
    RiskVerdict,
    register_risk_assessor,
)
from tests.accounts.test_totp import wrong_code

CREDENTIALS = {"username": "mei_li", "password": "s3cret-password"}


@dataclass
class LoginVerdicts:
    """An engine that answers sign-ins with ``decision`` and allows the rest."""

    decision: RiskDecision = RiskDecision.ALLOW

    def assess(self, request: RiskRequest, *, session: Session | None = None) -> RiskVerdict:
        if request.path is not RiskPath.LOGIN:
            return RiskVerdict(RiskDecision.ALLOW, public_reason="")
        return RiskVerdict(self.decision, public_reason="risk: please confirm it is you")

    def record_outcome(self, request: RiskRequest, *, succeeded: bool) -> None:
        return None

    def record_step_up(self, request: RiskRequest) -> None:
        return None


@pytest.fixture
def engine(client: TestClient) -> LoginVerdicts:
    """Registered after the app connected its own engine."""
    verdicts = LoginVerdicts()
    register_risk_assessor(verdicts)
    assert client.post("/api/auth/register", json=CREDENTIALS).status_code == 201
    return verdicts


def _tokens(database_url: str) -> int:
    with unit_of_work(database_url) as session:
        return int(session.scalar(select(func.count()).select_from(ApiToken)) or 0)


def _enrol(client: TestClient) -> pyotp.TOTP:
    token = client.post("/api/auth/login", json=CREDENTIALS).json()["token"]
    headers = {"Authorization": f"Bearer {token}"}
    authenticator = pyotp.TOTP(client.post("/api/me/totp", headers=headers).json()["secret"])
    confirmed = client.post(
        "/api/me/totp/confirm", json={"code": authenticator.now()}, headers=headers
    )
    assert confirmed.status_code == 200, confirmed.text
    return authenticator


def test_a_blocked_sign_in_is_refused(
    client: TestClient, engine: LoginVerdicts, database_url: str
) -> None:
    engine.decision = RiskDecision.BLOCK

    refused = client.post("/api/auth/login", json=CREDENTIALS)

    assert (refused.status_code, refused.json()["code"]) == (403, "risk_refused")
    assert _tokens(database_url) == 0


def test_a_challenged_sign_in_without_a_second_factor_is_told_what_to_do(
    client: TestClient, engine: LoginVerdicts, database_url: str
) -> None:
    engine.decision = RiskDecision.CHALLENGE

    refused = client.post("/api/auth/login", json=CREDENTIALS)

    assert refused.status_code == 403
    assert refused.json() == {
        "detail": "this sign-in needs a second check, and the account has no way to give "
        "one (no authenticator app, passkey or email): please try again later, or contact "
        "support",
        "code": "second_factor_unavailable",
    }
    assert _tokens(database_url) == 0


def test_a_challenged_sign_in_needs_the_authenticators_code(
    client: TestClient, engine: LoginVerdicts, database_url: str
) -> None:
    authenticator = _enrol(client)
    engine.decision = RiskDecision.CHALLENGE
    before = _tokens(database_url)
    next_step = utcnow() + timedelta(seconds=30)  # the enrolment used this step's code

    asked = client.post("/api/auth/login", json=CREDENTIALS)
    wrong = client.post(
        "/api/auth/login",
        json=CREDENTIALS | {"second_factor_code": wrong_code(authenticator, next_step)},
    )
    right = client.post(
        "/api/auth/login",
        json=CREDENTIALS | {"second_factor_code": authenticator.at(next_step)},
    )

    assert (asked.status_code, asked.json()["code"]) == (401, "second_factor_required")
    assert (wrong.status_code, wrong.json()["code"]) == (401, "wrong_second_factor")
    assert right.status_code == 200, right.text
    assert right.json()["user"]["username"] == CREDENTIALS["username"]
    assert _tokens(database_url) == before + 1


def _form_login(client: TestClient, **fields: str) -> Response:
    page = client.get("/login")
    csrf = page.text.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
    form = CREDENTIALS | {"csrf_token": csrf} | fields
    return client.post("/login", data=form, follow_redirects=False)


def _field(page: str, name: str) -> str:
    return page.split(f'name="{name}" value="', 1)[1].split('"', 1)[0]


def test_the_sign_in_page_asks_for_the_factors_the_account_has_and_explains_a_refusal(
    client: TestClient, engine: LoginVerdicts
) -> None:
    authenticator = _enrol(client)
    engine.decision = RiskDecision.CHALLENGE
    next_step = utcnow() + timedelta(seconds=30)

    asked = _form_login(client)
    presession = client.cookies.get("liveshop_presession")
    answer = {
        "csrf_token": _field(asked.text, "csrf_token"),
        "login_challenge": _field(asked.text, "login_challenge"),
        "next": "/orders",
        "factor": "totp",
    }
    wrong = client.post("/login/verify", data=answer | {"code": "000000"})
    signed_in = client.post(
        "/login/verify",
        data=answer | {"code": authenticator.at(next_step)},
        follow_redirects=False,
    )
    client.cookies.clear()  # the same form again, from a browser that did not get the session
    client.cookies.set("liveshop_presession", presession or "")
    used = client.post("/login/verify", data=answer | {"code": authenticator.at(next_step)})
    engine.decision = RiskDecision.BLOCK
    blocked = _form_login(client)

    assert asked.status_code == 401
    assert "确认是你本人" in asked.text
    assert 'id="totp-form"' in asked.text
    assert 'id="email-form"' not in asked.text
    assert 'id="passkey-form"' not in asked.text
    assert wrong.status_code == 401
    assert "验证未通过" in wrong.text
    assert 'id="totp-form"' in wrong.text  # the same sign-in, asked again
    assert (signed_in.status_code, signed_in.headers["location"]) == (303, "/orders")
    assert "liveshop_session" in signed_in.cookies
    assert used.status_code == 401
    assert "本次登录已过期或已完成，请重新输入密码" in used.text
    assert blocked.status_code == 403
    assert "本次登录未通过安全检查，请稍后再试，或联系客服" in blocked.text
    assert 'name="login_challenge"' not in blocked.text

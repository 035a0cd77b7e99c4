"""A sign-in that passed the step-up makes its client known for the account, as a
sign-in with the password alone does: the risk engine does not challenge the next
sign-in from there for the same reasons, and the sign-in limiter does not lock that
address out when failures from elsewhere lock the account."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from liveshop.app import create_app
from liveshop.core.settings import Settings
from tests.accounts.test_login_step_up import CREDENTIALS, _enrol

# Challenged: a sign-in from a second address within a day, unless that client passed
# a step-up for the account.
RULES = "challenge if is_login and user_distinct_ips_24h >= 2 and not client_stepped_up"
WRONG = {"username": CREDENTIALS["username"], "password": "not-the-password"}
LOCKOUT_AFTER = 3


@pytest.fixture
def app(settings: Settings) -> Iterator[FastAPI]:
    update = {"risk_rules": RULES, "login_failures_before_lockout": LOCKOUT_AFTER}
    app = create_app(settings.model_copy(update=update))
    with TestClient(app):  # the lifespan runs while the test does
        yield app


def _from(app: FastAPI, address: str) -> TestClient:
    return TestClient(app, client=(address, 50000))


def _stepped_up_at(app: FastAPI, address: str) -> None:
    """An account with an authenticator app (set up from elsewhere), whose first
    sign-in from ``address`` is challenged and answered with the app's code."""
    home = _from(app, "198.51.100.7")
    assert home.post("/api/auth/register", json=CREDENTIALS).status_code == 201
    authenticator = _enrol(home)
    client = _from(app, address)
    asked = client.post("/api/auth/login", json=CREDENTIALS)
    assert (asked.status_code, asked.json()["code"]) == (401, "second_factor_required")
    later = authenticator.at(time.time() + 30)  # the enrolment used this step's code
    answer = {"login_challenge": asked.json()["login_challenge"], "factor": "totp", "code": later}
    verified = client.post("/api/auth/login/verify", json=answer)
    assert verified.status_code == 200, verified.text


def test_the_next_sign_in_from_the_client_that_stepped_up_is_not_challenged(
    app: FastAPI,
) -> None:
    _stepped_up_at(app, "203.0.113.20")

    again = _from(app, "203.0.113.20").post("/api/auth/login", json=CREDENTIALS)
    elsewhere = _from(app, "192.0.2.55").post("/api/auth/login", json=CREDENTIALS)

    assert again.status_code == 200, again.text
    assert (elsewhere.status_code, elsewhere.json()["code"]) == (401, "second_factor_required")


def test_failures_elsewhere_do_not_lock_out_the_client_that_stepped_up(app: FastAPI) -> None:
    _stepped_up_at(app, "203.0.113.20")
    guesser = _from(app, "192.0.2.99")
    failures = [
        guesser.post("/api/auth/login", json=WRONG).status_code for _ in range(LOCKOUT_AFTER)
    ]

    locked_elsewhere = _from(app, "192.0.2.55").post("/api/auth/login", json=CREDENTIALS)
    owner = _from(app, "203.0.113.20").post("/api/auth/login", json=CREDENTIALS)

    assert failures == [401] * LOCKOUT_AFTER
    assert (locked_elsewhere.status_code, locked_elsewhere.json()["code"]) == (
        429,
        "account_locked",
    )
    assert owner.status_code == 200, owner.text


def _hidden(page: str, name: str) -> str:
    match = re.search(rf'name="{name}" value="([^"]+)"', page)
    assert match, f"no {name} in the page"
    return match[1]


def test_a_step_up_through_the_sign_in_page_makes_its_client_known_too(app: FastAPI) -> None:
    """The page's second step (not the API's) vouches for its client to the limiter."""
    home = _from(app, "198.51.100.7")
    assert home.post("/api/auth/register", json=CREDENTIALS).status_code == 201
    authenticator = _enrol(home)
    browser = _from(app, "203.0.113.20")
    form = browser.get("/login").text
    step = browser.post(
        "/login", data={**CREDENTIALS, "csrf_token": _hidden(form, "csrf_token"), "next": "/"}
    )
    assert 'name="login_challenge"' in step.text, step.text[:500]
    answered = browser.post(
        "/login/verify",
        data={
            "csrf_token": _hidden(step.text, "csrf_token"),
            "login_challenge": _hidden(step.text, "login_challenge"),
            "factor": "totp",
            "code": authenticator.at(time.time() + 30),
            "next": "/",
        },
        follow_redirects=False,
    )
    assert answered.status_code == 303, answered.text[:500]
    guesser = _from(app, "192.0.2.99")
    for _ in range(LOCKOUT_AFTER):
        guesser.post("/api/auth/login", json=WRONG)

    owner = _from(app, "203.0.113.20").post("/api/auth/login", json=CREDENTIALS)

    assert owner.status_code == 200, owner.text

"""The login challenge's rules, on the clock: a challenge lives ten minutes, an
emailed code ten minutes from its sending, and an account gets at most six codes an
hour however many sign-ins it starts."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from liveshop.accounts import login_challenges
from liveshop.accounts.login_challenges import (
    Answer,
    ChallengeAnswer,
    Factor,
    LoginChallengeInvalid,
)
from liveshop.accounts.models import Role, User
from liveshop.accounts.service import create_user
from liveshop.accounts.webauthn_challenges import RelyingParty
from liveshop.core.clock import utcnow
from liveshop.core.db import unit_of_work
from liveshop.core.errors import InvalidInput, RateLimited
from tests.conftest import SECRET_KEY

RP = RelyingParty(rp_id="localhost", origin="http://localhost:8000")


@pytest.fixture
def database_url(sqlite_url: str) -> str:
    return sqlite_url


@pytest.fixture
def user_id(database_url: str) -> int:
    with unit_of_work(database_url) as session:
        user = create_user(
            session, username="lin_wei", password="s3cret-password", role=Role.VIEWER
        )
        user.email = "lin.wei@example.com"
        user.email_confirmed_at = utcnow()  # a code mailed there was typed back
        return user.id


def _open(database_url: str, user_id: int, at: datetime) -> str:
    with unit_of_work(database_url) as session:
        user = session.get_one(User, user_id)
        factors = login_challenges.available_factors(session, user=user)
        return login_challenges.open_challenge(session, user=user, factors=factors, now=at).token


def _send(database_url: str, token: str, at: datetime) -> str:
    with unit_of_work(database_url) as session:
        return login_challenges.email_code(session, token=token, secret_key=SECRET_KEY, now=at).code


def _answer(database_url: str, token: str, code: str, at: datetime) -> Answer:
    with unit_of_work(database_url) as session:
        _user, result = login_challenges.check_answer(
            session,
            token=token,
            answer=ChallengeAnswer(factor=Factor.EMAIL, code=code),
            secret_key=SECRET_KEY,
            rp=RP,
            now=at,
        )
        return result


def test_an_account_gets_six_codes_an_hour_across_sign_ins(database_url: str, user_id: int) -> None:
    start = utcnow()
    sent = 0
    refused: list[str] = []
    for sign_in in range(3):
        token = _open(database_url, user_id, start + timedelta(minutes=sign_in))
        for attempt in range(3):
            at = start + timedelta(minutes=sign_in, seconds=61 * attempt)
            try:
                _send(database_url, token, at)
                sent += 1
            except RateLimited as error:
                refused.append(error.code)
    an_hour_later = start + timedelta(minutes=2, seconds=122 + 3600)  # after the last send
    fresh = _open(database_url, user_id, an_hour_later)
    code = _send(database_url, fresh, an_hour_later)

    assert (sent, refused) == (6, ["too_many_email_codes"] * 3)
    assert _answer(database_url, fresh, code, an_hour_later) is Answer.ACCEPTED


def test_a_sign_in_and_its_code_live_ten_minutes_and_answer_once(
    database_url: str, user_id: int
) -> None:
    start = utcnow()
    token = _open(database_url, user_id, start)
    code = _send(database_url, token, start + timedelta(minutes=1))
    other = _open(database_url, user_id, start)
    other_code = _send(database_url, other, start)

    in_time = _answer(database_url, token, code, start + timedelta(minutes=9, seconds=59))

    assert in_time is Answer.ACCEPTED
    with pytest.raises(LoginChallengeInvalid):
        _answer(database_url, token, code, start + timedelta(minutes=9, seconds=59))  # once
    with pytest.raises(LoginChallengeInvalid):
        _answer(database_url, other, other_code, start + timedelta(minutes=10, seconds=1))


def test_a_code_answers_only_its_own_challenge_and_factors_must_exist(
    database_url: str, user_id: int
) -> None:
    start = utcnow()
    first, second = _open(database_url, user_id, start), _open(database_url, user_id, start)
    first_code = _send(database_url, first, start)
    second_code = _send(database_url, second, start)

    crossed = (  # a code is hashed with its own challenge (equal codes: one in a million)
        _answer(database_url, second, first_code, start)
        if first_code != second_code
        else Answer.WRONG
    )
    with unit_of_work(database_url) as session, pytest.raises(InvalidInput) as no_totp:
        login_challenges.check_answer(
            session,
            token=second,
            answer=ChallengeAnswer(factor=Factor.TOTP, code="123456"),
            secret_key=SECRET_KEY,
            rp=RP,
            now=start,
        )

    assert crossed is Answer.WRONG
    assert no_totp.value.code == "factor_unavailable"
    assert _answer(database_url, second, second_code, start) is Answer.ACCEPTED

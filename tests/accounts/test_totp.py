"""The TOTP second factor: enrolment with a QR code, the time window, once-only codes,
the lock after wrong codes, recovery codes, removal, and nobody else's access."""

from __future__ import annotations

import re
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import pyotp
import pytest
import segno
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from liveshop.accounts import totp
from liveshop.accounts.models import RecoveryCode, Role, TotpFactor, User
from liveshop.accounts.totp import CheckResult
from liveshop.core.clock import utcnow
from liveshop.core.db import unit_of_work
from tests.conftest import SECRET_KEY, Account
from tests.payments.money import new_account, sqlite_only

# Mid-step (12:00:00 is a step boundary), so +/- a few seconds stay in the same step.
T = datetime(2026, 11, 25, 12, 0, 15, tzinfo=UTC)
RECOVERY_CODE = re.compile(r"^[a-hjkmnp-z2-9]{5}-[a-hjkmnp-z2-9]{5}$")


def enrol(database_url: str, user_id: int, at: datetime) -> tuple[pyotp.TOTP, list[str]]:
    """Enrol and confirm through the service, with the code of ``at``."""
    with unit_of_work(database_url) as session:
        user = session.get_one(User, user_id)
        enrolment = totp.start_enrolment(session, user=user, secret_key=SECRET_KEY)
        authenticator = pyotp.TOTP(enrolment.secret)
        codes = totp.confirm_enrolment(
            session, user=user, code=authenticator.at(at), secret_key=SECRET_KEY, now=at
        )
    assert codes is not None
    return authenticator, codes


def check(database_url: str, user_id: int, code: str, now: datetime) -> CheckResult:
    with unit_of_work(database_url) as session:
        return totp.check_second_factor(
            session, user_id=user_id, code=code, secret_key=SECRET_KEY, now=now
        )


def factor_state(database_url: str, user_id: int) -> tuple[int, int, datetime | None, int]:
    """(last accepted step, wrong codes in a row, locked until, unused recovery codes)."""
    with unit_of_work(database_url) as session:
        factor = session.get_one(TotpFactor, user_id)
        unused = totp.unused_recovery_codes(session, user_id=user_id)
        return factor.last_step, factor.failed_attempts, factor.locked_until, unused


def wrong_code(authenticator: pyotp.TOTP, at: datetime) -> str:
    """Six digits that are none of the window's codes around ``at``."""
    window = {authenticator.at(at + timedelta(seconds=s)) for s in (-30, 0, 30)}
    code = int(authenticator.at(at))
    while f"{code:06d}" in window:
        code = (code + 1) % 1_000_000
    return f"{code:06d}"


def status_of(client: TestClient, account: Account) -> dict[str, object]:
    response = client.get("/api/me/totp", headers=account.headers)
    assert response.status_code == 200, response.text
    body: dict[str, object] = response.json()
    return body


@sqlite_only
def test_enrolment_shows_a_qr_code_and_a_first_code_turns_it_on(
    client: TestClient, database_url: str
) -> None:
    buyer = new_account(database_url, Role.VIEWER, "buyer_mei")
    assert status_of(client, buyer) == {"enrolled": False, "recovery_codes_left": 0}
    started = client.post("/api/me/totp", headers=buyer.headers)
    assert started.status_code == 201, started.text
    enrolment = started.json()
    authenticator = pyotp.TOTP(enrolment["secret"])
    uri = authenticator.provisioning_uri(name="buyer_mei", issuer_name="LiveShop")
    assert enrolment["otpauth_uri"] == uri
    assert uri.startswith("otpauth://totp/LiveShop:buyer_mei?secret=")
    # The QR code encodes exactly the otpauth URI.
    expected_svg = segno.make(uri, error="m").svg_inline(scale=4, dark="#111", light="#fff")
    assert enrolment["qr_svg"] == expected_svg
    assert enrolment["qr_svg"].startswith("<svg")
    assert enrolment["qr_svg"].endswith("</svg>")
    assert status_of(client, buyer) == {"enrolled": False, "recovery_codes_left": 0}

    wrong = client.post(
        "/api/me/totp/confirm",
        json={"code": wrong_code(authenticator, utcnow())},
        headers=buyer.headers,
    )
    assert (wrong.status_code, wrong.json()["code"]) == (422, "wrong_code")
    assert status_of(client, buyer) == {"enrolled": False, "recovery_codes_left": 0}

    confirmed = client.post(
        "/api/me/totp/confirm", json={"code": authenticator.now()}, headers=buyer.headers
    )
    assert confirmed.status_code == 200, confirmed.text
    codes = confirmed.json()["recovery_codes"]
    assert len(codes) == 10
    assert len(set(codes)) == 10
    assert all(RECOVERY_CODE.match(code) for code in codes), codes
    assert status_of(client, buyer) == {"enrolled": True, "recovery_codes_left": 10}

    again = client.post("/api/me/totp", headers=buyer.headers)
    assert (again.status_code, again.json()["code"]) == (409, "totp_already_enrolled")
    assert status_of(client, buyer) == {"enrolled": True, "recovery_codes_left": 10}


@sqlite_only
@pytest.mark.parametrize(
    ("offset", "expected"),
    [
        (0, CheckResult.ACCEPTED),
        (30, CheckResult.ACCEPTED),
        (-30, CheckResult.ACCEPTED),
        (60, CheckResult.WRONG),
        (-60, CheckResult.WRONG),
        (90, CheckResult.WRONG),
        (-300, CheckResult.WRONG),
    ],
)
def test_a_code_counts_within_one_step_either_side_of_now(
    database_url: str, offset: int, expected: CheckResult
) -> None:
    buyer = new_account(database_url)
    authenticator, _codes = enrol(database_url, buyer.id, T - timedelta(minutes=10))
    code = authenticator.at(T + timedelta(seconds=offset))
    assert check(database_url, buyer.id, code, now=T) is expected
    last_step, failures, locked_until, _unused = factor_state(database_url, buyer.id)
    if expected is CheckResult.ACCEPTED:
        assert (last_step, failures) == ((int(T.timestamp()) + offset) // 30, 0)
    else:
        assert (last_step, failures) == (int((T - timedelta(minutes=10)).timestamp()) // 30, 1)
    assert locked_until is None


@sqlite_only
def test_a_code_is_accepted_once_only_and_never_an_older_one(database_url: str) -> None:
    buyer = new_account(database_url)
    authenticator, _codes = enrol(database_url, buyer.id, T - timedelta(minutes=10))
    now_code = authenticator.at(T)
    assert check(database_url, buyer.id, now_code, now=T) is CheckResult.ACCEPTED
    assert check(database_url, buyer.id, now_code, now=T + timedelta(seconds=5)) is (
        CheckResult.WRONG
    )
    # The previous step's code was never used, but it is older than the one accepted.
    previous = authenticator.at(T - timedelta(seconds=30))
    assert check(database_url, buyer.id, previous, now=T) is CheckResult.WRONG
    # The next step's code is still good, once.
    following = authenticator.at(T + timedelta(seconds=30))
    assert check(database_url, buyer.id, following, now=T) is CheckResult.ACCEPTED
    assert check(database_url, buyer.id, following, now=T) is CheckResult.WRONG
    assert factor_state(database_url, buyer.id)[:3] == (int(T.timestamp()) // 30 + 1, 1, None)


@sqlite_only
def test_five_wrong_codes_lock_the_factor_for_a_quarter_of_an_hour(
    client: TestClient, database_url: str
) -> None:
    buyer = new_account(database_url)
    authenticator, codes = enrol(database_url, buyer.id, utcnow() - timedelta(minutes=10))
    bad = wrong_code(authenticator, utcnow())
    statuses = []
    before = utcnow()
    for _ in range(5):
        response = client.post("/api/me/totp/remove", json={"code": bad}, headers=buyer.headers)
        statuses.append((response.status_code, response.json()["code"]))
    after = utcnow()
    assert statuses == [(422, "wrong_code")] * 5
    last_step, failures, locked_until, unused = factor_state(database_url, buyer.id)
    assert locked_until is not None
    assert before + timedelta(minutes=15) <= locked_until <= after + timedelta(minutes=15)

    # Locked: even the right code is refused, and the factor stays.
    right = client.post(
        "/api/me/totp/remove", json={"code": authenticator.now()}, headers=buyer.headers
    )
    assert (right.status_code, right.json()["code"]) == (423, "second_factor_locked")
    assert status_of(client, buyer) == {"enrolled": True, "recovery_codes_left": 10}
    assert factor_state(database_url, buyer.id) == (last_step, failures, locked_until, unused)

    just_before = locked_until - timedelta(seconds=1)
    assert check(database_url, buyer.id, authenticator.at(just_before), now=just_before) is (
        CheckResult.LOCKED
    )
    assert check(database_url, buyer.id, codes[0], now=just_before) is CheckResult.LOCKED
    assert factor_state(database_url, buyer.id) == (last_step, failures, locked_until, unused)
    assert check(database_url, buyer.id, authenticator.at(locked_until), now=locked_until) is (
        CheckResult.ACCEPTED
    )


@sqlite_only
def test_a_recovery_code_stands_in_for_the_app_once(client: TestClient, database_url: str) -> None:
    buyer = new_account(database_url)
    _authenticator, codes = enrol(database_url, buyer.id, T - timedelta(minutes=10))
    assert check(database_url, buyer.id, codes[0], now=T) is CheckResult.ACCEPTED
    assert check(database_url, buyer.id, codes[0], now=T) is CheckResult.WRONG
    # Typed without the dash, it is the same code.
    assert check(database_url, buyer.id, codes[1].replace("-", ""), now=T) is (CheckResult.ACCEPTED)
    assert check(database_url, buyer.id, codes[1], now=T) is CheckResult.WRONG
    assert status_of(client, buyer) == {"enrolled": True, "recovery_codes_left": 8}


@sqlite_only
def test_removing_the_factor_takes_a_code(client: TestClient, database_url: str) -> None:
    buyer = new_account(database_url)
    authenticator, _codes = enrol(database_url, buyer.id, utcnow() - timedelta(minutes=10))
    missing = client.post("/api/me/totp/remove", json={}, headers=buyer.headers)
    wrong = client.post(
        "/api/me/totp/remove",
        json={"code": wrong_code(authenticator, utcnow())},
        headers=buyer.headers,
    )
    assert (missing.status_code, wrong.status_code, wrong.json()["code"]) == (
        422,
        422,
        "wrong_code",
    )
    assert status_of(client, buyer) == {"enrolled": True, "recovery_codes_left": 10}

    removed = client.post(
        "/api/me/totp/remove", json={"code": authenticator.now()}, headers=buyer.headers
    )
    assert removed.status_code == 204, removed.text
    assert status_of(client, buyer) == {"enrolled": False, "recovery_codes_left": 0}
    with unit_of_work(database_url) as session:
        assert session.get(TotpFactor, buyer.id) is None
        assert session.scalar(select(func.count(RecoveryCode.id))) == 0


@sqlite_only
def test_another_user_can_neither_see_nor_change_my_factor(
    client: TestClient, database_url: str
) -> None:
    mine, other = new_account(database_url), new_account(database_url)
    authenticator, codes = enrol(database_url, mine.id, utcnow() - timedelta(minutes=10))
    state = factor_state(database_url, mine.id)

    assert status_of(client, other) == {"enrolled": False, "recovery_codes_left": 0}
    removal = client.post(
        "/api/me/totp/remove", json={"code": authenticator.now()}, headers=other.headers
    )
    with_recovery = client.post(
        "/api/me/totp/remove", json={"code": codes[0]}, headers=other.headers
    )
    confirmation = client.post(
        "/api/me/totp/confirm", json={"code": authenticator.now()}, headers=other.headers
    )
    assert [(r.status_code, r.json()["code"]) for r in (removal, with_recovery, confirmation)] == [
        (404, "totp_not_enrolled"),
        (404, "totp_not_enrolled"),
        (404, "no_pending_totp"),
    ]
    assert factor_state(database_url, mine.id) == state
    assert status_of(client, mine) == {"enrolled": True, "recovery_codes_left": 10}

    # The other user's own enrolment is a different secret; my codes do not fit it.
    theirs = client.post("/api/me/totp", headers=other.headers).json()
    assert theirs["secret"] != authenticator.secret
    mine_in_theirs = client.post(
        "/api/me/totp/confirm", json={"code": authenticator.now()}, headers=other.headers
    )
    assert mine_in_theirs.status_code == 422
    assert factor_state(database_url, mine.id) == state
    assert check(database_url, mine.id, authenticator.now(), now=utcnow()) is (CheckResult.ACCEPTED)


SAME_CODE_USES = 4
GUESSERS = 8


def test_concurrent_checks_accept_a_code_once_and_count_every_wrong_one(database_url: str) -> None:
    """Two payments answered at once with the same code: one passes. Wrong codes sent
    in parallel all count, so parallel guessing cannot outrun the lock."""
    buyer, guessed = new_account(database_url), new_account(database_url)
    authenticator, _codes = enrol(database_url, buyer.id, T - timedelta(minutes=10))
    code = authenticator.at(T)
    same_code = threading.Barrier(SAME_CODE_USES)

    def use_code(_: int) -> CheckResult:
        same_code.wait()
        return check(database_url, buyer.id, code, now=T)

    with ThreadPoolExecutor(max_workers=SAME_CODE_USES) as pool:
        results = list(pool.map(use_code, range(SAME_CODE_USES)))
    assert sorted(results) == sorted([CheckResult.ACCEPTED] + [CheckResult.WRONG] * 3)
    assert factor_state(database_url, buyer.id)[:3] == (int(T.timestamp()) // 30, 3, None)

    guessed_authenticator, _ = enrol(database_url, guessed.id, T - timedelta(minutes=10))
    bad = wrong_code(guessed_authenticator, T)
    guesses_at_once = threading.Barrier(GUESSERS)

    def guess(_: int) -> CheckResult:
        guesses_at_once.wait()
        return check(database_url, guessed.id, bad, now=T)

    with ThreadPoolExecutor(max_workers=GUESSERS) as pool:
        guesses = list(pool.map(guess, range(GUESSERS)))
    # The 5th wrong code locks the factor; the 6th to 8th meet the lock.
    assert sorted(guesses) == sorted([CheckResult.WRONG] * 5 + [CheckResult.LOCKED] * 3)
    _step, failures, locked_until, _unused = factor_state(database_url, guessed.id)
    assert (failures, locked_until) == (0, T + timedelta(minutes=15))

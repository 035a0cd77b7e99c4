"""Signing up and signing in: the use cases that run argon2, each outside any transaction.

Argon2 costs tens of milliseconds of CPU on purpose. Inside a transaction it would
hold the transaction that long, and on SQLite a writing transaction holds the one
write lock from BEGIN, so every other writer (orders, chat, a flash sale) would
wait behind each password. These use cases therefore open their own short units
of work around it instead of running in the request's: sign-up hashes first and
then writes; sign-in reads the stored hash (a reader: no lock), verifies it with
no transaction open, then writes the token. The unique index on usernames still
decides between concurrent sign-ups.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from liveshop.accounts import login_challenges, totp
from liveshop.accounts.display_names import clean_display_name
from liveshop.accounts.models import Role, User
from liveshop.accounts.service import (
    add_user,
    find_stored_password,
    issue_token,
    prepare_credentials,
)
from liveshop.accounts.sign_in_guard import SignInGuard
from liveshop.core.clock import as_utc, utcnow
from liveshop.core.db import unit_of_work
from liveshop.core.errors import LiveShopError, NotAuthenticated, PermissionDenied
from liveshop.core.risk import (
    RiskDecision,
    RiskPath,
    RiskRefused,
    RiskRequest,
    assess_risk,
    record_risk_outcome,
    record_risk_step_up,
)
from liveshop.core.security import verify_password

NO_SECOND_FACTOR = (
    "this sign-in needs a second check, and the account has no way to give one (no "
    "authenticator app, passkey or email): please try again later, or contact support"
)
STEP_UP = (
    "this sign-in needs a second step: confirm it with one of your account's second "
    "factors (an authenticator app code or a recovery code, a passkey, or a code sent "
    "to your email)"
)


@dataclass(frozen=True)
class SecondFactorAnswer:
    """The code typed at sign-in (from the authenticator app, or a recovery code),
    with the application's key that checks it."""

    code: str
    secret_key: str


class SecondFactorRequired(NotAuthenticated):
    """Carries the sign-in's challenge: its token and the factors that answer it."""

    code = "second_factor_required"

    def __init__(self, message: str, *, step_up: login_challenges.StepUp) -> None:
        super().__init__(message)
        self.step_up = step_up


class WrongSecondFactor(NotAuthenticated):
    code = "wrong_second_factor"


class SecondFactorLocked(LiveShopError):
    status_code = 423
    code = "second_factor_locked"


class SecondFactorUnavailable(PermissionDenied):
    code = "second_factor_unavailable"


# What log_in raises for a right password besides NotAuthenticated (pages catch them).
RISK_REFUSALS = (RiskRefused, SecondFactorLocked, SecondFactorUnavailable)


def register_viewer(
    database_url: str,
    *,
    guard: SignInGuard,
    username: str,
    password: str,
    address: str,
    display_name: str | None = None,
) -> User:
    """A new viewer, committed, with the display name (昵称) they chose if any (checked
    before anything is stored); RateLimited when ``address`` signs up too often."""
    guard.start_registration(address=address)
    shown = clean_display_name(display_name)
    credentials = prepare_credentials(username=username, password=password)
    with unit_of_work(database_url) as session:
        user = add_user(session, credentials=credentials, role=Role.VIEWER)
        user.display_name = shown
        return user


def log_in(
    database_url: str,
    *,
    guard: SignInGuard,
    username: str,
    password: str,
    address: str,
    second_factor: SecondFactorAnswer | None = None,
) -> tuple[User, str]:
    """The user and a new token (committed); NotAuthenticated for a wrong username or
    password, RateLimited while the account or the address is held back. A right
    password the risk engine blocks is refused (RiskRefused); one it challenges opens a
    login challenge that any factor of the account answers (SecondFactorRequired
    carries it; ``login_step_up.finish_login``), or takes the TOTP ``second_factor``
    at once (WrongSecondFactor, SecondFactorLocked); an account with no factor at
    all cannot sign in then (SecondFactorUnavailable)."""
    attempt = guard.start_login(username=username, address=address)
    with unit_of_work(database_url, writes=False) as session:
        stored = find_stored_password(session, username=username)
    # An unknown user is checked against a dummy hash: as slow as a wrong password.
    is_right = verify_password(stored.password_hash if stored else None, password)
    user, token, refusal = None, "", None
    if is_right and stored is not None:
        with unit_of_work(database_url) as session:
            user = session.get(User, stored.user_id)
            # The password changed (or the account was erased) since it was read.
            if user is not None and user.password_hash == stored.password_hash:
                refusal = _risk_refusal(session, user, second_factor)
                token = "" if refusal else issue_token(session, user=user)
    if refusal is not None:
        # The password was right, so the account's lockout does not count it; the
        # address's attempt stays spent (the second factor has a lockout of its own).
        raise refusal
    if user is None or not token:
        guard.login_failed(attempt)
        if stored is not None:  # the risk engine's failed-login bursts (stuffing, takeover)
            record_risk_outcome(login_request(stored.user_id), succeeded=False)
        raise NotAuthenticated("wrong username or password", code="bad_credentials")
    guard.login_succeeded(attempt)
    return user, token


def login_request(user_id: int, user: User | None = None) -> RiskRequest:
    now = utcnow()
    created = as_utc(user.created_at) if user is not None else now
    return RiskRequest(
        path=RiskPath.LOGIN,
        user_id=user_id,
        account_created_at=created,
        at=now,
        subject=f"user:{user_id}",
    )


def _risk_refusal(
    session: Session, user: User, answer: SecondFactorAnswer | None
) -> LiveShopError | None:
    """Why the risk engine's verdict stops this sign-in with the right password, or
    None. Returned, not raised: a wrong code must be committed to count towards the
    factor's lockout (and a blocked sign-in's case is kept for the analysts)."""
    verdict = assess_risk(login_request(user.id, user), session=session)
    if verdict.decision is RiskDecision.BLOCK:
        return RiskRefused(verdict.public_reason or "sign-in refused by risk checks")
    if verdict.decision is not RiskDecision.CHALLENGE:
        return None
    factors = login_challenges.available_factors(session, user=user)
    if not factors:
        return SecondFactorUnavailable(NO_SECOND_FACTOR)
    if answer is None or login_challenges.Factor.TOTP not in factors:
        step_up = login_challenges.open_challenge(session, user=user, factors=factors)
        return SecondFactorRequired(STEP_UP, step_up=step_up)
    result = totp.check_second_factor(
        session, user_id=user.id, code=answer.code, secret_key=answer.secret_key
    )
    if result is totp.CheckResult.ACCEPTED:
        record_risk_step_up(login_request(user.id, user))
        return None
    record_risk_outcome(login_request(user.id, user), succeeded=False)
    if result is totp.CheckResult.LOCKED:
        return SecondFactorLocked("too many wrong codes: the second factor is locked for a while")
    return WrongSecondFactor("wrong code")

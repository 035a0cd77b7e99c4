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

from sqlalchemy.orm import Session

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
from liveshop.core.errors import NotAuthenticated
from liveshop.core.risk import (
    RiskDecision,
    RiskPath,
    RiskRefused,
    RiskRequest,
    assess_risk,
    record_risk_outcome,
)
from liveshop.core.security import verify_password


def register_viewer(
    database_url: str, *, guard: SignInGuard, username: str, password: str, address: str
) -> User:
    """A new viewer, committed; RateLimited when ``address`` signs up too often."""
    guard.start_registration(address=address)
    credentials = prepare_credentials(username=username, password=password)
    with unit_of_work(database_url) as session:
        return add_user(session, credentials=credentials, role=Role.VIEWER)


def log_in(
    database_url: str, *, guard: SignInGuard, username: str, password: str, address: str
) -> tuple[User, str]:
    """The user and a new token (committed); NotAuthenticated for a wrong username or
    password, RateLimited while the account or the address is held back."""
    attempt = guard.start_login(username=username, address=address)
    with unit_of_work(database_url, writes=False) as session:
        stored = find_stored_password(session, username=username)
    # An unknown user is checked against a dummy hash: as slow as a wrong password.
    is_right = verify_password(stored.password_hash if stored else None, password)
    user, token = None, ""
    if is_right and stored is not None:
        with unit_of_work(database_url) as session:
            user = session.get(User, stored.user_id)
            # The password changed (or the account was erased) since it was read.
            if user is not None and user.password_hash == stored.password_hash:
                _refuse_risky_login(session, user)
                token = issue_token(session, user=user)
    if user is None or not token:
        guard.login_failed(attempt)
        if stored is not None:  # the risk engine's failed-login bursts (stuffing, takeover)
            record_risk_outcome(_login_request(stored.user_id), succeeded=False)
        raise NotAuthenticated("wrong username or password", code="bad_credentials")
    guard.login_succeeded(attempt)
    return user, token


def _login_request(user_id: int, user: User | None = None) -> RiskRequest:
    now = utcnow()
    created = as_utc(user.created_at) if user is not None else now
    return RiskRequest(
        path=RiskPath.LOGIN,
        user_id=user_id,
        account_created_at=created,
        at=now,
        subject=f"user:{user_id}",
    )


def _refuse_risky_login(session: Session, user: User) -> None:
    """A right password from a client the risk engine blocks does not sign in. (A
    challenge is left to the payments' step-up: sign-in has no second factor yet.)"""
    verdict = assess_risk(_login_request(user.id, user), session=session)
    if verdict.decision is RiskDecision.BLOCK:
        raise RiskRefused(verdict.public_reason or "sign-in refused by risk checks")

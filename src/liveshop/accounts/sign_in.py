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

from liveshop.accounts.models import Role, User
from liveshop.accounts.service import (
    add_user,
    find_stored_password,
    issue_token,
    prepare_credentials,
)
from liveshop.accounts.sign_in_guard import SignInGuard
from liveshop.core.db import unit_of_work
from liveshop.core.errors import NotAuthenticated
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
                token = issue_token(session, user=user)
    if user is None or not token:
        guard.login_failed(attempt)
        raise NotAuthenticated("wrong username or password", code="bad_credentials")
    guard.login_succeeded(attempt)
    return user, token

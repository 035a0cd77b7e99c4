"""Users, roles and tokens. Services flush; the caller commits."""

from __future__ import annotations

import re
import time
from collections.abc import Collection
from datetime import timedelta

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from liveshop.accounts.models import ApiToken, Role, User
from liveshop.accounts.schemas import MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH, USERNAME_PATTERN
from liveshop.core.clock import as_utc, utcnow
from liveshop.core.errors import (
    Conflict,
    InvalidInput,
    NotAuthenticated,
    NotFound,
    PermissionDenied,
)
from liveshop.core.security import hash_password, hash_token, new_token, verify_password

DEFAULT_TOKEN_TTL = timedelta(days=30)


# A hot path (a flash sale's crowd) then authenticates from memory. The price: a
# token revoked on another worker keeps working there for up to this long.
TOKEN_CACHE_SECONDS = 5.0
TOKEN_CACHE_SIZE = 100_000


class TokenCache:
    def __init__(self) -> None:
        self._entries: dict[tuple[str, str], tuple[User, float]] = {}

    def get(self, database_url: str, token: str) -> User | None:
        entry = self._entries.get((database_url, token))
        if entry is None or entry[1] < time.monotonic():
            return None
        return entry[0]

    def put(self, database_url: str, token: str, user: User) -> None:
        if len(self._entries) >= TOKEN_CACHE_SIZE:
            self._entries.clear()
        self._entries[(database_url, token)] = (user, time.monotonic() + TOKEN_CACHE_SECONDS)

    def forget(self, token: str) -> None:
        for key in [key for key in self._entries if key[1] == token]:
            del self._entries[key]


token_cache = TokenCache()


def create_user(session: Session, *, username: str, password: str, role: Role) -> User:
    """A new user; a taken username raises Conflict and leaves the session usable.

    The same rules as registration apply to every caller (the CLI included).
    """
    if not re.fullmatch(USERNAME_PATTERN, username):
        raise InvalidInput("a username is 3-40 letters, digits, _ or -", code="bad_username")
    if not MIN_PASSWORD_LENGTH <= len(password) <= MAX_PASSWORD_LENGTH:
        raise InvalidInput(
            f"a password has {MIN_PASSWORD_LENGTH} to {MAX_PASSWORD_LENGTH} characters",
            code="bad_password",
        )
    user = User(username=username, password_hash=hash_password(password), role=role)
    try:
        # Added inside the savepoint, so a refused user is expunged with it and
        # the caller's transaction can still commit.
        with session.begin_nested():
            session.add(user)
            session.flush()
    except IntegrityError as error:
        raise Conflict(f"username {username!r} is taken", code="username_taken") from error
    return user


def register_viewer(session: Session, *, username: str, password: str) -> User:
    return create_user(session, username=username, password=password, role=Role.VIEWER)


def issue_token(
    session: Session, *, user: User, time_to_live: timedelta = DEFAULT_TOKEN_TTL
) -> str:
    token = new_token()
    session.add(
        ApiToken(user_id=user.id, token_hash=hash_token(token), expires_at=utcnow() + time_to_live)
    )
    session.flush()
    return token


def log_in(session: Session, *, username: str, password: str) -> tuple[User, str]:
    user = session.scalars(select(User).where(User.username == username)).one_or_none()
    if not verify_password(user.password_hash if user else None, password) or user is None:
        raise NotAuthenticated("wrong username or password", code="bad_credentials")
    return user, issue_token(session, user=user)


def revoke_token(session: Session, *, token: str) -> None:
    token_cache.forget(token)
    session.execute(
        update(ApiToken)
        .where(ApiToken.token_hash == hash_token(token), ApiToken.revoked_at.is_(None))
        .values(revoked_at=utcnow())
    )


def user_for_token(session: Session, *, token: str) -> User | None:
    """The live, unexpired, unrevoked token's user, or None."""
    row = session.execute(
        select(User, ApiToken.expires_at)
        .join(ApiToken, ApiToken.user_id == User.id)
        .where(ApiToken.token_hash == hash_token(token), ApiToken.revoked_at.is_(None))
    ).one_or_none()
    if row is None or as_utc(row.expires_at) <= utcnow():
        return None
    user: User = row.User
    return user


def users_for_tokens(session: Session, *, tokens: Collection[str]) -> dict[str, User]:
    """The users of the live, unexpired, unrevoked tokens among ``tokens``, in one query.

    For a crowd that arrives at once (a flash sale): one round trip for many
    cold tokens instead of one each. A token missing from the answer is not valid.
    """
    by_hash = {hash_token(token): token for token in tokens}
    rows = session.execute(
        select(User, ApiToken.token_hash, ApiToken.expires_at)
        .join(ApiToken, ApiToken.user_id == User.id)
        .where(ApiToken.token_hash.in_(list(by_hash)), ApiToken.revoked_at.is_(None))
    ).all()
    now = utcnow()
    return {by_hash[row.token_hash]: row.User for row in rows if as_utc(row.expires_at) > now}


def get_user(session: Session, *, user_id: int) -> User:
    user = session.get(User, user_id)
    if user is None:
        raise NotFound(f"user {user_id} not found")
    return user


def require_role(user: User, *roles: Role) -> None:
    """Admins may do anything a narrower role may."""
    if user.role not in roles and user.role is not Role.ADMIN:
        allowed = ", ".join(role.value for role in roles)
        raise PermissionDenied(f"this needs the role {allowed}", code="wrong_role")

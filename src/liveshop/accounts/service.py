"""Users, roles and tokens. Services flush; the caller commits."""

from __future__ import annotations

import re
import time
from collections.abc import Collection
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from liveshop.accounts.models import ApiToken, Role, User
from liveshop.accounts.passwords import check_new_password
from liveshop.accounts.schemas import USERNAME_PATTERN
from liveshop.core.clock import as_utc, utcnow
from liveshop.core.errors import (
    Conflict,
    InvalidInput,
    NotFound,
    PermissionDenied,
)
from liveshop.core.security import hash_password, hash_token, new_token

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

    def forget_user(self, user_id: int) -> None:
        """Every cached token of one user (all their sessions were revoked)."""
        for key in [key for key, (user, _) in self._entries.items() if user.id == user_id]:
            del self._entries[key]


token_cache = TokenCache()


@dataclass(frozen=True)
class NewCredentials:
    """A username and a password that passed the rules, the password already hashed."""

    username: str
    password_hash: str


@dataclass(frozen=True)
class StoredPassword:
    user_id: int
    password_hash: str


def prepare_credentials(*, username: str, password: str) -> NewCredentials:
    """Check the rules and hash the password with argon2 (tens of ms of CPU): call it
    before the transaction that stores the user, never inside one."""
    if not re.fullmatch(USERNAME_PATTERN, username):
        raise InvalidInput("a username is 3-40 letters, digits, _ or -", code="bad_username")
    check_new_password(password)
    return NewCredentials(username=username, password_hash=hash_password(password))


def add_user(session: Session, *, credentials: NewCredentials, role: Role) -> User:
    """A new user; a taken username raises Conflict and leaves the session usable.

    The unique index on the username decides between concurrent sign-ups.
    """
    user = User(username=credentials.username, password_hash=credentials.password_hash, role=role)
    try:
        # Added inside the savepoint, so a refused user is expunged with it and
        # the caller's transaction can still commit.
        with session.begin_nested():
            session.add(user)
            session.flush()
    except IntegrityError as error:
        taken = f"username {credentials.username!r} is taken"
        raise Conflict(taken, code="username_taken") from error
    return user


def create_user(session: Session, *, username: str, password: str, role: Role) -> User:
    """A new user, under the same rules as registration (the CLI, the demo, fixtures).

    The password is hashed before the session's first statement here; a caller
    whose transaction has already begun holds it while argon2 runs, which is why
    the sign-up routes use ``sign_in.register_viewer`` instead.
    """
    return add_user(
        session, credentials=prepare_credentials(username=username, password=password), role=role
    )


def find_stored_password(session: Session, *, username: str) -> StoredPassword | None:
    row = session.execute(
        select(User.id, User.password_hash).where(User.username == username)
    ).one_or_none()
    return StoredPassword(user_id=row.id, password_hash=row.password_hash) if row else None


def issue_token(
    session: Session, *, user: User, time_to_live: timedelta = DEFAULT_TOKEN_TTL
) -> str:
    token = new_token()
    session.add(
        ApiToken(user_id=user.id, token_hash=hash_token(token), expires_at=utcnow() + time_to_live)
    )
    session.flush()
    return token


def remember_locale(session: Session, *, user_id: int, locale: str) -> None:
    """Keep the language the person reads (their pages' locale) for what is mailed to
    them with no page open; written only when it changed."""
    session.execute(
        update(User)
        .where(User.id == user_id, or_(User.locale.is_(None), User.locale != locale))
        .values(locale=locale)
    )


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

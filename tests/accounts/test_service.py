"""Accounts service: users, password hashes, tokens."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from liveshop.accounts import service, sign_in
from liveshop.accounts.attempt_stores import MemoryAttemptStore
from liveshop.accounts.models import ApiToken, Role, User
from liveshop.accounts.sign_in_guard import SignInGuard, SignInLimits
from liveshop.core.errors import Conflict, NotAuthenticated, NotFound, PermissionDenied
from liveshop.core.security import hash_token
from liveshop.core.settings import Settings


def test_a_new_user_has_an_argon2_hash_not_the_password(session: Session) -> None:
    user = service.create_user(
        session, username="mei", password="s3cret-password", role=Role.VIEWER
    )
    session.commit()

    stored = session.scalars(select(User).where(User.username == "mei")).one()
    assert stored.id == user.id
    assert stored.role is Role.VIEWER
    assert stored.password_hash.startswith("$argon2id$")
    assert "s3cret-password" not in stored.password_hash


def test_duplicate_username_is_a_conflict_and_adds_no_user(session: Session) -> None:
    service.create_user(session, username="mei", password="s3cret-password", role=Role.VIEWER)
    session.commit()

    with pytest.raises(Conflict) as raised:
        service.create_user(session, username="mei", password="another-password", role=Role.VIEWER)
    session.commit()

    assert raised.value.code == "username_taken"
    assert raised.value.message == "username 'mei' is taken"
    assert session.scalar(select(func.count()).select_from(User)) == 1


def _guard() -> SignInGuard:
    return SignInGuard(MemoryAttemptStore(), SignInLimits.from_settings(Settings()))


def test_log_in_issues_a_token_stored_only_as_its_hash(session: Session, database_url: str) -> None:
    service.create_user(session, username="mei", password="s3cret-password", role=Role.VIEWER)
    session.commit()

    user, token = sign_in.log_in(
        database_url, guard=_guard(), username="mei", password="s3cret-password", address="::1"
    )

    rows = session.scalars(select(ApiToken)).all()
    assert [row.user_id for row in rows] == [user.id]
    assert rows[0].token_hash == hash_token(token)
    assert rows[0].token_hash != token
    assert rows[0].revoked_at is None
    found = service.user_for_token(session, token=token)
    assert found is not None
    assert found.id == user.id


@pytest.mark.parametrize(
    ("username", "password"),
    [("mei", "wrong-password"), ("nobody", "s3cret-password")],
)
def test_bad_credentials_issue_no_token(
    session: Session, database_url: str, username: str, password: str
) -> None:
    service.create_user(session, username="mei", password="s3cret-password", role=Role.VIEWER)
    session.commit()

    with pytest.raises(NotAuthenticated) as raised:
        sign_in.log_in(
            database_url, guard=_guard(), username=username, password=password, address="::1"
        )

    assert raised.value.code == "bad_credentials"
    assert session.scalar(select(func.count()).select_from(ApiToken)) == 0


def test_a_password_changed_while_it_was_checked_issues_no_token(
    session: Session, database_url: str
) -> None:
    """The hash is read, then verified with no transaction open: a change in
    between (an erased account) must not let the old password in."""
    user = service.create_user(
        session, username="mei", password="s3cret-password", role=Role.VIEWER
    )
    session.commit()
    guard = _guard()
    attempt = guard.start_login(username="mei", address="::1")
    guard.login_succeeded(attempt)  # the address is known: only the hash check decides
    stored = service.find_stored_password(session, username="mei")
    assert stored is not None
    user.password_hash = service.prepare_credentials(
        username="mei", password="a-new-secret-42"
    ).password_hash
    session.commit()

    with pytest.raises(NotAuthenticated):
        sign_in.log_in(
            database_url, guard=guard, username="mei", password="s3cret-password", address="::1"
        )
    user_after, _token = sign_in.log_in(
        database_url, guard=guard, username="mei", password="a-new-secret-42", address="::1"
    )

    assert user_after.id == user.id
    assert session.scalar(select(func.count()).select_from(ApiToken)) == 1


def test_revoked_and_expired_tokens_find_no_user(session: Session) -> None:
    user = service.create_user(
        session, username="mei", password="s3cret-password", role=Role.VIEWER
    )
    revoked = service.issue_token(session, user=user)
    expired = service.issue_token(session, user=user, time_to_live=timedelta(seconds=-1))
    kept = service.issue_token(session, user=user)

    service.revoke_token(session, token=revoked)
    session.commit()

    assert service.user_for_token(session, token=revoked) is None
    assert service.user_for_token(session, token=expired) is None
    assert service.user_for_token(session, token="not-a-token") is None
    still = service.user_for_token(session, token=kept)
    assert still is not None
    assert still.id == user.id


def test_get_user_and_require_role(session: Session) -> None:
    host = service.create_user(session, username="anna", password="s3cret-password", role=Role.HOST)
    admin = service.create_user(
        session, username="root", password="s3cret-password", role=Role.ADMIN
    )

    assert service.get_user(session, user_id=host.id).username == "anna"
    with pytest.raises(NotFound):
        service.get_user(session, user_id=999_999)
    service.require_role(host, Role.HOST)
    service.require_role(admin, Role.HOST)
    with pytest.raises(PermissionDenied) as raised:
        service.require_role(host, Role.MODERATOR, Role.REGULATOR)
    assert raised.value.code == "wrong_role"
    assert raised.value.message == "this needs the role moderator, regulator"

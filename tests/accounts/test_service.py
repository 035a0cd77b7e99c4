"""Accounts service: users, password hashes, tokens."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from liveshop.accounts import service
from liveshop.accounts.models import ApiToken, Role, User
from liveshop.core.errors import Conflict, NotAuthenticated, NotFound, PermissionDenied
from liveshop.core.security import hash_token


def test_register_viewer_stores_an_argon2_hash_not_the_password(session: Session) -> None:
    user = service.register_viewer(session, username="mei", password="s3cret-password")
    session.commit()

    stored = session.scalars(select(User).where(User.username == "mei")).one()
    assert stored.id == user.id
    assert stored.role is Role.VIEWER
    assert stored.password_hash.startswith("$argon2id$")
    assert "s3cret-password" not in stored.password_hash


def test_duplicate_username_is_a_conflict_and_adds_no_user(session: Session) -> None:
    service.register_viewer(session, username="mei", password="s3cret-password")
    session.commit()

    with pytest.raises(Conflict) as raised:
        service.register_viewer(session, username="mei", password="another-password")
    session.commit()

    assert raised.value.code == "username_taken"
    assert raised.value.message == "username 'mei' is taken"
    assert session.scalar(select(func.count()).select_from(User)) == 1


def test_log_in_issues_a_token_stored_only_as_its_hash(session: Session) -> None:
    service.register_viewer(session, username="mei", password="s3cret-password")
    user, token = service.log_in(session, username="mei", password="s3cret-password")
    session.commit()

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
def test_bad_credentials_issue_no_token(session: Session, username: str, password: str) -> None:
    service.register_viewer(session, username="mei", password="s3cret-password")

    with pytest.raises(NotAuthenticated) as raised:
        service.log_in(session, username=username, password=password)

    assert raised.value.code == "bad_credentials"
    assert session.scalar(select(func.count()).select_from(ApiToken)) == 0


def test_revoked_and_expired_tokens_find_no_user(session: Session) -> None:
    user = service.register_viewer(session, username="mei", password="s3cret-password")
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

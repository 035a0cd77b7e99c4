"""Password rules: common passwords and passwords of one repeated character are refused."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from liveshop.accounts import service
from liveshop.accounts.models import Role, User
from liveshop.accounts.passwords import check_new_password, common_passwords
from liveshop.core.errors import InvalidInput
from liveshop.demo.world import DEMO_LOGINS
from tests.conftest import PASSWORD


@pytest.mark.parametrize("password", ["password123", "PassWord123", "iloveyou1", "1q2w3e4r5t"])
def test_registration_refuses_a_common_password_and_stores_no_user(
    client: TestClient, session: Session, password: str
) -> None:
    response = client.post("/api/auth/register", json={"username": "mei_li", "password": password})

    assert response.status_code == 422
    assert response.json() == {
        "detail": "this password is one of the most common ones; choose another",
        "code": "password_too_common",
    }
    assert session.scalar(select(func.count()).select_from(User)) == 0


@pytest.mark.parametrize("password", ["zzzzzzzzzzzz", "ababababab", "        "])
def test_registration_refuses_a_password_of_one_or_two_repeated_characters(
    client: TestClient, session: Session, password: str
) -> None:
    response = client.post("/api/auth/register", json={"username": "mei_li", "password": password})

    assert response.status_code == 422
    assert response.json() == {
        "detail": "a password needs at least 3 different characters",
        "code": "password_too_simple",
    }
    assert session.scalar(select(func.count()).select_from(User)) == 0


def test_every_way_to_create_a_user_refuses_a_common_password(session: Session) -> None:
    with pytest.raises(InvalidInput) as raised:
        service.create_user(session, username="ops", password="qwertyuiop", role=Role.ADMIN)

    assert raised.value.code == "password_too_common"
    assert session.scalar(select(func.count()).select_from(User)) == 0


def test_the_list_ships_with_the_package_and_is_lowercase() -> None:
    passwords = common_passwords()

    assert len(passwords) == 19_640
    assert {"123456", "password", "qwerty", "iloveyou"} <= passwords
    assert all(entry == entry.lower() for entry in passwords)


@pytest.mark.parametrize(
    "password",
    [
        PASSWORD,
        "correct-horse-battery",  # tests/web/conftest.py
        "s3cret-password",
        *(password for password, _role in DEMO_LOGINS.values()),
        "demo-fan-pass",
    ],
)
def test_the_passwords_of_the_tests_and_the_demo_are_accepted(password: str) -> None:
    check_new_password(password)

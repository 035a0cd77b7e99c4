"""Accounts over HTTP: register, log in, who am I, log out."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from liveshop.accounts.models import ApiToken, User
from liveshop.core.security import hash_token

CREDENTIALS = {"username": "mei_li", "password": "s3cret-password"}


def _register_and_log_in(client: TestClient) -> tuple[int, str]:
    registered = client.post("/api/auth/register", json=CREDENTIALS)
    assert registered.status_code == 201
    login = client.post("/api/auth/login", json=CREDENTIALS)
    assert login.status_code == 200
    return registered.json()["id"], login.json()["token"]


def test_register_creates_a_viewer(client: TestClient, session: Session) -> None:
    response = client.post("/api/auth/register", json=CREDENTIALS)

    assert response.status_code == 201
    body = response.json()
    assert body == {"id": body["id"], "username": "mei_li", "display_name": None, "role": "viewer"}
    user = session.scalars(select(User)).one()
    assert user.id == body["id"]
    assert user.password_hash.startswith("$argon2")
    assert CREDENTIALS["password"] not in user.password_hash


def test_duplicate_registration_is_409_with_a_message(client: TestClient, session: Session) -> None:
    assert client.post("/api/auth/register", json=CREDENTIALS).status_code == 201

    response = client.post(
        "/api/auth/register", json={"username": "mei_li", "password": "other-password"}
    )

    assert response.status_code == 409
    assert response.json() == {"detail": "username 'mei_li' is taken", "code": "username_taken"}
    users = session.scalars(select(User)).all()
    assert [user.username for user in users] == ["mei_li"]


def test_registration_rejects_bad_input_with_a_message(
    client: TestClient, session: Session
) -> None:
    short = client.post("/api/auth/register", json={"username": "ab", "password": "long-enough"})
    weak = client.post("/api/auth/register", json={"username": "valid_name", "password": "short"})

    assert short.status_code == 422
    assert short.json()["detail"][0]["loc"] == ["body", "username"]
    assert "pattern" in short.json()["detail"][0]["msg"]
    assert weak.status_code == 422
    assert weak.json()["detail"][0]["loc"] == ["body", "password"]
    assert weak.json()["detail"][0]["msg"] == "String should have at least 8 characters"
    assert session.scalars(select(User)).all() == []


def test_login_returns_a_token_that_is_stored_hashed(client: TestClient, session: Session) -> None:
    user_id, token = _register_and_log_in(client)

    me = client.get("/api/auth/me", headers={"Authorization": f"Bearer {token}"})

    assert me.status_code == 200
    assert me.json() == {
        "id": user_id,
        "username": "mei_li",
        "display_name": None,
        "role": "viewer",
    }
    stored = session.scalars(select(ApiToken)).one()
    assert stored.token_hash == hash_token(token)
    assert session.scalars(select(ApiToken).where(ApiToken.token_hash == token)).all() == []


def test_wrong_password_is_401_and_issues_no_token(client: TestClient, session: Session) -> None:
    assert client.post("/api/auth/register", json=CREDENTIALS).status_code == 201

    response = client.post(
        "/api/auth/login", json={"username": "mei_li", "password": "wrong-password"}
    )

    assert response.status_code == 401
    assert response.json() == {"detail": "wrong username or password", "code": "bad_credentials"}
    assert session.scalars(select(ApiToken)).all() == []


def test_logout_revokes_the_token(client: TestClient, session: Session) -> None:
    _, token = _register_and_log_in(client)
    headers = {"Authorization": f"Bearer {token}"}

    logout = client.post("/api/auth/logout", headers=headers)
    me = client.get("/api/auth/me", headers=headers)
    again = client.post("/api/auth/logout", headers=headers)

    assert logout.status_code == 204
    assert me.status_code == 401
    assert me.json()["code"] == "bad_token"
    assert again.status_code == 401
    stored = session.scalars(select(ApiToken)).one()
    assert stored.revoked_at is not None


def test_me_without_a_token_is_401(client: TestClient) -> None:
    response = client.get("/api/auth/me")

    assert response.status_code == 401
    assert response.json() == {
        "detail": "log in first: send Authorization: Bearer <token>",
        "code": "not_authenticated",
    }

"""Display names (昵称): optional, trimmed, 1-20 printable characters, passed by the text
filter; set at registration or later, cleared with blank; the masked name starts from it."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from liveshop.accounts.display_names import clean_display_name
from liveshop.accounts.models import User
from liveshop.core.errors import InvalidInput
from liveshop.privacy.masking import mask_username


@pytest.mark.parametrize(
    ("typed", "stored"),
    [(None, None), ("", None), ("   ", None), ("  小鱼儿 ", "小鱼儿"), ("林  晓雨", "林 晓雨")],
)
def test_a_name_is_trimmed_and_blank_is_none(typed: str | None, stored: str | None) -> None:
    assert clean_display_name(typed) == stored


@pytest.mark.parametrize(
    ("typed", "code"),
    [
        ("一" * 21, "display_name_too_long"),
        ("小鱼\u202e儿", "display_name_invalid"),  # a right-to-left override
        ("小鱼\x00儿", "display_name_invalid"),
        ("\u0301小鱼", "display_name_invalid"),  # a combining mark first: the mask shows it alone
        ("加微信abc12345", "display_name_refused"),  # the filter: contact off the platform
        ("操你妈", "display_name_refused"),
    ],
)
def test_a_name_the_rules_refuse(typed: str, code: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        clean_display_name(typed)
    assert refused.value.code == code


def test_registered_with_a_name_then_changed_and_cleared(
    client: TestClient, session: Session
) -> None:
    credentials = {"username": "fan_7", "password": "s3cret-password"}
    registered = client.post("/api/auth/register", json=credentials | {"display_name": "小鱼儿"})
    assert registered.status_code == 201
    assert registered.json()["display_name"] == "小鱼儿"
    token = client.post("/api/auth/login", json=credentials).json()["token"]
    auth = {"Authorization": f"Bearer {token}"}

    refused = client.put("/api/auth/me/display-name", json={"display_name": "操你妈"}, headers=auth)
    assert (refused.status_code, refused.json()["code"]) == (422, "display_name_refused")
    changed = client.put("/api/auth/me/display-name", json={"display_name": "林晓雨"}, headers=auth)
    assert changed.json()["display_name"] == "林晓雨"
    cleared = client.put("/api/auth/me/display-name", json={"display_name": " "}, headers=auth)
    assert cleared.json()["display_name"] is None
    assert session.scalars(select(User.public_name)).one() == "fan_7"  # the username again
    user = session.scalars(select(User)).one()
    assert mask_username(user.public_name) == "f**"
    user.display_name = "林晓雨"
    assert mask_username(user.public_name) == "林**"


def test_a_refused_name_at_registration_creates_no_account(
    client: TestClient, session: Session
) -> None:
    body = {"username": "fan_8", "password": "s3cret-password", "display_name": "加微信abc12345"}
    response = client.post("/api/auth/register", json=body)
    assert (response.status_code, response.json()["code"]) == (422, "display_name_refused")
    assert session.scalars(select(User)).all() == []

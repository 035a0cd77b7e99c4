"""The sign-in and sign-up forms refuse in the page's language (issue 18 §2): each
refusal by its code in the person's words, a generic sentence for one without words,
never the API's English on a Chinese page."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from liveshop.core.errors import InvalidInput, RateLimited
from liveshop.web.form_refusals import NOT_DONE, TRY_LATER, form_refusal

LANGUAGES = {"zh-CN": "zh-CN,zh;q=0.9", "en": "en-US,en;q=0.9"}
BAD_USERNAME = {
    "zh-CN": "用户名需要 3-40 个字母、数字、下划线、横线或汉字",
    "en": "A username needs 3-40 letters, digits, underscores, hyphens or Chinese characters",
}
TAKEN = {"zh-CN": "这个用户名已被注册，请换一个", "en": "This username is taken; choose another"}
WRONG = {"zh-CN": "用户名或密码不正确", "en": "Wrong username or password"}


def _form_error(client: TestClient, path: str, locale: str, **fields: str) -> str:
    headers = {"Accept-Language": LANGUAGES[locale]}
    page = client.get(path, headers=headers)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert token is not None
    answer = client.post(path, data=fields | {"csrf_token": token.group(1)}, headers=headers)
    assert answer.status_code >= 400
    said = re.search(r'id="form-error" role="alert">([^<]*)<', answer.text)
    assert said is not None, answer.text
    return said.group(1)


@pytest.mark.parametrize("locale", ["zh-CN", "en"])
def test_the_forms_refuse_in_the_pages_language(client: TestClient, locale: str) -> None:
    password = "s3cret-password"
    bad = _form_error(client, "/register", locale, username="<b>bad</b>", password=password)
    assert bad == BAD_USERNAME[locale]
    name = f"mei_{locale[:2]}"
    signed_up = client.post("/api/auth/register", json={"username": name, "password": password})
    assert signed_up.status_code == 201, signed_up.text
    taken = _form_error(client, "/register", locale, username=name, password=password)
    assert taken == TAKEN[locale]
    wrong = _form_error(client, "/login", locale, username=name, password="not-her-password")
    assert wrong == WRONG[locale]


def test_a_refusal_without_words_is_not_the_apis_english() -> None:
    assert form_refusal(InvalidInput("some new rule", code="new_rule")) == (NOT_DONE, {})
    limited = RateLimited("too many", code="new_limit", retry_after_seconds=2.2)
    assert form_refusal(limited) == (TRY_LATER, {"seconds": 3})

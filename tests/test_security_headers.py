"""Security headers on every page and API response, no inline script in any template,
and cookies marked Secure when the site is served over HTTPS."""

from __future__ import annotations

import re
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

import liveshop.web
from liveshop.accounts.models import Role
from liveshop.app import create_app
from liveshop.core.settings import Settings
from tests.conftest import MakeAccount

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data: https: http:; media-src 'self' blob: https: http:; "
    "connect-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; "
    "frame-ancestors 'none'"
)
SECURITY_HEADERS = {
    "content-security-policy": CONTENT_SECURITY_POLICY,
    "x-frame-options": "DENY",
    "x-content-type-options": "nosniff",
    "referrer-policy": "strict-origin-when-cross-origin",
}
TEMPLATES = Path(liveshop.web.__file__).parent / "templates"


@pytest.fixture
def database_url(sqlite_url: str) -> str:
    """Headers do not depend on the database: SQLite only."""
    return sqlite_url


def _security_headers(headers: httpx.Headers) -> dict[str, str]:
    return {name: headers.get(name, "") for name in SECURITY_HEADERS}


@pytest.mark.parametrize("path", ["/", "/login", "/register", "/healthz", "/static/room.js"])
def test_pages_api_and_static_files_carry_the_security_headers(
    client: TestClient, path: str
) -> None:
    response = client.get(path)

    assert response.status_code == 200
    assert _security_headers(response.headers) == SECURITY_HEADERS
    assert response.headers.get_list("content-security-policy") == [CONTENT_SECURITY_POLICY]


def test_a_room_page_and_an_error_carry_them_too(
    client: TestClient, make_account: MakeAccount
) -> None:
    host = make_account(Role.HOST)
    room = client.post("/api/rooms", json={"title": "Tea"}, headers=host.headers)
    assert room.status_code == 201, room.text

    page = client.get(f"/rooms/{room.json()['id']}")
    missing = client.get("/rooms/999999")

    assert page.status_code == 200
    # the room page plays HLS with hls.js, which fetches from the media server's origin
    room_policy = CONTENT_SECURITY_POLICY.replace(
        "connect-src 'self'", "connect-src 'self' http://127.0.0.1:8088"
    )
    assert _security_headers(page.headers) == SECURITY_HEADERS | {
        "content-security-policy": room_policy
    }
    assert page.headers.get_list("content-security-policy") == [room_policy]
    assert missing.status_code == 404
    assert _security_headers(missing.headers) == SECURITY_HEADERS


@pytest.mark.parametrize("template", sorted(path.name for path in TEMPLATES.glob("*.html")))
def test_no_template_has_inline_script_or_event_handler_attributes(template: str) -> None:
    """script-src 'self' would refuse them: scripts live in web/static/*.js. A JSON data
    block (``type="application/json"``, never run) is allowed when ``tojson`` fills it,
    which escapes ``<`` so that no text can close the element."""
    html = (TEMPLATES / template).read_text()
    data_blocks = re.findall(r'<script type="application/json"[^>]*>(.*?)</script>', html)
    assert all(re.fullmatch(r"\{\{ [\w.]+ \| tojson \}\}", block) for block in data_blocks)

    inline_scripts = re.findall(
        r'<script\b(?![^>]*\bsrc=)(?![^>]*type="application/json")[^>]*>', html
    )
    handlers = re.findall(r"<[^>]*\son[a-z]+\s*=", html)
    javascript_urls = re.findall(r"javascript:", html, flags=re.IGNORECASE)

    assert (inline_scripts, handlers, javascript_urls) == ([], [], [])


def _cookie_lines(set_cookie_headers: list[str], name: str) -> list[str]:
    return [line for line in set_cookie_headers if line.startswith(f"{name}=")]


@pytest.fixture
def app_over(settings: Settings) -> dict[str, FastAPI]:
    return {
        "plain": create_app(settings),
        "secure setting": create_app(settings.model_copy(update={"secure_cookies": True})),
    }


def test_cookies_are_not_secure_over_plain_http_by_default(
    app_over: dict[str, FastAPI],
) -> None:
    with TestClient(app_over["plain"], base_url="http://shop.test") as client:
        page = client.get("/login")

    (cookie,) = _cookie_lines(page.headers.get_list("set-cookie"), "liveshop_presession")
    assert "secure" not in cookie.lower()


@pytest.mark.parametrize(
    ("which", "base_url"),
    [("plain", "https://shop.test"), ("secure setting", "http://shop.test")],
)
def test_cookies_are_secure_over_https_or_when_the_setting_says_so(
    app_over: dict[str, FastAPI], which: str, base_url: str
) -> None:
    with TestClient(app_over[which], base_url=base_url) as client:
        assert client.post(
            "/api/auth/register", json={"username": "mei_li", "password": "s3cret-password"}
        ).is_success
        page = client.get("/login")
        token = page.text.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
        (pre_session,) = _cookie_lines(page.headers.get_list("set-cookie"), "liveshop_presession")
        client.cookies.clear()  # sent by hand: a Secure cookie is not sent back over http
        signed_in = client.post(
            "/login",
            data={"username": "mei_li", "password": "s3cret-password", "csrf_token": token},
            headers={"Cookie": pre_session.split(";", 1)[0]},
            follow_redirects=False,
        )

    (session,) = _cookie_lines(signed_in.headers.get_list("set-cookie"), "liveshop_session")
    assert signed_in.status_code == 303
    for cookie in (pre_session, session):
        attributes = [part.strip().lower() for part in cookie.split(";")]
        assert "secure" in attributes
        assert "httponly" in attributes

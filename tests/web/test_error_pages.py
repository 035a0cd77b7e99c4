"""Errors on pages are pages (issue 18 §2): a 404, 403 or 500 on a page route answers with
the site's error page and a way back; /api and JSON clients keep their JSON errors. Over
HTTP on SQLite and PostgreSQL, and in Chromium at a phone's and a desktop's size.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from playwright.sync_api import expect

from liveshop.accounts.models import Role, User
from liveshop.core.db import unit_of_work
from liveshop.live import service as live

if TYPE_CHECKING:
    from tests.conftest import Account
    from tests.web.conftest import LiveServer
    from tests.web.conftest import PageOpener as NewPage

HTML = {"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"}
SIZES = [{"width": 390, "height": 844}, {"width": 1280, "height": 800}]


def _assert_error_page(body: str, headline: str) -> None:
    assert headline in body
    assert 'href="/"' in body  # a way back
    assert '"detail"' not in body
    assert "LiveShop" in body  # the site's frame, not a bare message


def test_a_missing_room_is_a_page_for_browsers_and_json_for_the_api(client: TestClient) -> None:
    page = client.get("/rooms/999999", headers=HTML)
    assert page.status_code == 404
    assert page.headers["content-type"].startswith("text/html")
    _assert_error_page(page.text, "找不到这个页面")

    api = client.get("/api/rooms/999999", headers=HTML)
    assert api.status_code == 404
    assert api.json()["code"].endswith("not_found")
    assert client.get("/rooms/999999", headers={"Accept": "application/json"}).json()["detail"]


def test_an_unknown_path_is_a_page_and_an_unknown_api_path_json(client: TestClient) -> None:
    page = client.get("/no/such/page", headers=HTML)
    assert page.status_code == 404
    _assert_error_page(page.text, "找不到这个页面")
    api = client.get("/api/no-such-thing", headers=HTML)
    assert api.status_code == 404
    assert api.json() == {"detail": "Not Found"}


def test_a_viewer_on_the_host_console_gets_a_forbidden_page(
    client: TestClient, database_url: str, host: Account, viewer: Account
) -> None:
    with unit_of_work(database_url) as session:
        room = live.create_room(session, host=session.get(User, host.id), title="不是你的")
        room_id = room.id
    client.cookies.set("liveshop_session", viewer.token)
    page = client.get(f"/host/rooms/{room_id}", headers=HTML)
    assert page.status_code == 403
    _assert_error_page(page.text, "没有权限")
    assert f"/login?next=/host/rooms/{room_id}" in page.text
    assert viewer.role == Role.VIEWER


def test_a_crash_on_a_page_is_a_page_and_on_the_api_json(app: FastAPI) -> None:
    def crash() -> None:
        raise RuntimeError("boom")

    app.add_api_route("/crash-page", crash)
    app.add_api_route("/api/crash", crash)
    with TestClient(app, raise_server_exceptions=False) as client:
        page = client.get("/crash-page", headers=HTML)
        assert page.status_code == 500
        _assert_error_page(page.text, "出错了")
        assert "boom" not in page.text
        api = client.get("/api/crash", headers=HTML)
        assert api.status_code == 500
        assert api.json()["code"] == "internal_error"
        assert "boom" not in api.text


@pytest.mark.browser
@pytest.mark.parametrize("size", SIZES, ids=["phone", "desktop"])
def test_the_error_page_fits_the_screen_and_leads_home(
    server: LiveServer, new_page: NewPage, size: dict[str, int]
) -> None:
    page = new_page(None, "/rooms/999999")
    page.set_viewport_size(size)
    expect(page.locator("#error-title")).to_have_text("找不到这个页面")
    width = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert width[0] <= width[1]
    page.click("#error-home")
    expect(page).to_have_url(f"{server.base_url}/")
    assert new_page.errors[page] == []

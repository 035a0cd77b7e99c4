"""Moderation, governance and privacy pages in the browser: my privacy (consents, export,
delete my account), the moderation queue and appeals, the regulator's dashboard, the
host's pre-live check and a merchant's compliance check.

The module serves its own app (uvicorn in a thread) with ``liveshop.web.moderation_pages``
included, until ``app.py`` includes that router and the shared ``liveshop serve`` fixture
serves it too. Set LIVESHOP_SCREENSHOT_DIR to keep screenshots of the pages.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import TYPE_CHECKING

import httpx
import pytest
from playwright.sync_api import FilePayload, Page, expect

from liveshop.accounts.models import Role
from liveshop.core.clock import utcnow
from liveshop.core.db import unit_of_work
from liveshop.core.ids import new_id
from liveshop.live.held_comments import store_held_comments
from liveshop.live.models import CommentKind, HeldCommentStatus
from tests.web.conftest import LiveServer

if TYPE_CHECKING:
    from tests.web.conftest import PageOpener as NewPage

pytestmark = pytest.mark.browser

HOSTILE = '<img src=x onerror="alert(1)">'
SRT = """1
00:00:01,000 --> 00:00:04,000
家人们晚上好，欢迎来到直播间

2
00:00:05,000 --> 00:00:08,500
这款面霜是全网最低价！

3
00:00:09,000 --> 00:00:12,000
质地清爽，适合夏天
"""


def _screenshot(page: Page, name: str) -> None:
    folder = os.environ.get("LIVESHOP_SCREENSHOT_DIR")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(folder) / f"{name}.png"), full_page=True)


def test_privacy_grant_then_withdraw_and_export(server: LiveServer, new_page: NewPage) -> None:
    viewer = server.create_user(server.unique("privacy"))
    page = new_page(viewer, "/account/privacy")
    row = page.locator('tr.consent[data-purpose="personalised_recommendations"]')
    expect(row).to_have_attribute("data-granted", "false")
    expect(row.locator(".consent-state")).to_have_text("未同意")

    row.locator(".consent-toggle").click()  # one click to grant
    expect(row).to_have_attribute("data-granted", "true")
    expect(row.locator(".consent-state")).to_have_text("已同意")
    granted = server.api(viewer, "GET", "/api/me/consents")
    assert {c["purpose"]: c["granted"] for c in granted}["personalised_recommendations"]

    row.locator(".consent-toggle").click()  # and one click to withdraw
    expect(row).to_have_attribute("data-granted", "false")
    withdrawn = server.api(viewer, "GET", "/api/me/consents")
    assert not {c["purpose"]: c["granted"] for c in withdrawn}["personalised_recommendations"]

    # A sensitive purpose: its own separate consent, one click on its own button.
    cards = page.locator('tr.consent[data-purpose="stored_cards"]')
    expect(cards.locator(".consent-toggle")).to_have_text("单独同意")
    cards.locator(".consent-toggle").click()
    expect(cards).to_have_attribute("data-granted", "true")
    _screenshot(page, "privacy")

    with page.expect_download() as download_info:
        page.locator("#export-link").click()
    download = download_info.value
    data = json.loads(Path(download.path()).read_text(encoding="utf-8"))
    assert data["user_id"] == viewer.id
    purposes = [consent["purpose"] for consent in data["consents"]]
    assert "personalised_recommendations" in purposes
    assert new_page.errors[page] == []


def test_delete_my_account_needs_the_password(server: LiveServer, new_page: NewPage) -> None:
    viewer = server.create_user(server.unique("leaver"))
    token = server.session_token(viewer)
    page = new_page(viewer, "/account/privacy")
    expect(page.locator("#privacy-root")).to_have_attribute("data-state", "ready")
    page.locator("#erase-password").fill("not-my-password")
    page.locator("#erase-understood").check()
    page.locator("#erase-submit").click()
    expect(page.locator("#erase-error")).to_be_visible()
    expect(page.locator("#erase-error")).to_have_text("密码不正确")

    page.locator("#erase-password").fill(server.password)
    page.locator("#erase-submit").click()
    expect(page.locator("#erase-done")).to_be_visible()
    expect(page.locator("#privacy-root")).to_have_attribute("data-state", "erased")
    gone = httpx.get(
        f"{server.base_url}/api/me/consents", headers={"Authorization": f"Bearer {token}"}
    )
    assert gone.status_code == 401  # every token of the erased account is revoked


def test_privacy_page_needs_login(server: LiveServer, new_page: NewPage) -> None:
    page = new_page(None, "/account/privacy")
    expect(page).to_have_url(f"{server.base_url}/login?next=/account/privacy")


def test_moderator_claims_and_decides_a_report(server: LiveServer, new_page: NewPage) -> None:
    viewer = server.create_user(server.unique("reporter"))
    host = server.create_user(server.unique("anchor"), Role.HOST)
    moderator = server.create_user(server.unique("mod"), Role.MODERATOR)
    room_id = server.create_room(host, title="今晚上新", start=True)
    message = f"加我微信 abc123 {HOSTILE}"
    report = server.api(
        viewer,
        "POST",
        "/api/reports",
        {
            "target_type": "comment",
            "target_id": 987654,
            "reason": "off_platform_trading",
            "details": "私下交易",
            "evidence": {
                "message": message,
                "author_id": host.id,
                "room_id": room_id,
                "at": "2026-11-25T12:00:00+00:00",
                "context": [
                    {"author_id": viewer.id, "text": "这个多少钱", "at": "2026-11-25T11:59:50Z"},
                    {"author_id": host.id, "text": message, "at": "2026-11-25T12:00:00Z"},
                ],
            },
        },
        expect=201,
    )

    page = new_page(moderator, "/moderation")
    card = page.locator(f'.report-card[data-report-id="{report["id"]}"]')
    expect(card).to_be_visible()
    expect(card.locator(".evidence-message")).to_have_text(message)  # as text, not markup
    expect(card.locator(".evidence-context li")).to_have_count(2)
    expect(card).to_contain_text(f"房间 {room_id}")
    expect(card).to_contain_text("站外交易")

    card.locator(".claim-btn").click()
    form = card.locator(".decide-form")
    expect(form).to_be_visible()
    _screenshot(page, "moderation_queue")
    form.locator(".decide-kind").select_option("warning")
    form.locator(".decide-rule").fill("《直播间规范》第 3 条：禁止站外交易")
    form.locator(".decide-resolution").fill("引导私下交易，警告")
    form.locator(".decide-submit").click()
    expect(card).to_have_count(0)  # decided: out of the queue
    expect(page.locator("#toast")).to_contain_text("已处罚")

    warnings = server.api(host, "GET", "/api/penalties/warnings")
    assert [w["rule"] for w in warnings] == ["《直播间规范》第 3 条：禁止站外交易"]
    assert new_page.dialogs[page] == []
    assert new_page.errors[page] == []

    # The host appeals; the moderator who imposed it may not decide, another one does.
    penalty_id = warnings[0]["id"]
    appeal = server.api(
        host, "POST", f"/api/penalties/{penalty_id}/appeal", {"statement": "只是开玩笑"}, expect=201
    )
    page.reload()
    own = page.locator(f'.appeal-card[data-appeal-id="{appeal["id"]}"]')
    expect(own).to_have_attribute("data-may-decide", "false")
    expect(own.locator(".appeal-overturn")).to_have_count(0)

    other = server.create_user(server.unique("mod"), Role.MODERATOR)
    page2 = new_page(other, "/moderation")
    case = page2.locator(f'.appeal-card[data-appeal-id="{appeal["id"]}"]')
    expect(case).to_have_attribute("data-may-decide", "true")
    expect(case.locator(".appeal-statement")).to_contain_text("只是开玩笑")
    _screenshot(page2, "moderation_appeals")
    case.locator(".appeal-note").fill("证据不足")
    case.locator(".appeal-overturn").click()
    expect(case).to_have_count(0)
    assert server.api(host, "GET", "/api/penalties/warnings") == []


def _held_line(server: LiveServer, author_id: int, room_id: int, text: str) -> int:
    """A line the chat filter held for review, as the hub writes it behind."""
    comment_id = new_id()
    with unit_of_work(server.database_url) as session:
        store_held_comments(
            session,
            held=[
                {
                    "id": comment_id,
                    "room_id": room_id,
                    "user_id": author_id,
                    "kind": CommentKind.COMMENT,
                    "text": text,
                    "categories": ["violence"],
                    "status": HeldCommentStatus.HELD,
                    "created_at": utcnow(),
                }
            ],
        )
    return comment_id


def test_moderator_publishes_a_held_chat_line(server: LiveServer, new_page: NewPage) -> None:
    viewer = server.create_user(server.unique("bargainer"))
    host = server.create_user(server.unique("anchor"), Role.HOST)
    moderator = server.create_user(server.unique("mod"), Role.MODERATOR)
    room_id = server.create_room(host, title="清仓专场", start=True)
    text = f"这是跳楼价吗 {HOSTILE}"
    comment_id = _held_line(server, viewer.id, room_id, text)

    page = new_page(moderator, "/moderation")
    card = page.locator(f'.held-card[data-comment-id="{comment_id}"]')
    expect(card.locator(".evidence-message")).to_have_text(text)  # as text, not markup
    expect(card).to_contain_text(f"清仓专场（房间 {room_id}）")
    expect(card).to_contain_text("暴力")
    _screenshot(page, "moderation_held_comments")
    card.locator(".held-approve").click()
    expect(card).to_have_count(0)
    expect(page.locator("#toast")).to_contain_text("已发布到直播间")

    chat = server.api(viewer, "GET", f"/api/rooms/{room_id}/comments")
    assert [(line["id"], line["text"]) for line in chat] == [(str(comment_id), text)]
    assert new_page.dialogs[page] == []
    assert new_page.errors[page] == []


def test_moderation_page_is_for_moderators(server: LiveServer, new_page: NewPage) -> None:
    viewer = server.create_user(server.unique("nosy"))
    page = new_page(viewer, "/moderation")
    expect(page.locator("#error-page")).to_have_attribute("data-status", "403")


def test_regulator_sees_audit_entries_and_chain(server: LiveServer, new_page: NewPage) -> None:
    viewer = server.create_user(server.unique("exporter"))
    server.api(viewer, "GET", "/api/me/export")  # an audited privacy request
    regulator = server.create_user(server.unique("regulator"), Role.REGULATOR)
    page = new_page(regulator, "/regulator")
    expect(page.locator("#regulator-root")).to_have_attribute("data-state", "ready")
    entries = page.locator("tr.audit-entry")
    expect(entries.first).to_be_visible()
    expect(page.locator("#audit")).to_contain_text("导出个人信息")  # actions in Chinese
    expect(page.locator("#chain-status")).to_have_attribute("data-ok", "true")
    expect(page.locator('.stat-panel[data-figure="actions"]')).to_contain_text("导出个人信息")
    _screenshot(page, "regulator")
    csv_href = page.locator("#export-audit-csv").get_attribute("href")
    assert csv_href is not None
    assert "format=csv" in csv_href

    # A date range: the export links follow it, and a range with nothing shows nothing.
    page.locator("#range-start").fill("2000-01-01")
    page.locator("#range-end").fill("2000-01-02")
    page.locator("#range-apply").click()
    expect(entries).to_have_count(0)
    json_href = page.locator("#export-audit-json").get_attribute("href")
    assert json_href is not None
    assert "start=" in json_href
    assert "format=json" in json_href
    token = server.session_token(regulator)
    exported = httpx.get(
        f"{server.base_url}{json_href}", headers={"Authorization": f"Bearer {token}"}
    )
    assert exported.status_code == 200
    assert exported.json()["entries"] == []
    assert new_page.errors[page] == []


def test_regulator_page_refuses_others(server: LiveServer, new_page: NewPage) -> None:
    admin = server.create_user(server.unique("admin"), Role.ADMIN)
    page = new_page(admin, "/regulator")
    # The page refuses as the regulator's API does: one decision (governance.access).
    expect(page.locator("#error-page")).to_have_attribute("data-status", "403")


def test_prelive_check_of_a_subtitle_file(server: LiveServer, new_page: NewPage) -> None:
    host = server.create_user(server.unique("presenter"), Role.HOST)
    page = new_page(host, "/host/prelive")
    expect(page.locator("#warnings-empty")).to_be_visible()
    subtitles: FilePayload = {
        "name": "script.srt",
        "mimeType": "text/plain",
        "buffer": SRT.encode(),
    }
    page.locator("#script-file").set_input_files(files=[subtitles])
    expect(page.locator("#script-input")).to_have_value(SRT)
    page.locator("#script-check").click()
    cue = page.locator(".cue-card")
    expect(cue).to_have_count(1)
    expect(cue.locator(".cue-time")).to_have_text("00:00:05,000 → 00:00:08,500")
    expect(cue.locator(".cue-text")).to_have_text("这款面霜是全网最低价！")
    finding = cue.locator(".finding").first
    expect(finding.locator(".finding-term")).to_contain_text("最低价")
    expect(finding.locator(".finding-rule")).to_contain_text("《广告法》第九条")
    expect(finding.locator(".finding-suggestion")).to_contain_text("建议")
    _screenshot(page, "prelive")


def test_prelive_check_of_a_pasted_script(server: LiveServer, new_page: NewPage) -> None:
    host = server.create_user(server.unique("presenter"), Role.HOST)
    page = new_page(host, "/host/prelive")
    page.locator("#script-input").fill(f"00:01:02 全网最低价 {HOSTILE}\n今天天气不错")
    page.locator("#script-check").click()
    cue = page.locator(".cue-card")
    expect(cue).to_have_count(1)
    expect(cue.locator(".cue-time")).to_have_text("00:01:02")
    expect(cue.locator(".cue-text")).to_contain_text(HOSTILE)
    assert new_page.dialogs[page] == []


def test_prelive_shows_the_hosts_warnings(server: LiveServer, new_page: NewPage) -> None:
    host = server.create_user(server.unique("warned"), Role.HOST)
    moderator = server.create_user(server.unique("mod"), Role.MODERATOR)
    server.api(
        moderator,
        "POST",
        "/api/moderation/actions",
        {"kind": "warning", "rule": "虚假宣传", "subject_type": "user", "subject_id": host.id},
        expect=201,
    )
    page = new_page(host, "/host/prelive")
    expect(page.locator(".warning-item")).to_have_count(1)
    expect(page.locator(".warning-item")).to_contain_text("虚假宣传")
    expect(page.locator("#score")).to_have_attribute("data-value", re.compile(r"^\d+$"))

    penalty = page.locator(".penalty-item")
    expect(penalty).to_have_count(1)
    penalty.locator(".appeal-statement").fill("话术已改正")
    penalty.locator(".appeal-submit").click()
    expect(penalty.locator(".appeal-filed")).to_be_visible()
    appeals = server.api(moderator, "GET", "/api/moderation/appeals")
    assert [a["statement"] for a in appeals if a["appellant_id"] == host.id] == ["话术已改正"]
    assert new_page.errors[page] == []


def test_script_check_is_for_hosts(server: LiveServer) -> None:
    viewer = server.create_user(server.unique("curious"))
    server.api(viewer, "POST", "/api/host/script-check", {"script": "最低价"}, expect=403)


def test_merchant_checks_product_copy(server: LiveServer, new_page: NewPage) -> None:
    merchant = server.create_user(server.unique("seller"), Role.MERCHANT)
    flagged = server.create_product(  # held for a moderator: blocked copy is never saved
        merchant, title="本店最新款羊绒围巾", description=f"柔软 {HOSTILE}", price=5990, stock=5
    )
    server.create_product(merchant, title="羊毛手套", description="保暖", price=2990, stock=5)
    page = new_page(merchant, "/merchant/compliance")
    shop = page.locator(".product-findings")
    expect(shop).to_have_count(1)  # only the product with findings
    expect(shop).to_have_attribute("data-product-id", str(flagged["id"]))
    expect(shop.locator(".finding-term")).to_contain_text("最新")
    expect(page.locator("#shop-findings")).to_contain_text("已检查 2 个商品")
    page.locator("#copy-title-input").fill("国家级 全网最低价面霜")
    page.locator("#copy-description").fill("质地清爽，适合夏天")
    page.locator("#copy-check").click()
    title = page.locator('.copy-field[data-field="title"]')
    expect(title).to_have_attribute("data-action", "block")
    expect(title.locator(".finding")).to_have_count(2)
    expect(page.locator('.copy-field[data-field="description"]')).to_have_attribute(
        "data-action", "allow"
    )
    _screenshot(page, "compliance")
    viewer = server.create_user(server.unique("browser"))
    server.api(viewer, "POST", "/api/merchant/copy-check", {"title": "最好"}, expect=403)

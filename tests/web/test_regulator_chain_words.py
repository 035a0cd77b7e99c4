"""A broken audit chain is reported on the regulator's page in the page's language only
(issue 18 §2): the verifier's reason as words, never its English detail, at phone and
desktop sizes; the API keeps the code and the detail."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from playwright.sync_api import expect
from sqlalchemy import update

from liveshop.accounts.models import Role, User
from liveshop.core.audit.log import append_audit
from liveshop.core.audit.models import AuditEntry
from liveshop.core.db import unit_of_work

if TYPE_CHECKING:
    from tests.web.conftest import LiveServer, OpenPage

pytestmark = pytest.mark.browser

SAID = {
    "zh-CN": "哈希链异常：第 1 条起（内容与其哈希不符，记录被改动过）",
    "en": "Hash chain broken from entry 1 (its content does not match its hash: it was changed)",
}


@pytest.fixture(scope="module")
def regulator(server: LiveServer) -> User:
    """A regulator, and an audit log whose first entry was changed after it was written
    (this module's server is its own)."""
    with unit_of_work(server.database_url) as session:
        append_audit(session, actor="system", action="privacy.export", subject="user:1")
    with unit_of_work(server.database_url) as session:
        session.execute(update(AuditEntry).where(AuditEntry.seq == 1).values(subject="user:2"))
    return server.create_user(server.unique("regulator"), Role.REGULATOR)


@pytest.mark.parametrize("size", ["phone", "desktop"])
@pytest.mark.parametrize("locale", ["zh-CN", "en"])
def test_a_broken_chain_is_told_in_the_pages_language(
    server: LiveServer, open_page: OpenPage, regulator: User, locale: str, size: str
) -> None:
    report = server.api(regulator, "GET", "/api/regulator/audit/verify")
    assert (report["ok"], report["first_bad_seq"], report["problem"]) == (False, 1, "changed")
    page = open_page(regulator, "/regulator", locale=locale, size=size)
    expect(page.locator("#regulator-root")).to_have_attribute("data-state", "ready")
    status = page.locator("#chain-status")
    expect(status).to_have_attribute("data-ok", "false")
    expect(status).to_have_text(f"✗ {SAID[locale]}")
    assert report["detail"] not in status.inner_text()

"""Dates in the back office are written in the page's language (issue 18 §2): the
regulator's log, its penalties and a record's details show a moment as a person reads it
("2026-03-04 05:06:07" in Chinese, "Mar 4, 2026, 5:06:07 AM" in English), never the API's
ISO text ("2026-03-04T05:06:07+00:00"), at phone and desktop sizes. The exports keep ISO."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import pytest
from playwright.sync_api import expect

from liveshop.accounts.models import Role, User
from liveshop.core.audit.log import append_audit
from liveshop.core.db import unit_of_work

if TYPE_CHECKING:
    from tests.web.conftest import LiveServer, OpenPage

pytestmark = pytest.mark.browser

AT = datetime(2026, 3, 4, 5, 6, 7, tzinfo=UTC)  # a day with nothing else on it
UNTIL = "2026-03-11T05:06:07+00:00"
ISO = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}")
# The browser runs in the machine's zone, UTC here; English puts a (narrow) space before AM.
WRITTEN = {
    "zh-CN": (r"^2026-03-04 05:06:07$", r"2026-03-11 05:06:07"),
    "en": (r"^Mar 4, 2026, 5:06:07\sAM$", r"Mar 11, 2026, 5:06:07\sAM"),
}


@pytest.fixture(scope="module")
def regulator(server: LiveServer) -> User:
    """A regulator, and one audit entry on AT whose details carry a moment."""
    with unit_of_work(server.database_url) as session:
        append_audit(
            session,
            actor="system",
            action="enforcement.mute",
            subject="user:1",
            details={"until": UNTIL, "points": 2},
            at=AT,
        )
    return server.create_user(server.unique("regulator"), Role.REGULATOR)


@pytest.mark.parametrize("size", ["phone", "desktop"])
@pytest.mark.parametrize("locale", ["zh-CN", "en"])
def test_the_regulators_log_writes_dates_in_the_pages_language(
    server: LiveServer, open_page: OpenPage, regulator: User, locale: str, size: str
) -> None:
    page = open_page(regulator, "/regulator", locale=locale, size=size)
    expect(page.locator("#regulator-root")).to_have_attribute("data-state", "ready")
    page.fill("#range-start", "2026-03-04")
    page.fill("#range-end", "2026-03-04")
    page.click("#range-apply")
    rows = page.locator("#audit tbody tr")
    expect(rows).to_have_count(1)
    moment, details = WRITTEN[locale]
    expect(rows.first.locator("td").nth(1)).to_have_text(re.compile(moment))
    expect(rows.first.locator(".audit-details dd").last).to_have_text(re.compile(details))
    for table in ("#audit", "#penalties", "#inspections"):
        assert not ISO.search(page.locator(table).inner_text()), table
    export = page.locator("#export-audit-json").get_attribute("href")
    assert export is not None
    exported = server.api(regulator, "GET", export)
    assert exported["entries"][0]["details"]["until"] == UNTIL  # the export stays ISO

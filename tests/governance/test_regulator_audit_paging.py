"""The regulator's audit log a page at a time with the range's total (issue 18, §4)."""

from __future__ import annotations

from fastapi.testclient import TestClient

from liveshop.accounts.models import Role
from liveshop.core.audit.log import append_audit
from liveshop.core.db import unit_of_work
from tests.conftest import MakeAccount


def test_pages_end_with_no_cursor_and_carry_the_total(
    client: TestClient, make_account: MakeAccount, database_url: str
) -> None:
    with unit_of_work(database_url) as session:
        for index in range(5):
            append_audit(session, actor="system", action="test.row", subject=f"row:{index}")
    regulator = make_account(Role.REGULATOR)
    first = client.get(
        "/api/regulator/audit", params={"limit": 3}, headers=regulator.headers
    ).json()
    total = first["total"]
    assert total >= 5
    assert len(first["entries"]) == 3
    seen = [entry["seq"] for entry in first["entries"]]
    cursor = first["next_after_seq"]
    while cursor is not None:
        page = client.get(
            "/api/regulator/audit",
            params={"limit": 3, "after_seq": cursor},
            headers=regulator.headers,
        ).json()
        seen += [entry["seq"] for entry in page["entries"]]
        assert page["entries"], "a cursor never leads to an empty page"
        cursor = page["next_after_seq"]
    assert seen == sorted(seen)
    assert len(seen) >= total

"""The regulator's audit log, penalties and inspections a page at a time with the range's
total (issue 18, §4)."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from fastapi.testclient import TestClient
from sqlalchemy import select

from liveshop.accounts.models import Role, User
from liveshop.catalog.models import Shop
from liveshop.core.audit.log import append_audit
from liveshop.core.db import unit_of_work
from liveshop.governance.inspections import sample_inspections
from liveshop.governance.models import InspectionTarget, PenaltyKind, SubjectType
from liveshop.governance.penalties import ActionRequest, impose_penalty
from tests.conftest import MakeAccount
from tests.governance.helpers import moderation_settings


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


def test_penalties_and_inspections_carry_the_ranges_total(
    client: TestClient, make_account: MakeAccount, database_url: str
) -> None:
    moderator, subject = make_account(Role.MODERATOR), make_account(Role.HOST)
    merchant = make_account(Role.MERCHANT)
    for title in ("soap", "towel"):
        made = client.post(
            "/api/products",
            json={"title": title, "price": 900, "stock": 5},
            headers=merchant.headers,
        )
        assert made.status_code == 201, made.text
    day = datetime(2026, 2, 7, 9, 0, tzinfo=UTC)
    with unit_of_work(database_url) as session:
        for index in range(5):
            impose_penalty(
                session,
                moderator=session.get_one(User, moderator.id),
                request=ActionRequest(
                    PenaltyKind.WARNING,
                    "不文明用语",
                    subject_type=SubjectType.USER,
                    subject_id=subject.id,
                    points=0,
                ),
                settings=moderation_settings(),
                now=day + timedelta(minutes=index),
            )
        for seed in ("a", "b"):  # two products, twice: four inspections
            sample_inspections(
                session, of=InspectionTarget.PRODUCT, rate=Decimal(1), seed=seed, now=day
            )
        impose_penalty(  # the day after: outside the range
            session,
            moderator=session.get_one(User, moderator.id),
            request=ActionRequest(
                PenaltyKind.WARNING, "x", subject_type=SubjectType.USER, subject_id=subject.id
            ),
            settings=moderation_settings(),
            now=day + timedelta(days=1),
        )
    regulator = make_account(Role.REGULATOR)
    window = {"start": "2026-02-07T00:00:00Z", "end": "2026-02-08T00:00:00Z"}
    for name, total in (("penalties", 5), ("inspections", 4)):
        first = client.get(
            f"/api/regulator/{name}", params={**window, "limit": 3}, headers=regulator.headers
        ).json()
        assert (len(first[name]), first["total"]) == (3, total)
        rest = client.get(
            f"/api/regulator/{name}",
            params={**window, "limit": 3, "after_id": first["next_after_id"]},
            headers=regulator.headers,
        ).json()
        assert (len(rest[name]), rest["total"], rest["next_after_id"]) == (total - 3, total, None)


def test_records_name_the_user_shop_and_product_behind_their_ids(
    client: TestClient, make_account: MakeAccount, database_url: str
) -> None:
    moderator, host = make_account(Role.MODERATOR), make_account(Role.HOST, "host_mei")
    merchant = make_account(Role.MERCHANT)
    made = client.post(
        "/api/products",
        json={"title": "龙井 250g", "price": 900, "stock": 5},
        headers=merchant.headers,
    ).json()
    with unit_of_work(database_url) as session:
        moderator_row = session.get_one(User, moderator.id)
        for subject_type, subject_id in (
            (SubjectType.USER, host.id),
            (SubjectType.SHOP, made["shop_id"]),
            (SubjectType.USER, 987_654),  # nobody: no name, not an error
        ):
            impose_penalty(
                session,
                moderator=moderator_row,
                request=ActionRequest(
                    PenaltyKind.WARNING,
                    "虚假宣传",
                    subject_type=subject_type,
                    subject_id=subject_id,
                ),
                settings=moderation_settings(),
            )
        sample_inspections(session, of=InspectionTarget.PRODUCT, rate=Decimal(1), seed="n")
        shop_name = session.execute(
            select(Shop.name).where(Shop.id == made["shop_id"])
        ).scalar_one()
    regulator = make_account(Role.REGULATOR)

    penalties = client.get("/api/regulator/penalties", headers=regulator.headers).json()
    inspections = client.get("/api/regulator/inspections", headers=regulator.headers).json()
    exported = client.get(
        "/api/regulator/penalties", params={"format": "csv"}, headers=regulator.headers
    )

    assert [p["subject_name"] for p in penalties["penalties"]] == ["host_mei", shop_name, None]
    [inspection] = [i for i in inspections["inspections"] if i["target_id"] == made["id"]]
    assert (inspection["target_name"], inspection["shop_name"]) == ("龙井 250g", shop_name)
    rows = list(csv.DictReader(io.StringIO(exported.text)))
    assert [row["subject_name"] for row in rows] == ["host_mei", shop_name, ""]

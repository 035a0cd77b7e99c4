"""Qualifications under admin review, the selling gates, real-name and age
verification (the ID number never stored in clear), and the gift rules."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import select, text

from liveshop.accounts.models import Role
from liveshop.core.db import unit_of_work
from liveshop.core.settings import Settings
from liveshop.governance.models import Report
from liveshop.governance.privacy_hooks import erase_moderation_data, export_moderation_data
from liveshop.governance.qualifications.grants import may_sell_category, may_sell_product
from liveshop.governance.qualifications.identity import (
    GiftNotAllowed,
    check_gift_allowed,
    resident_id_check_character,
)
from liveshop.governance.qualifications.models import IdentityVerification
from liveshop.privacy.registry import DataSubject
from tests.conftest import MakeAccount
from tests.governance.helpers import (
    api_client,
    make_shop_product,
    moderation_settings,
)

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
DOCS = [{"name": "licence.pdf", "url": "https://files.example/licence.pdf"}]


def resident_id(birth: date, sequence: str = "123") -> str:
    first = "110105" + birth.strftime("%Y%m%d") + sequence
    return first + resident_id_check_character(first)


def test_regulated_products_sell_only_after_an_admin_approves_the_papers(
    settings: Settings, database_url: str, make_account: MakeAccount
) -> None:
    merchant = make_account(Role.MERCHANT)
    admin = make_account(Role.ADMIN)
    shop_id, tea = make_shop_product(database_url, merchant, category="食品/茶叶")
    _, scarf = make_shop_product(database_url, merchant, category="clothing")
    with unit_of_work(database_url) as session:
        assert may_sell_category(session, shop_id, "clothing")
        assert not may_sell_category(session, shop_id, "food")
        assert may_sell_product(session, scarf)
        assert not may_sell_product(session, tea)
    with api_client(settings) as client:
        submitted = [
            client.post("/api/qualifications", json=body, headers=merchant.headers)
            for body in (
                {
                    "kind": "business_licence",
                    "documents": DOCS,
                    "details": {"number": "91110105MA01"},
                },
                {
                    "kind": "category_licence",
                    "category": "食品",
                    "documents": DOCS,
                    "valid_until": "2030-01-01",
                },
                {"kind": "product_certificate", "product_id": tea, "documents": DOCS},
            )
        ]
        assert [response.status_code for response in submitted] == [201, 201, 201]
        assert submitted[1].json()["category"] == "food"
        bad = client.post(
            "/api/qualifications",
            json={"kind": "category_licence", "category": "clothing", "documents": DOCS},
            headers=merchant.headers,
        )
        assert (bad.status_code, bad.json()["code"]) == (422, "bad_category")
        assert client.get("/api/admin/qualifications", headers=merchant.headers).status_code == 403
        pending = client.get("/api/admin/qualifications?status=pending", headers=admin.headers)
        ids = [item["id"] for item in pending.json()]
        assert ids == [response.json()["id"] for response in submitted]
        for qualification_id in ids[:2]:
            decided = client.post(
                f"/api/admin/qualifications/{qualification_id}/decision",
                json={"approve": True},
                headers=admin.headers,
            )
            assert decided.json()["status"] == "approved"
        again = client.post(
            f"/api/admin/qualifications/{ids[0]}/decision",
            json={"approve": False, "note": "changed my mind"},
            headers=admin.headers,
        )
        assert (again.status_code, again.json()["code"]) == (409, "decided")
        with unit_of_work(database_url) as session:
            assert may_sell_category(session, shop_id, "食品")
            assert not may_sell_category(session, shop_id, "cosmetics")
            assert not may_sell_product(session, tea)  # its certificate still waits
            assert not may_sell_category(
                session, shop_id, "food", now=datetime(2030, 1, 2, tzinfo=UTC)
            )  # the food licence expired
        client.post(
            f"/api/admin/qualifications/{ids[2]}/decision",
            json={"approve": True},
            headers=admin.headers,
        )
        mine = client.get("/api/qualifications/mine", headers=merchant.headers).json()
        assert {item["status"] for item in mine} == {"approved"}
    with unit_of_work(database_url) as session:
        assert may_sell_product(session, tea)


def test_hosts_verify_age_and_the_id_number_is_never_stored_in_clear(
    settings: Settings, database_url: str, make_account: MakeAccount
) -> None:
    adult, teen, child = (make_account(Role.HOST) for _ in range(3))
    adult_id = resident_id(date(1990, 5, 4))
    with api_client(settings) as client:
        verified = client.post(
            "/api/me/verification",
            json={"real_name": "王小明", "id_number": adult_id, "birth_date": "1990-05-04"},
            headers=adult.headers,
        )
        assert verified.status_code == 201, verified.text
        assert verified.json()["id_number"] == adult_id[0] + "*" * 16 + adult_id[-1]
        assert verified.json()["real_name"] == "王**"
        assert adult_id not in client.get("/api/me/verification", headers=adult.headers).text
        teen_id = resident_id(date(2009, 1, 1))
        body: dict[str, object] = {
            "real_name": "李四",
            "id_number": teen_id,
            "birth_date": "2009-01-01",
        }
        refused = client.post("/api/me/verification", json=body, headers=teen.headers)
        assert refused.json()["code"] == "guardian_consent_required"
        body["guardian_consent"] = True
        assert (
            client.post("/api/me/verification", json=body, headers=teen.headers).status_code == 201
        )
        young = {
            "real_name": "赵六",
            "id_number": resident_id(date(2012, 2, 2)),
            "birth_date": "2012-02-02",
            "guardian_consent": True,
        }
        too_young = client.post("/api/me/verification", json=young, headers=child.headers)
        assert (too_young.status_code, too_young.json()["code"]) == (403, "too_young_to_host")
        reused = client.post(
            "/api/me/verification",
            json={"real_name": "王小明", "id_number": adult_id, "birth_date": "1990-05-04"},
            headers=child.headers,
        )
        assert (reused.status_code, reused.json()["code"]) == (409, "already_verified")
        mismatch = client.post(
            "/api/me/verification",
            json={"real_name": "x", "id_number": adult_id, "birth_date": "1990-05-05"},
            headers=child.headers,
        )
        assert mismatch.json()["code"] == "birth_mismatch"
        wrong_check = adult_id[:-1] + ("0" if adult_id[-1] != "0" else "1")
        checksum = client.post(
            "/api/me/verification",
            json={"real_name": "x", "id_number": wrong_check, "birth_date": "1990-05-04"},
            headers=child.headers,
        )
        assert checksum.json()["code"] == "bad_id_number"
    with unit_of_work(database_url) as session:
        rows = session.execute(text("SELECT * FROM identity_verifications")).all()
        assert len(rows) == 2
        assert all(teen_id not in str(row) and adult_id not in str(row) for row in rows)
        audit = session.execute(text("SELECT details FROM audit_log")).scalars().all()
        assert all(adult_id not in details for details in audit)
        stored = session.scalars(select(IdentityVerification.id_number_hash)).all()
        assert all(len(digest) == 64 for digest in stored)


def test_minors_cannot_gift_and_everyone_is_capped(
    database_url: str, make_account: MakeAccount
) -> None:
    teen = make_account(Role.HOST)
    viewer = make_account(Role.VIEWER)
    settings = moderation_settings(gift_daily_cap=1_000, gift_monthly_cap=5_000)
    with unit_of_work(database_url) as session:
        session.add(
            IdentityVerification(
                user_id=teen.id,
                real_name="李四",
                id_number_masked="1****************X",
                id_number_hash="a" * 64,
                birth_date=date(2009, 1, 1),
                guardian_consent=True,
            )
        )
    with unit_of_work(database_url) as session:

        def check(user_id: int, coins: int, today: int = 0, month: int = 0) -> None:
            check_gift_allowed(
                session,
                user_id,
                coins,
                NOW,
                spent_today=today,
                spent_this_month=month,
                settings=settings,
            )

        with pytest.raises(GiftNotAllowed) as minor:
            check(teen.id, 1)
        assert (minor.value.status_code, minor.value.code) == (403, "minor_cannot_gift")
        check(viewer.id, 1_000)  # exactly the cap is allowed
        with pytest.raises(GiftNotAllowed) as daily:
            check(viewer.id, 1, today=1_000)
        assert daily.value.code == "daily_gift_cap"
        with pytest.raises(GiftNotAllowed) as monthly:
            check(viewer.id, 500, today=0, month=4_600)
        assert monthly.value.code == "monthly_gift_cap"
        strict = moderation_settings(gifts_require_verification=True)
        with pytest.raises(GiftNotAllowed) as unverified:
            check_gift_allowed(
                session, viewer.id, 1, NOW, spent_today=0, spent_this_month=0, settings=strict
            )
        assert unverified.value.code == "verification_required"


def test_export_shows_the_masked_identity_and_erasure_removes_it(
    settings: Settings, database_url: str, make_account: MakeAccount
) -> None:
    host = make_account(Role.HOST)
    number = resident_id(date(1991, 7, 8), "456")
    with api_client(settings) as client:
        client.post(
            "/api/me/verification",
            json={"real_name": "王小明", "id_number": number, "birth_date": "1991-07-08"},
            headers=host.headers,
        )
        client.post(
            "/api/reports",
            json={
                "target_type": "user",
                "target_id": make_account().id,
                "reason": "abuse",
                "details": "called me names",
                "evidence": {"message": "you ..."},
            },
            headers=host.headers,
        )
    with unit_of_work(database_url) as session:
        subject = DataSubject(session=session, user_id=host.id, settings=settings)
        exported = export_moderation_data(subject)
        assert exported["identity_verification"]["id_number"] == number[0] + "*" * 16 + number[-1]
        assert number not in str(exported)
        assert [report["details"] for report in exported["reports_filed"]] == ["called me names"]
        assert erase_moderation_data(subject) == {
            "identity_verifications": 1,
            "reports_anonymised": 1,
            "appeals_anonymised": 0,
        }
    with unit_of_work(database_url) as session:
        assert session.get(IdentityVerification, host.id) is None
        report = session.scalars(select(Report)).one()
        assert (report.details, report.evidence["reported"]) == ("[erased]", "[erased]")
        assert report.evidence["captured"] == {}  # a user target: the accused id, no facts

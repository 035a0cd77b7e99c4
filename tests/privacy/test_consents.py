"""The consent ledger over the API: one step to grant, one to withdraw."""

from __future__ import annotations

import threading

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from liveshop.core.db import unit_of_work
from liveshop.payments.models import PaymentMethod, VaultCard
from liveshop.privacy.consents import (
    POLICY_VERSIONS,
    Purpose,
    grant_consent,
    personalised_recommendations_allowed,
)
from liveshop.privacy.models import Consent
from tests.conftest import Account, MakeAccount
from tests.privacy.conftest import buy_and_pay, ok

VERSION = POLICY_VERSIONS[Purpose.PERSONALISED_RECOMMENDATIONS]


def _statuses(client: TestClient, user: Account) -> dict[str, dict[str, object]]:
    listed = ok(client.get("/api/me/consents", headers=user.headers))
    return {entry["purpose"]: entry for entry in listed}


def _allowed(database_url: str, user_id: int) -> bool:
    with unit_of_work(database_url) as session:
        return personalised_recommendations_allowed(session, user_id)


def test_personalised_recommendations_are_off_until_granted_and_off_again_when_withdrawn(
    client: TestClient, viewer: Account, database_url: str
) -> None:
    assert not _allowed(database_url, viewer.id)
    assert _statuses(client, viewer)["personalised_recommendations"] == {
        "purpose": "personalised_recommendations",
        "sensitive": False,
        "current_policy_version": VERSION,
        "granted": False,
        "policy_version": None,
        "granted_at": None,
        "withdrawn_at": None,
    }
    body = {"purpose": "personalised_recommendations", "policy_version": VERSION}
    granted = client.post("/api/me/consents", json=body, headers=viewer.headers)
    assert granted.status_code == 201
    assert (granted.json()["policy_version"], granted.json()["withdrawn_at"]) == (VERSION, None)
    again = client.post("/api/me/consents", json=body, headers=viewer.headers)
    assert (again.status_code, again.json()["granted_at"]) == (200, granted.json()["granted_at"])
    assert _allowed(database_url, viewer.id)

    withdrawn = client.delete(
        "/api/me/consents/personalised_recommendations", headers=viewer.headers
    )
    assert withdrawn.status_code == 204
    assert not _allowed(database_url, viewer.id)
    status = _statuses(client, viewer)["personalised_recommendations"]
    assert (status["granted"], status["withdrawn_at"] is not None) == (False, True)
    again_withdrawn = client.delete(
        "/api/me/consents/personalised_recommendations", headers=viewer.headers
    )
    assert again_withdrawn.status_code == 204

    regranted = client.post("/api/me/consents", json=body, headers=viewer.headers)
    assert regranted.status_code == 201
    with unit_of_work(database_url) as session:
        rows = session.scalars(select(Consent).order_by(Consent.id)).all()
        assert [(row.purpose, row.withdrawn_at is None) for row in rows] == [
            ("personalised_recommendations", False),
            ("personalised_recommendations", True),
        ]


def test_sensitive_purposes_need_their_own_acknowledged_consent(
    client: TestClient, viewer: Account, database_url: str
) -> None:
    version = POLICY_VERSIONS[Purpose.LOCATION]
    bundled = client.post(
        "/api/me/consents",
        json={"purpose": "location", "policy_version": version},
        headers=viewer.headers,
    )
    assert (bundled.status_code, bundled.json()["code"]) == (422, "separate_consent_required")
    with unit_of_work(database_url) as session:
        assert session.scalar(select(func.count()).select_from(Consent)) == 0
    separate = client.post(
        "/api/me/consents",
        json={"purpose": "location", "policy_version": version, "acknowledge_sensitive": True},
        headers=viewer.headers,
    )
    assert separate.status_code == 201
    statuses = _statuses(client, viewer)
    assert (statuses["location"]["granted"], statuses["location"]["sensitive"]) == (True, True)
    assert statuses["stored_cards"]["sensitive"] is True
    assert statuses["marketing_messages"]["sensitive"] is False


def test_a_stale_policy_version_or_unknown_purpose_is_refused(
    client: TestClient, viewer: Account
) -> None:
    stale = client.post(
        "/api/me/consents",
        json={"purpose": "marketing_messages", "policy_version": "2020-01"},
        headers=viewer.headers,
    )
    assert (stale.status_code, stale.json()["code"]) == (409, "stale_policy_version")
    unknown = client.delete("/api/me/consents/selling_my_data", headers=viewer.headers)
    assert unknown.status_code == 422
    assert client.get("/api/me/consents").status_code == 401


def test_a_new_policy_version_needs_consent_again(
    session: Session, viewer: Account, monkeypatch: pytest.MonkeyPatch
) -> None:
    purpose = Purpose.MARKETING_MESSAGES
    first, created = grant_consent(
        session, user_id=viewer.id, purpose=purpose, policy_version=POLICY_VERSIONS[purpose]
    )
    assert created
    monkeypatch.setitem(POLICY_VERSIONS, purpose, "2027-01")
    second, created = grant_consent(
        session, user_id=viewer.id, purpose=purpose, policy_version="2027-01"
    )
    assert created
    assert second.id != first.id
    assert first.withdrawn_at == second.granted_at  # superseded when the new one was given


def test_withdrawing_stored_cards_consent_removes_the_stored_cards(
    client: TestClient, make_account: MakeAccount, database_url: str
) -> None:
    journey = buy_and_pay(client, make_account)
    buyer = journey.buyer
    ok(
        client.post(
            "/api/me/consents",
            json={
                "purpose": "stored_cards",
                "policy_version": POLICY_VERSIONS[Purpose.STORED_CARDS],
                "acknowledge_sensitive": True,
            },
            headers=buyer.headers,
        )
    )
    assert len(ok(client.get("/api/payment-methods", headers=buyer.headers))) == 1
    assert client.delete("/api/me/consents/stored_cards", headers=buyer.headers).status_code == 204
    assert ok(client.get("/api/payment-methods", headers=buyer.headers)) == []
    with unit_of_work(database_url) as session:
        method = session.get_one(PaymentMethod, journey.method["id"])
        assert method.removed_at is not None
        assert session.scalar(select(func.count()).select_from(VaultCard)) == 0


def test_concurrent_grants_open_one_consent(database_url: str, viewer: Account) -> None:
    purpose = Purpose.MARKETING_MESSAGES
    start = threading.Barrier(4)
    results: list[bool] = []
    errors: list[BaseException] = []

    def grant() -> None:
        try:
            start.wait()
            with unit_of_work(database_url) as session:
                _consent, created = grant_consent(
                    session,
                    user_id=viewer.id,
                    purpose=purpose,
                    policy_version=POLICY_VERSIONS[purpose],
                )
                results.append(created)
        except BaseException as error:  # pragma: no cover - reported below
            errors.append(error)

    threads = [threading.Thread(target=grant) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert sorted(results) == [False, False, False, True]
    with unit_of_work(database_url) as session:
        assert session.scalar(select(func.count()).select_from(Consent)) == 1

"""A buyer's journey, their data export, the scan for personal data in every
response and log line, and erasure (the ledger still balances)."""

from __future__ import annotations

import logging
import re
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from liveshop.accounts.models import ApiToken, User
from liveshop.core.audit.log import verify_audit_chain
from liveshop.core.audit.models import AuditEntry
from liveshop.core.db import unit_of_work
from liveshop.core.settings import Settings
from liveshop.events.recorder import pseudonymous_id
from liveshop.events.store import append_events, read_events
from liveshop.orders.models import Address, Order
from liveshop.payments.models import PaymentMethod, VaultCard
from liveshop.payments.verify import verify_ledger
from liveshop.privacy.consents import POLICY_VERSIONS, Purpose
from liveshop.privacy.masking import find_personal_data
from liveshop.privacy.models import Consent
from tests.conftest import PASSWORD, MakeAccount
from tests.privacy.conftest import CARD, PHONE, buy_and_pay, finish_order, ok

# Where a caller may see a full phone: the caller's own address book. Orders carry a
# masked copy for everyone, as privacy waybills (隐私面单) do. See masking.py.
FULL_PHONE_ALLOWED = re.compile(r"^(POST|GET) /api/addresses$")


def _record_behaviour(settings: Settings, user_id: int, *, other: int) -> None:
    key = settings.resolved_secret_key()
    rows = [
        {
            "event_id": f"e{number}",
            "event_type": "product_click",
            "user_id": pseudonymous_id(owner, key),
            "room_id": 1,
            "product_id": 2,
            "ts": datetime(2026, 11, 1, 12, number, tzinfo=UTC),
            "properties": {"channel": "room"},
        }
        for number, owner in enumerate((user_id, user_id, other))
    ]
    append_events(settings.event_store_path(), rows)


def _grant(client: TestClient, headers: dict[str, str], purpose: Purpose) -> None:
    ok(
        client.post(
            "/api/me/consents",
            json={
                "purpose": purpose.value,
                "policy_version": POLICY_VERSIONS[purpose],
                "acknowledge_sensitive": True,
            },
            headers=headers,
        )
    )


def test_the_export_holds_everything_and_no_response_or_log_leaks_personal_data(
    client: TestClient,
    make_account: MakeAccount,
    settings: Settings,
    caplog: pytest.LogCaptureFixture,
) -> None:
    seen: list[tuple[str, str]] = []

    def keep(response: httpx.Response) -> None:
        response.read()
        request = f"{response.request.method} {response.request.url.path}"
        seen.append((request, str(response.headers) + response.text))

    client.event_hooks["response"].append(keep)
    with caplog.at_level(logging.DEBUG):
        journey = buy_and_pay(client, make_account)
        buyer = journey.buyer
        _grant(client, buyer.headers, Purpose.PERSONALISED_RECOMMENDATIONS)
        ok(client.get("/api/addresses", headers=buyer.headers))
        ok(client.get("/api/payment-methods", headers=buyer.headers))
        ok(client.get("/api/wallet/history", headers=buyer.headers))
        _record_behaviour(settings, buyer.id, other=journey.merchant.id)
        exported = ok(client.get("/api/me/export", headers=buyer.headers))

    leaks = [
        (request, found)
        for request, text in seen
        if (found := find_personal_data(text))
        and not (set(found) == {"phone"} and FULL_PHONE_ALLOWED.match(request))
    ]
    assert leaks == []
    assert [request for request, text in seen if PHONE in text] == [
        "POST /api/addresses",
        "GET /api/addresses",
    ]
    assert not any(CARD in text for _request, text in seen)
    log_text = "\n".join(record.getMessage() for record in caplog.records)
    assert find_personal_data(log_text) == {}

    assert exported["account"]["username"] == "buyer_li"
    assert exported["orders"]["addresses"][0]["phone"] == "138****5678"
    assert exported["orders"]["orders"][0]["address"]["phone"] == "138****5678"
    assert exported["orders"]["orders"][0]["status"] == "paid"
    assert [m["card"] for m in exported["payments"]["payment_methods"]] == ["visa ****4242"]
    assert [p["status"] for p in exported["payments"]["payments"]] == ["succeeded"]
    assert [c["purpose"] for c in exported["consents"]] == [
        "stored_cards",  # given with the saved card
        "personalised_recommendations",
    ]
    events = exported["behaviour_events"]
    assert events["pseudonymous_id"] == pseudonymous_id(buyer.id, settings.resolved_secret_key())
    # The platform records the paid order's purchase too, in the recorder's next
    # flush (every 2 s): it may or may not be in the store yet.
    clicks = [event for event in events["events"] if event["event_type"] != "purchase"]
    assert [event["event_id"] for event in clicks] == ["e0", "e1"]
    assert "buyer_li" not in str(events)
    assert [entry["action"] for entry in exported["audit"]] == ["vault.reveal"]
    assert exported["audit"][0]["actor"] == f"user:{buyer.id}"
    assert set(exported) >= {"account", "live", "payments", "orders", "consents", "audit"}


def _count(database_url: str, query: Any) -> int:
    with unit_of_work(database_url) as session:
        return int(session.scalar(query) or 0)


def test_erasure_unlinks_the_person_keeps_legal_records_and_the_ledger_balances(
    client: TestClient, make_account: MakeAccount, database_url: str, settings: Settings
) -> None:
    journey = buy_and_pay(client, make_account)
    buyer = journey.buyer
    _grant(client, buyer.headers, Purpose.STORED_CARDS)
    _record_behaviour(settings, buyer.id, other=journey.merchant.id)

    wrong = client.post("/api/me/erase", json={"password": "not it"}, headers=buyer.headers)
    assert (wrong.status_code, wrong.json()["code"]) == (403, "wrong_password")
    early = client.post("/api/me/erase", json={"password": PASSWORD}, headers=buyer.headers)
    assert (early.status_code, early.json()["code"]) == (409, "erasure_blocked")
    assert f"orders {journey.order['id']} are not finished" in early.json()["detail"]
    seller = client.post(
        "/api/me/erase", json={"password": PASSWORD}, headers=journey.merchant.headers
    )
    assert (seller.status_code, seller.json()["code"]) == (409, "erasure_blocked")
    assert "must be handed over or closed first" in seller.json()["detail"]
    assert _count(database_url, select(func.count()).select_from(AuditEntry)) == 1  # the reveal
    assert ok(client.get("/api/auth/me", headers=buyer.headers))["username"] == "buyer_li"

    finish_order(client, journey)
    erased = ok(client.post("/api/me/erase", json={"password": PASSWORD}, headers=buyer.headers))
    assert erased == {
        "user_id": buyer.id,
        "erased": {
            "consents": {"withdrawn": 1},
            "behaviour_events": {"behaviour_events": 3},  # 2 recorded above, 1 purchase
            "addresses": {"addresses": 1},
            "cart": {"cart_items": 0},
            "payment_methods": {"cards_shredded": 1},
            "campaigns": {
                "link_touches": 0,
                "experiment_exposures": 0,
                "push_recipients": 0,
                "share_links": 0,
            },
            "notifications": {
                "host_follows": 0,
                "room_reminders": 0,
                "notifications": 0,
                "notification_settings": 0,
                "outbound_emails": 0,
            },
            "reviews": {"reviews": 0, "review_votes": 0},
            "recommendations": {"model_versions": 0, "session_actions": 0},
            "moderation": {
                "identity_verifications": 0,
                "reports_anonymised": 0,
                "appeals_anonymised": 0,
            },
            "account": {
                "name": 1,
                "tokens_revoked": 1,
                "second_factors": 0,
                "recovery_codes": 0,
                "passkeys": 0,
            },
        },
    }
    assert client.get("/api/auth/me", headers=buyer.headers).status_code == 401
    relogin = client.post("/api/auth/login", json={"username": "buyer_li", "password": PASSWORD})
    assert relogin.status_code == 401

    with unit_of_work(database_url) as session:
        user = session.get_one(User, buyer.id)
        assert user.username == f"erased-{buyer.id}"
        assert session.scalar(select(func.count()).where(Address.user_id == buyer.id)) == 0
        method = session.get_one(PaymentMethod, journey.method["id"])
        assert method.removed_at is not None
        assert session.scalar(select(func.count()).select_from(VaultCard)) == 0
        assert (
            session.scalar(
                select(func.count()).where(
                    ApiToken.user_id == buyer.id, ApiToken.revoked_at.is_(None)
                )
            )
            == 0
        )
        assert (
            session.scalar(
                select(func.count()).where(
                    Consent.user_id == buyer.id, Consent.withdrawn_at.is_(None)
                )
            )
            == 0
        )
        order = session.get_one(Order, journey.order["id"])  # legal hold: the order stays
        assert (order.buyer_id, order.status.value, order.total) == (buyer.id, "completed", 29_900)
        ledger = verify_ledger(session)
        assert ledger.ok, ledger.breaches
        chain = verify_audit_chain(session)
        assert chain.ok
        last = session.scalars(select(AuditEntry).order_by(AuditEntry.seq.desc())).first()
        assert last is not None
        assert (last.actor, last.action, last.subject) == (
            f"user:{buyer.id}",
            "privacy.erase",
            f"user:{buyer.id}",
        )
    remaining = read_events(settings.event_store_path())
    assert [event["event_id"] for event in remaining] == ["e2"]  # the other user's

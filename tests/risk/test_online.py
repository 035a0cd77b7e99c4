"""The engine in line: rules saved by an admin decline a payment and queue a case;
analysts label it, the merchant sees the status, the buyer appeals; an engine
outage fails safe per path."""

from __future__ import annotations

import dataclasses
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr
from sqlalchemy import select

from liveshop.accounts.models import Role, User
from liveshop.catalog import service as catalog
from liveshop.catalog.schemas import ProductIn
from liveshop.core import risk as core_risk
from liveshop.core.clock import utcnow
from liveshop.core.db import unit_of_work
from liveshop.core.settings import Settings
from liveshop.orders import service as orders
from liveshop.orders.schemas import OrderIn, OrderItemIn
from liveshop.payments import charges, methods
from liveshop.payments.charges import MethodChoice, PaymentContext
from liveshop.payments.context import payment_context, webhook_secret
from liveshop.payments.gateway import SandboxGateway
from liveshop.payments.models import Payment
from liveshop.payments.schemas import CardIn
from liveshop.risk.models import RiskCase
from liveshop.wiring import connect_domains
from tests.conftest import Account, MakeAccount
from tests.payments.money import GOOD_CARD

BLOCKED_AMOUNT = 4_321  # 分: the test's rule blocks payments of exactly this much


@pytest.fixture
def context(settings: Settings) -> PaymentContext:
    return dataclasses.replace(
        payment_context(settings), gateway=SandboxGateway(webhook_secret(settings))
    )


def _pay_order(
    database_url: str, context: PaymentContext, buyer: Account, merchant: Account
) -> Payment:
    with unit_of_work(database_url) as session:
        user = session.get_one(User, buyer.id)
        card, _ = methods.add_payment_method(
            session,
            user=user,
            body=CardIn(
                card_number=SecretStr(GOOD_CARD),
                exp_month=12,
                exp_year=utcnow().year + 2,
                cvc=SecretStr("123"),
                save_consent=True,
            ),
            master=context.master,
        )
        product = catalog.create_product(
            session,
            merchant=session.get_one(User, merchant.id),
            body=ProductIn(title="围巾", price=BLOCKED_AMOUNT, stock=5),
        )
        sku_id = catalog.skus_of(session, product_id=product.id)[0].id
        order, _ = orders.place_order(
            session,
            buyer=user,
            body=OrderIn(items=[OrderItemIn(sku_id=sku_id, quantity=1)]),
            idempotency_key="risk-order",
            payment_minutes=15,
        )
        payment = charges.pay_order(
            session,
            buyer=user,
            order_id=order.id,
            method=MethodChoice(method_id=card.id),
            idempotency_key="risk-pay",
            context=context,
        )
        session.expunge(payment)
        return payment


def test_an_admins_rule_declines_a_payment_and_the_case_flows_through_review(
    client: TestClient, database_url: str, context: PaymentContext, make_account: MakeAccount
) -> None:
    admin, analyst = make_account(Role.ADMIN), make_account(Role.RISK_ANALYST)
    buyer, merchant = make_account(Role.VIEWER), make_account(Role.MERCHANT)
    rule = f"block if is_payment and amount == {BLOCKED_AMOUNT}"
    bad = client.post(
        "/api/risk/rules", json={"source": "block if os.system"}, headers=admin.headers
    )
    refused = client.post("/api/risk/rules", json={"source": rule}, headers=analyst.headers)
    saved = client.post(
        "/api/risk/rules", json={"source": rule, "comment": "test"}, headers=admin.headers
    )
    assert (bad.status_code, refused.status_code, saved.status_code) == (422, 403, 201)
    assert saved.json()["version"] == 1

    payment = _pay_order(database_url, context, buyer, merchant)

    assert (payment.status.value, payment.decline_code) == ("failed", "risk_declined")
    queue = client.get("/api/risk/cases", headers=analyst.headers)
    assert client.get("/api/risk/cases", headers=buyer.headers).status_code == 403
    [case] = queue.json()
    assert (case["subject"], case["decision"], case["user_id"]) == (
        f"payment:{payment.id}",
        "block",
        buyer.id,
    )
    assert f"rule: {rule}" in case["reasons"]
    held = client.get("/api/risk/held", headers=merchant.headers).json()
    assert held == [
        {
            "id": case["id"],
            "created_at": held[0]["created_at"],
            "subject": f"payment:{payment.id}",
            "status": "held for a review",
            "appealed": False,
            "appeal_route": f"/api/risk/cases/{case['id']}/appeal",
        }
    ]  # no reasons, no features
    labelled = client.post(
        f"/api/risk/cases/{case['id']}/label",
        json={"label": "card_testing"},
        headers=analyst.headers,
    )
    assert (labelled.status_code, labelled.json()["status"]) == (200, "confirmed")
    stranger = make_account(Role.VIEWER)
    assert (
        client.post(
            f"/api/risk/cases/{case['id']}/appeal", json={"text": "mine"}, headers=stranger.headers
        ).status_code
        == 404
    )
    appealed = client.post(
        f"/api/risk/cases/{case['id']}/appeal", json={"text": "it was me"}, headers=buyer.headers
    )
    assert (appealed.status_code, appealed.json()["status"]) == (200, "held for a review")
    with unit_of_work(database_url) as session:
        stored = session.scalars(select(RiskCase)).one()
        assert (stored.status.value, stored.label, stored.appeal) == (
            "open",
            "card_testing",
            "it was me",
        )


class _Broken:
    def assess(
        self, request: core_risk.RiskRequest, *, session: object = None
    ) -> core_risk.RiskVerdict:
        raise ConnectionError("redis went away")

    def record_outcome(self, request: core_risk.RiskRequest, *, succeeded: bool) -> None:
        raise ConnectionError("redis went away")


def test_an_engine_outage_fails_safe_per_path() -> None:
    now = utcnow()
    try:
        core_risk.register_risk_assessor(_Broken(), on_error={"coupon_grab": "challenge"})  # type: ignore[arg-type]
        verdicts = {
            path: core_risk.assess_risk(
                core_risk.RiskRequest(
                    path=path, user_id=1, account_created_at=now - timedelta(days=1), at=now
                )
            )
            for path in (
                core_risk.RiskPath.PAYMENT,
                core_risk.RiskPath.ORDER,
                core_risk.RiskPath.COUPON_GRAB,
            )
        }
        core_risk.record_risk_outcome(
            core_risk.RiskRequest(
                path=core_risk.RiskPath.PAYMENT, user_id=1, account_created_at=now, at=now
            ),
            succeeded=False,
        )  # never raises
    finally:
        connect_domains()
    assert {path.value: (v.decision.value, v.degraded) for path, v in verdicts.items()} == {
        "payment": ("challenge", True),
        "order": ("allow", True),
        "coupon_grab": ("challenge", True),
    }

"""The risk step-up: the risk engine's verdict (declines, many cards, many payments,
counted by ``liveshop.risk`` as each payment is assessed) asks for a second factor,
after the amount and the new device; the reason is kept on the payment and shown in
the API, in words that do not tell the rules."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr
from sqlalchemy import func, select

from liveshop.accounts.models import Role, User
from liveshop.catalog import service as catalog
from liveshop.catalog.schemas import ProductIn
from liveshop.core.clock import as_utc, utcnow
from liveshop.core.db import unit_of_work
from liveshop.core.settings import Settings
from liveshop.orders import service as orders
from liveshop.orders.schemas import OrderIn, OrderItemIn
from liveshop.payments import challenges, charges, methods
from liveshop.payments.charges import MethodChoice, PaymentContext
from liveshop.payments.context import payment_context, webhook_secret
from liveshop.payments.gateway import SandboxGateway
from liveshop.payments.models import ChallengeMethod, LedgerTransaction, Payment, TopUpKind
from liveshop.payments.schemas import CardIn
from tests.payments.money import GOOD_CARD, new_account

DECLINED_CARD = "4000000000000002"
OTHER_GOOD_CARDS = ("5555555555554444", "378282246310005", "6011111111111117")
PHONE = "phone-aaaa1111"  # the buyer's known device
SMALL = 1_000  # 分, far below settings.step_up_amount (200,000)
CARD_TESTING = "risk: please confirm it is you"  # the engine's rules stay unsaid


@dataclass(frozen=True)
class Outcome:
    id: int
    status: str
    step_up_reason: str | None
    challenge: str | None
    charged: bool  # the gateway saw it


@pytest.fixture
def context(settings: Settings) -> PaymentContext:
    """The app's context with a sandbox of this test's own, whose notifications nobody
    delivers (the outcome of a charge is its synchronous answer here)."""
    return dataclasses.replace(
        payment_context(settings), gateway=SandboxGateway(webhook_secret(settings))
    )


@pytest.fixture
def buyer_id(database_url: str) -> int:
    return new_account(database_url).id


def save_card(database_url: str, context: PaymentContext, buyer_id: int, number: str) -> int:
    with unit_of_work(database_url) as session:
        method, _created = methods.add_payment_method(
            session,
            user=session.get_one(User, buyer_id),
            body=CardIn(
                card_number=SecretStr(number),
                exp_month=12,
                exp_year=utcnow().year + 2,
                cvc=SecretStr("1234" if number.startswith("37") else "123"),
                save_consent=True,
            ),
            master=context.master,
        )
        return method.id


def _outcome(payment: Payment) -> Outcome:
    challenge = payment.challenge_method.value if payment.challenge_method else None
    return Outcome(
        id=payment.id,
        status=payment.status.value,
        step_up_reason=payment.step_up_reason,
        challenge=challenge,
        charged=payment.gateway_reference is not None,
    )


def top_up(
    database_url: str,
    context: PaymentContext,
    buyer_id: int,
    card: int,
    *,
    key: str,
    amount: int = SMALL,
    device: str | None = PHONE,
) -> Outcome:
    with unit_of_work(database_url) as session:
        payment = charges.top_up(
            session,
            user=session.get_one(User, buyer_id),
            kind=TopUpKind.WALLET,
            amount=amount,
            method=MethodChoice(method_id=card),
            idempotency_key=key,
            context=context,
            device_id=device,
        )
        return _outcome(payment)


def pay_new_order(
    database_url: str, context: PaymentContext, buyer_id: int, card: int, *, key: str
) -> Outcome:
    """A small order from a new shop, paid with ``card`` from the known phone."""
    merchant_id = new_account(database_url, Role.MERCHANT).id
    with unit_of_work(database_url) as session:
        buyer = session.get_one(User, buyer_id)
        product = catalog.create_product(
            session,
            merchant=session.get_one(User, merchant_id),
            body=ProductIn(title="手套", price=SMALL, stock=5),
        )
        sku_id = catalog.skus_of(session, product_id=product.id)[0].id
        order, _created = orders.place_order(
            session,
            buyer=buyer,
            body=OrderIn(items=[OrderItemIn(sku_id=sku_id, quantity=1)]),
            idempotency_key=f"order-{key}",
            payment_minutes=15,
        )
        payment = charges.pay_order(
            session,
            buyer=buyer,
            order_id=order.id,
            method=MethodChoice(method_id=card),
            idempotency_key=key,
            context=context,
            device_id=PHONE,
        )
        return _outcome(payment)


def age(database_url: str, payment_ids: list[int], by: timedelta) -> None:
    """Move payments back in time, as if started ``by`` earlier."""
    with unit_of_work(database_url) as session:
        for payment in session.scalars(select(Payment).where(Payment.id.in_(payment_ids))):
            payment.created_at = as_utc(payment.created_at) - by


def known_phone(database_url: str, context: PaymentContext, buyer_id: int, card: int) -> None:
    """The buyer paid from ``PHONE`` (passing its new-device challenge) a day and more
    ago, so the phone is known and that payment lies outside every risk window."""
    first = top_up(database_url, context, buyer_id, card, key="known-phone")
    assert (first.status, first.step_up_reason) == ("requires_action", "new device")
    with unit_of_work(database_url) as session:
        code = challenges.sandbox_code(session.get_one(Payment, first.id))
        answer = charges.confirm_challenge(
            session,
            buyer=session.get_one(User, buyer_id),
            payment_id=first.id,
            code=code,
            context=context,
        )
        assert answer.payment.status.value == "succeeded"
    age(database_url, [first.id], timedelta(hours=25))


def declines(
    database_url: str, context: PaymentContext, buyer_id: int, count: int, *, prefix: str
) -> list[int]:
    card = save_card(database_url, context, buyer_id, DECLINED_CARD)
    outcomes = [
        top_up(database_url, context, buyer_id, card, key=f"{prefix}-{n}") for n in range(count)
    ]
    assert [(o.status, o.step_up_reason) for o in outcomes] == [("failed", None)] * count
    return [outcome.id for outcome in outcomes]


def ledger_transactions(database_url: str) -> int:
    with unit_of_work(database_url) as session:
        return int(session.scalar(select(func.count(LedgerTransaction.id))) or 0)


def test_three_declines_within_the_hour_step_up_the_next_small_payment_from_a_known_device(
    database_url: str, context: PaymentContext, buyer_id: int
) -> None:
    card = save_card(database_url, context, buyer_id, GOOD_CARD)
    known_phone(database_url, context, buyer_id, card)
    declines(database_url, context, buyer_id, 2, prefix="declined")
    after_two = pay_new_order(database_url, context, buyer_id, card, key="after-two")
    assert (after_two.status, after_two.step_up_reason) == ("succeeded", None)
    booked = ledger_transactions(database_url)

    declines(database_url, context, buyer_id, 1, prefix="third")
    stepped_up = pay_new_order(database_url, context, buyer_id, card, key="after-three")

    # Also the fifth payment in ten minutes: card testing is checked first.
    assert stepped_up == Outcome(
        id=stepped_up.id,
        status="requires_action",
        step_up_reason=CARD_TESTING,
        challenge=ChallengeMethod.SANDBOX_OTP.value,
        charged=False,
    )
    assert ledger_transactions(database_url) == booked


def test_a_third_distinct_card_in_24_hours_steps_up(
    database_url: str, context: PaymentContext, buyer_id: int
) -> None:
    first = save_card(database_url, context, buyer_id, GOOD_CARD)
    known_phone(database_url, context, buyer_id, first)
    second, third = (
        save_card(database_url, context, buyer_id, number) for number in OTHER_GOOD_CARDS[:2]
    )
    two_cards = top_up(database_url, context, buyer_id, second, key="second-card")
    same_card = top_up(database_url, context, buyer_id, second, key="second-card-again")

    three_cards = top_up(database_url, context, buyer_id, third, key="third-card")

    assert [(o.status, o.step_up_reason) for o in (two_cards, same_card)] == [
        ("succeeded", None)
    ] * 2
    assert (three_cards.status, three_cards.step_up_reason, three_cards.charged) == (
        "requires_action",
        CARD_TESTING,
        False,
    )


def test_a_burst_of_payments_steps_up(
    database_url: str, context: PaymentContext, buyer_id: int
) -> None:
    card = save_card(database_url, context, buyer_id, GOOD_CARD)
    known_phone(database_url, context, buyer_id, card)  # the first payment of the hour
    quick = [top_up(database_url, context, buyer_id, card, key=f"quick-{n}") for n in range(7)]

    assert [o.status for o in quick[:5]] == ["succeeded"] * 5
    assert [(o.status, o.step_up_reason) for o in quick[5:]] == [
        ("requires_action", CARD_TESTING)
    ] * 2


def test_a_normal_small_payment_from_a_known_device_is_not_stepped_up(
    database_url: str, context: PaymentContext, buyer_id: int
) -> None:
    card = save_card(database_url, context, buyer_id, GOOD_CARD)
    known_phone(database_url, context, buyer_id, card)

    paid = pay_new_order(database_url, context, buyer_id, card, key="normal")

    assert paid == Outcome(
        id=paid.id, status="succeeded", step_up_reason=None, challenge=None, charged=True
    )


def test_the_amount_and_a_new_device_come_before_the_risk_signals(
    database_url: str, context: PaymentContext, buyer_id: int
) -> None:
    card = save_card(database_url, context, buyer_id, GOOD_CARD)
    known_phone(database_url, context, buyer_id, card)
    declines(database_url, context, buyer_id, 3, prefix="declined")

    large = top_up(
        database_url, context, buyer_id, card, key="large", amount=context.step_up_amount
    )
    laptop = top_up(database_url, context, buyer_id, card, key="laptop", device="laptop-bbbb2222")
    no_device = top_up(database_url, context, buyer_id, card, key="no-device", device=None)

    assert large.step_up_reason == "amount at or above 2000.00"
    assert laptop.step_up_reason == "new device"
    assert no_device.step_up_reason == CARD_TESTING


def test_the_step_up_reason_is_in_the_payment_response(
    client: TestClient, database_url: str, context: PaymentContext
) -> None:
    buyer = new_account(database_url)
    card = save_card(database_url, context, buyer.id, GOOD_CARD)
    known_phone(database_url, context, buyer.id, card)
    declines(database_url, context, buyer.id, 3, prefix="declined")

    response = client.post(
        "/api/top-ups",
        json={"kind": "wallet", "amount": SMALL, "method": "card", "payment_method_id": card},
        headers=buyer.headers | {"Idempotency-Key": "http-top-up-01", "X-Device-Id": PHONE},
    )
    assert response.status_code == 201, response.text
    payment = response.json()
    shown = client.get(f"/api/payments/{payment['id']}", headers=buyer.headers).json()

    assert (payment["status"], payment["step_up_reason"]) == ("requires_action", CARD_TESTING)
    assert payment["challenge"]["method"] == "sandbox_otp"
    assert shown["step_up_reason"] == CARD_TESTING

"""Saved payment methods over HTTP (the card vault behind them)."""

from __future__ import annotations

import asyncio
from typing import Annotated

from fastapi import APIRouter, Header, Path, Query, Request, Response, status
from fastapi.responses import JSONResponse

from liveshop.accounts.dependencies import CurrentUser
from liveshop.catalog.service import shop_of
from liveshop.core.db import unit_of_work
from liveshop.core.dependencies import DbSession, RowId, SettingsDep
from liveshop.core.settings import Settings
from liveshop.orders.schemas import BuyNowIn
from liveshop.orders.service import order_out
from liveshop.payments import access, challenges, charges, methods, one_click, settlement, wallets
from liveshop.payments.context import payment_context
from liveshop.payments.models import ChallengeMethod, OwnerType, Payment, PaymentStatus
from liveshop.payments.notifications import handle_notification
from liveshop.payments.schemas import (
    BalancesOut,
    CardIn,
    ChallengeIn,
    ChallengeOut,
    MovementOut,
    OneClickOut,
    PaymentIn,
    PaymentMethodOut,
    PaymentOut,
    PayoutLineOut,
    TopUpIn,
    WalletDecisionIn,
)
from liveshop.payments.vault import MasterKey

router = APIRouter(prefix="/api", tags=["payments"])


@router.post("/payment-methods", status_code=status.HTTP_201_CREATED)
def add_payment_method(
    body: CardIn, user: CurrentUser, session: DbSession, settings: SettingsDep, response: Response
) -> PaymentMethodOut:
    method, created = methods.add_payment_method(
        session, user=user, body=body, master=MasterKey(settings.resolved_vault_master_key())
    )
    if not created:
        response.status_code = status.HTTP_200_OK
    return methods.method_out(method)


@router.get("/payment-methods")
def list_payment_methods(user: CurrentUser, session: DbSession) -> list[PaymentMethodOut]:
    return [methods.method_out(m) for m in methods.list_payment_methods(session, user=user)]


@router.delete("/payment-methods/{method_id}", status_code=status.HTTP_204_NO_CONTENT)
def remove_payment_method(method_id: RowId, user: CurrentUser, session: DbSession) -> None:
    methods.remove_payment_method(session, user=user, method_id=method_id)


@router.post("/payment-methods/{method_id}/default")
def make_default(method_id: RowId, user: CurrentUser, session: DbSession) -> PaymentMethodOut:
    return methods.method_out(methods.make_default(session, user=user, method_id=method_id))


def payment_out(payment: Payment) -> PaymentOut:
    challenge = redirect_url = None
    if payment.status is PaymentStatus.REQUIRES_ACTION:
        if payment.challenge_method is ChallengeMethod.SANDBOX_OTP:
            code = challenges.sandbox_code(payment)
            challenge = ChallengeOut(method=payment.challenge_method.value, sandbox_code=code)
        elif payment.challenge_method is ChallengeMethod.TOTP:
            challenge = ChallengeOut(method=payment.challenge_method.value, sandbox_code=None)
        elif payment.gateway_reference is not None:
            redirect_url = f"/sandbox/wallet/{payment.gateway_reference}"
    return PaymentOut(
        id=payment.id,
        order_id=payment.order_id,
        top_up_id=payment.top_up_id,
        method=payment.method_kind.value,
        amount=payment.amount,
        currency=payment.currency,
        status=payment.status.value,
        decline_code=payment.decline_code,
        challenge=challenge,
        redirect_url=redirect_url,
        step_up_reason=payment.step_up_reason,
    )


IdempotencyKey = Annotated[str, Header(alias="Idempotency-Key", min_length=8, max_length=100)]
DeviceId = Annotated[
    str | None,
    Header(
        alias="X-Device-Id",
        max_length=64,
        pattern=r"^[A-Za-z0-9_-]{8,64}$",
        description="the client's device: a device never paid from asks for the 2nd factor",
    ),
]


@router.post("/payments", status_code=status.HTTP_201_CREATED)
def pay(
    body: PaymentIn,
    idempotency_key: IdempotencyKey,
    user: CurrentUser,
    session: DbSession,
    settings: SettingsDep,
    device_id: DeviceId = None,
) -> PaymentOut:
    """Pay an order with a saved card, the wallet or a third-party wallet: succeeded,
    failed (with the reason), requires_action (enter the code, or go to
    ``redirect_url``) or pending (the gateway will notify)."""
    payment = charges.pay_order(
        session,
        buyer=user,
        order_id=body.order_id,
        method=charges.MethodChoice(body.method, body.payment_method_id),
        idempotency_key=idempotency_key,
        context=payment_context(settings),
        device_id=device_id,
    )
    return payment_out(payment)


@router.get("/payments/{payment_id}")
def get_payment(payment_id: RowId, user: CurrentUser, session: DbSession) -> PaymentOut:
    return payment_out(charges.own_payment(session, buyer=user, payment_id=payment_id))


@router.post("/top-ups", status_code=status.HTTP_201_CREATED)
def top_up(
    body: TopUpIn,
    idempotency_key: IdempotencyKey,
    user: CurrentUser,
    session: DbSession,
    settings: SettingsDep,
    device_id: DeviceId = None,
) -> PaymentOut:
    """Pay money in to the wallet, or buy coins (from a card, a third-party wallet,
    or, for coins, the wallet)."""
    payment = charges.top_up(
        session,
        user=user,
        kind=body.kind,
        amount=body.amount,
        method=charges.MethodChoice(body.method, body.payment_method_id),
        idempotency_key=idempotency_key,
        context=payment_context(settings),
        device_id=device_id,
    )
    return payment_out(payment)


@router.get("/wallet")
def my_balances(user: CurrentUser, session: DbSession) -> BalancesOut:
    balances = wallets.balances_of(session, user_id=user.id)
    return BalancesOut(
        wallet=balances.wallet, coins=balances.coins, host_earnings=balances.host_earnings
    )


@router.get("/wallet/history")
def my_history(
    user: CurrentUser, session: DbSession, limit: Annotated[int, Query(ge=1, le=500)] = 100
) -> list[MovementOut]:
    movements = wallets.history_of(session, user_id=user.id, limit=limit)
    return [MovementOut.model_validate(movement, from_attributes=True) for movement in movements]


@router.post("/sandbox/wallet/{reference}", include_in_schema=False)
def decide_wallet_payment(
    reference: Annotated[str, Path(max_length=120)],
    body: WalletDecisionIn,
    user: CurrentUser,
    session: DbSession,
    settings: SettingsDep,
) -> PaymentOut:
    """The sandbox's stand-in for a third-party wallet's page: the buyer approves or
    cancels; the outcome reaches us as a signed notification."""
    payment = charges.decide_wallet_payment(
        session,
        buyer=user,
        reference=reference,
        approve=body.approve,
        context=payment_context(settings),
    )
    return payment_out(payment)


@router.post("/payments/{payment_id}/challenge", response_model=PaymentOut)
def answer_challenge(
    payment_id: RowId,
    body: ChallengeIn,
    user: CurrentUser,
    session: DbSession,
    settings: SettingsDep,
) -> Response:
    answer = charges.confirm_challenge(
        session,
        buyer=user,
        payment_id=payment_id,
        code=body.code,
        context=payment_context(settings),
    )
    return challenge_response(answer)


def challenge_response(answer: challenges.ChallengeAnswer) -> Response:
    """The payment after a step-up answer; a refused answer is returned, not raised, so
    the wrong attempt is counted (committed)."""
    out = payment_out(answer.payment).model_dump(mode="json")
    if answer.void:
        message = "the order changed: the challenge is void"
        return JSONResponse({"detail": message, "code": "challenge_void", "payment": out}, 409)
    if answer.locked:
        message = "too many wrong codes: the second factor is locked for a while"
        return JSONResponse(
            {"detail": message, "code": "second_factor_locked", "payment": out}, 423
        )
    if not answer.accepted:
        return JSONResponse({"detail": "wrong code", "code": "wrong_code", "payment": out}, 422)
    return JSONResponse(out)


@router.post("/webhooks/sandbox", include_in_schema=False)
async def sandbox_webhook(request: Request, settings: SettingsDep) -> dict[str, str]:
    """Gateway notifications: signature checked over the raw body, applied once."""
    body = await request.body()
    headers = dict(request.headers)
    outcome = await asyncio.to_thread(_apply_notification, settings, headers, body)
    return {"outcome": outcome}


def _apply_notification(settings: Settings, headers: dict[str, str], body: bytes) -> str:
    with unit_of_work(settings.resolved_database_url()) as session:
        return handle_notification(
            session, headers=headers, body=body, context=payment_context(settings)
        )


@router.post("/rooms/{room_id}/buy-now/pay", status_code=status.HTTP_201_CREATED)
def buy_now_and_pay(
    room_id: RowId,
    body: BuyNowIn,
    idempotency_key: IdempotencyKey,
    user: CurrentUser,
    session: DbSession,
    settings: SettingsDep,
) -> OneClickOut:
    """One click on the pinned card: the order, paid with the default card."""
    order, payment = one_click.buy_and_pay(
        session,
        buyer=user,
        room_id=room_id,
        body=body,
        idempotency_key=idempotency_key,
        payment_minutes=settings.order_payment_minutes,
        context=payment_context(settings),
    )
    return OneClickOut(order=order_out(session, order), payment=payment_out(payment))


@router.get("/payouts/mine")
def my_payouts(user: CurrentUser, session: DbSession) -> list[PayoutLineOut]:
    """A merchant's shop and a host's own earnings: pending and payable."""
    lines = settlement.payouts_report(session, owner_type=OwnerType.USER, owner_id=user.id)
    shop = shop_of(session, user=user)
    if shop is not None:
        lines += settlement.payouts_report(session, owner_type=OwnerType.SHOP, owner_id=shop.id)
    return [PayoutLineOut.model_validate(line, from_attributes=True) for line in lines]


@router.get("/payouts")
def all_payouts(user: CurrentUser, session: DbSession) -> list[PayoutLineOut]:
    """Every shop and host (admins)."""
    access.require_payouts_reader(user)
    lines = settlement.payouts_report(session)
    return [PayoutLineOut.model_validate(line, from_attributes=True) for line in lines]

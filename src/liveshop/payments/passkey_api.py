"""Paying with a passkey over HTTP: the step-up confirmed by an assertion, and the
buyer's daily limit for paying from a trusted device without one."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Response

from liveshop.accounts.dependencies import CurrentUser
from liveshop.accounts.passkeys_api import RelyingPartyDep
from liveshop.core.dependencies import DbSession, RowId, SettingsDep
from liveshop.payments import passkey_pay, seamless
from liveshop.payments.api import challenge_response
from liveshop.payments.context import payment_context
from liveshop.payments.schemas import (
    PasskeyAssertionIn,
    PaymentOut,
    SeamlessLimitIn,
    SeamlessLimitOut,
)

router = APIRouter(prefix="/api", tags=["payments"])


@router.post("/payments/{payment_id}/passkey-options")
def passkey_options(
    payment_id: RowId,
    user: CurrentUser,
    session: DbSession,
    settings: SettingsDep,
    rp: RelyingPartyDep,
) -> dict[str, Any]:
    """Options for ``navigator.credentials.get``: a challenge bound to this payment."""
    return passkey_pay.passkey_options(
        session,
        buyer=user,
        payment_id=payment_id,
        rp=rp,
        secret_key=settings.resolved_secret_key(),
    )


@router.post("/payments/{payment_id}/passkey", response_model=PaymentOut)
def confirm_with_passkey(
    payment_id: RowId,
    body: PasskeyAssertionIn,
    user: CurrentUser,
    session: DbSession,
    settings: SettingsDep,
    rp: RelyingPartyDep,
) -> Response:
    """The step-up passed with a passkey instead of the code (answers as the code's route)."""
    answer = passkey_pay.confirm_with_passkey(
        session,
        buyer=user,
        payment_id=payment_id,
        credential=body.credential,
        rp=rp,
        context=payment_context(settings),
    )
    return challenge_response(answer)


def _limit_out(allowance: seamless.Allowance) -> SeamlessLimitOut:
    return SeamlessLimitOut(
        daily_limit=allowance.daily_limit,
        platform_max=allowance.platform_max,
        spent_today=allowance.spent_today,
        remaining=allowance.remaining,
    )


@router.get("/me/seamless-limit")
def seamless_limit(
    user: CurrentUser, session: DbSession, settings: SettingsDep
) -> SeamlessLimitOut:
    allowance = seamless.allowance(
        session, user_id=user.id, platform_max=settings.seamless_pay_max_daily
    )
    return _limit_out(allowance)


@router.put("/me/seamless-limit")
def set_seamless_limit(
    body: SeamlessLimitIn, user: CurrentUser, session: DbSession, settings: SettingsDep
) -> SeamlessLimitOut:
    allowance = seamless.set_daily_limit(
        session,
        user=user,
        daily_limit=body.daily_limit,
        platform_max=settings.seamless_pay_max_daily,
    )
    return _limit_out(allowance)

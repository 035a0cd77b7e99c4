"""Enrolling and removing the TOTP second factor."""

from __future__ import annotations

from fastapi import APIRouter, Response, status
from fastapi.responses import JSONResponse

from liveshop.accounts import totp
from liveshop.accounts.dependencies import CurrentUser
from liveshop.accounts.schemas import (
    RecoveryCodesOut,
    TotpCodeIn,
    TotpEnrolmentOut,
    TotpStatusOut,
)
from liveshop.core.dependencies import DbSession, SettingsDep

router = APIRouter(prefix="/api/me/totp", tags=["accounts"])


def wrong_code(result: totp.CheckResult) -> JSONResponse:
    """Returned, not raised, so that the failed attempt is committed and counts."""
    if result is totp.CheckResult.LOCKED:
        message = "too many wrong codes: the second factor is locked for a while"
        return JSONResponse({"detail": message, "code": "second_factor_locked"}, 423)
    return JSONResponse({"detail": "wrong code", "code": "wrong_code"}, 422)


@router.get("")
def totp_status(user: CurrentUser, session: DbSession) -> TotpStatusOut:
    enrolled = totp.confirmed_factor(session, user_id=user.id) is not None
    left = totp.unused_recovery_codes(session, user_id=user.id) if enrolled else 0
    return TotpStatusOut(enrolled=enrolled, recovery_codes_left=left)


@router.post("", status_code=status.HTTP_201_CREATED)
def start_enrolment(
    user: CurrentUser, session: DbSession, settings: SettingsDep
) -> TotpEnrolmentOut:
    """Start enrolling: scan the QR code, then confirm with a first code."""
    enrolment = totp.start_enrolment(session, user=user, secret_key=settings.resolved_secret_key())
    return TotpEnrolmentOut(
        secret=enrolment.secret, otpauth_uri=enrolment.otpauth_uri, qr_svg=enrolment.qr_svg
    )


@router.post("/confirm", response_model=RecoveryCodesOut)
def confirm_enrolment(
    body: TotpCodeIn, user: CurrentUser, session: DbSession, settings: SettingsDep
) -> Response:
    codes = totp.confirm_enrolment(
        session, user=user, code=body.code, secret_key=settings.resolved_secret_key()
    )
    if codes is None:
        return wrong_code(totp.CheckResult.WRONG)
    return JSONResponse(RecoveryCodesOut(recovery_codes=codes).model_dump())


@router.post("/remove", status_code=status.HTTP_204_NO_CONTENT)
def remove_factor(
    body: TotpCodeIn, user: CurrentUser, session: DbSession, settings: SettingsDep
) -> Response:
    """Removing the factor takes a current code (or a recovery code)."""
    result = totp.check_second_factor(
        session, user_id=user.id, code=body.code, secret_key=settings.resolved_secret_key()
    )
    if result is not totp.CheckResult.ACCEPTED:
        return wrong_code(result)
    totp.remove_factor(session, user=user)
    return Response(status_code=status.HTTP_204_NO_CONTENT)

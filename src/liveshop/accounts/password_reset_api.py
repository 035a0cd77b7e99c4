"""A forgotten password over HTTP: ask for a link by email, set a new password with it,
and the account's email that links go to."""

from __future__ import annotations

from fastapi import APIRouter, BackgroundTasks, status
from pydantic import BaseModel, Field

from liveshop.accounts import password_reset
from liveshop.accounts.dependencies import ClientAddress, CurrentUser
from liveshop.accounts.models import User
from liveshop.accounts.passwords import MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH
from liveshop.core.dependencies import DbSession, SettingsDep

router = APIRouter(prefix="/api/auth", tags=["accounts"])

EMAIL_PATTERN = r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]+$"


class ResetAskIn(BaseModel):
    email: str = Field(max_length=254, pattern=EMAIL_PATTERN)


class ResetAskOut(BaseModel):
    status: str = Field(description="always 'sent_if_registered': the same for every address")


class ResetConfirmIn(BaseModel):
    token: str = Field(min_length=20, max_length=100)
    password: str = Field(min_length=MIN_PASSWORD_LENGTH, max_length=MAX_PASSWORD_LENGTH)


class AccountEmailIn(BaseModel):
    email: str | None = Field(default=None, max_length=254, pattern=EMAIL_PATTERN)


class AccountEmailOut(BaseModel):
    email: str | None


@router.post("/password-reset", status_code=status.HTTP_202_ACCEPTED)
def ask_for_reset(
    body: ResetAskIn,
    session: DbSession,
    settings: SettingsDep,
    address: ClientAddress,
    background: BackgroundTasks,
) -> ResetAskOut:
    password_reset.ask_limiter.check(address)
    mail = password_reset.request_reset(session, email=body.email, site_url=settings.site_url)
    if mail is not None:  # sent after the response: the answer takes as long either way
        relay = password_reset.Relay(settings.smtp_host, settings.smtp_port, settings.mail_from)
        background.add_task(password_reset.send_reset_mail, mail, relay=relay)
    return ResetAskOut(status="sent_if_registered")


@router.post("/password-reset/confirm", status_code=status.HTTP_204_NO_CONTENT)
def confirm_reset(body: ResetConfirmIn, session: DbSession) -> None:
    password_reset.reset_password(session, token=body.token, password=body.password)


@router.get("/me/email")
def my_email(user: CurrentUser) -> AccountEmailOut:
    return AccountEmailOut(email=user.email)


@router.put("/me/email")
def set_my_email(body: AccountEmailIn, user: CurrentUser, session: DbSession) -> AccountEmailOut:
    own = session.get_one(User, user.id)  # the cached user is detached
    changed = password_reset.set_account_email(session, user=own, email=body.email)
    return AccountEmailOut(email=changed.email)

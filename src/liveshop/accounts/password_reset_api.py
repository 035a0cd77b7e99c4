"""A forgotten password over HTTP: ask for a link by email, set a new password with it,
and the account's email that links go to (confirmed with a mailed code before it is a
sign-in factor)."""

from __future__ import annotations

from fastapi import APIRouter, BackgroundTasks, status
from pydantic import BaseModel, Field

from liveshop.accounts import account_email, password_reset
from liveshop.accounts.dependencies import ClientAddress, CurrentUser
from liveshop.accounts.models import User
from liveshop.accounts.passwords import MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH
from liveshop.core.dependencies import DbSession, SettingsDep
from liveshop.core.languages import ReaderWords
from liveshop.core.settings import Settings

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
    confirmed: bool = Field(description="the code mailed to it was typed back")


class EmailCodeIn(BaseModel):
    code: str = Field(min_length=6, max_length=6, pattern=r"^\d{6}$")


class ConfirmationSentOut(BaseModel):
    sent_to: str
    resend_after_seconds: int


def _relay(settings: Settings) -> password_reset.Relay:
    return password_reset.Relay(settings.smtp_host, settings.smtp_port, settings.mail_from)


def _email_out(user: User) -> AccountEmailOut:
    return AccountEmailOut(email=user.email, confirmed=account_email.is_confirmed(user))


@router.post("/password-reset", status_code=status.HTTP_202_ACCEPTED)
def ask_for_reset(
    body: ResetAskIn,
    session: DbSession,
    settings: SettingsDep,
    address: ClientAddress,
    background: BackgroundTasks,
    words: ReaderWords,
) -> ResetAskOut:
    password_reset.ask_limiter.check(address)
    mail = password_reset.request_reset(session, email=body.email, site_url=settings.site_url)
    if mail is not None:  # sent after the response: the answer takes as long either way
        background.add_task(
            password_reset.send_reset_mail, mail, relay=_relay(settings), words=words
        )
    return ResetAskOut(status="sent_if_registered")


@router.post("/password-reset/confirm", status_code=status.HTTP_204_NO_CONTENT)
def confirm_reset(body: ResetConfirmIn, session: DbSession) -> None:
    password_reset.reset_password(session, token=body.token, password=body.password)


@router.get("/me/email")
def my_email(user: CurrentUser, session: DbSession) -> AccountEmailOut:
    return _email_out(session.get_one(User, user.id))  # the cached user may be stale


@router.put("/me/email")
def set_my_email(
    body: AccountEmailIn,
    user: CurrentUser,
    session: DbSession,
    settings: SettingsDep,
    background: BackgroundTasks,
    words: ReaderWords,
) -> AccountEmailOut:
    """Set (or remove) the email; a new address is mailed a code to confirm it."""
    own = session.get_one(User, user.id)  # the cached user is detached
    mail = account_email.set_account_email(
        session, user=own, email=body.email, secret_key=settings.resolved_secret_key()
    )
    if mail is not None:  # sent after the commit
        background.add_task(
            account_email.send_confirmation, mail, relay=_relay(settings), words=words
        )
    return _email_out(own)


@router.post("/me/email/code", status_code=status.HTTP_202_ACCEPTED)
def send_my_email_code(
    user: CurrentUser,
    session: DbSession,
    settings: SettingsDep,
    background: BackgroundTasks,
    words: ReaderWords,
) -> ConfirmationSentOut:
    """Mail a new code to the unconfirmed email (one a minute, five an hour: 429)."""
    own = session.get_one(User, user.id)
    mail = account_email.resend_code(session, user=own, secret_key=settings.resolved_secret_key())
    background.add_task(account_email.send_confirmation, mail, relay=_relay(settings), words=words)
    return ConfirmationSentOut(
        sent_to=mail.recipient, resend_after_seconds=account_email.RESEND_SECONDS
    )


# No request transaction: a wrong code is committed before it is refused, so it counts.
@router.post("/me/email/confirm")
def confirm_my_email(
    body: EmailCodeIn, user: CurrentUser, settings: SettingsDep
) -> AccountEmailOut:
    """Type back the code mailed to the account's email: from now on it is a sign-in
    factor. 422 wrong_email_code (five wrong codes use it up: email_code_locked)."""
    confirmed = account_email.confirm_account_email(
        settings.resolved_database_url(),
        user_id=user.id,
        code=body.code,
        secret_key=settings.resolved_secret_key(),
    )
    return _email_out(confirmed)

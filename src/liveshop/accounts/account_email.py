"""The account's email: where reset links go and, once confirmed, a sign-in factor.

Setting or changing the address mails a six-digit code to it; the signed-in person
types it back (``confirm_email``), which proves they read mail there. Only then is
the email offered as a sign-in step-up factor (``login_challenges``): an address
mistyped, or one the person does not own, never receives sign-in codes. A code is
kept as a keyed hash bound to the account and the address, lives ``CODE_MINUTES``,
is used once, and ``MAX_FAILURES`` wrong codes use it up; a new code replaces the
last. At most ``CODES_PER_HOUR`` codes an hour an account (one a
``RESEND_SECONDS``), so nobody can mail a stranger's inbox at will.
Services flush; the caller commits (``confirm_account_email`` commits a wrong code
itself, so that it counts).
"""

from __future__ import annotations

import enum
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from liveshop.accounts.mail import Relay, deliver
from liveshop.accounts.models import EmailConfirmation, User
from liveshop.core.clock import as_utc, utcnow
from liveshop.core.db import unit_of_work
from liveshop.core.errors import Conflict, InvalidInput, RateLimited
from liveshop.core.languages import Words

CODE_MINUTES = 30
MAX_FAILURES = 5
CODES_PER_HOUR = 5
RESEND_SECONDS = 60  # a mail takes a while: a second tap should not send another


class Confirmed(enum.StrEnum):
    ACCEPTED = "accepted"
    WRONG = "wrong"
    LOCKED = "locked"  # the code was used up by wrong answers: ask for a new one


class WrongEmailCode(InvalidInput):
    code = "wrong_email_code"


@dataclass(frozen=True)
class ConfirmationMail:
    recipient: str
    code: str


def normalise_email(email: str) -> str:
    return email.strip().lower()


def is_confirmed(user: User) -> bool:
    return user.email is not None and user.email_confirmed_at is not None


def set_account_email(
    session: Session, *, user: User, email: str | None, secret_key: str, now: datetime | None = None
) -> ConfirmationMail | None:
    """Set the account's email (None: remove it; one account per address). A new or
    still unconfirmed address gets a code to confirm it (send it after the commit);
    the same confirmed address stays confirmed and gets nothing."""
    address = normalise_email(email) if email else None
    if address is not None and address == user.email and user.email_confirmed_at is not None:
        return None
    moment = now or utcnow()
    if address is not None:  # a corrected address need not wait the minute; a repeat does
        _check_sending_allowed(
            session, user_id=user.id, now=moment, is_resend=address == user.email
        )
    if address != user.email:
        user.email = address
        user.email_confirmed_at = None
    try:
        with session.begin_nested():
            session.flush()
    except IntegrityError as error:
        raise Conflict("this email belongs to another account", code="email_taken") from error
    _retire_codes(session, user_id=user.id, now=moment)
    if address is None:
        return None
    return _new_code(session, user=user, address=address, secret_key=secret_key, now=moment)


def resend_code(
    session: Session, *, user: User, secret_key: str, now: datetime | None = None
) -> ConfirmationMail:
    """A new code for the account's unconfirmed email (the last one stops working)."""
    if user.email is None:
        raise Conflict("this account has no email to confirm", code="no_email")
    if user.email_confirmed_at is not None:
        raise Conflict("this email is confirmed already", code="email_confirmed")
    moment = now or utcnow()
    _check_sending_allowed(session, user_id=user.id, now=moment, is_resend=True)
    _retire_codes(session, user_id=user.id, now=moment)
    return _new_code(session, user=user, address=user.email, secret_key=secret_key, now=moment)


def _code_hash(secret_key: str, user_id: int, address: str, code: str) -> str:
    message = f"email-confirmation:{user_id}:{address}:{code.strip()}".encode()
    return hmac.new(secret_key.encode(), message, hashlib.sha256).hexdigest()


def _check_sending_allowed(
    session: Session, *, user_id: int, now: datetime, is_resend: bool
) -> None:
    sent, last = session.execute(
        select(func.count(), func.max(EmailConfirmation.created_at)).where(
            EmailConfirmation.user_id == user_id,
            EmailConfirmation.created_at > now - timedelta(hours=1),
        )
    ).one()
    if is_resend and last is not None and (now - as_utc(last)).total_seconds() < RESEND_SECONDS:
        wait = RESEND_SECONDS - (now - as_utc(last)).total_seconds()
        raise RateLimited(
            "a code was sent a moment ago", code="email_code_sent", retry_after_seconds=wait
        )
    if sent >= CODES_PER_HOUR:
        raise RateLimited(
            "too many confirmation codes sent: try again later",
            code="too_many_email_codes",
            retry_after_seconds=3600,
        )


def _retire_codes(session: Session, *, user_id: int, now: datetime) -> None:
    """Earlier codes stop working: only the newest confirms, and only its address."""
    session.execute(
        update(EmailConfirmation)
        .where(EmailConfirmation.user_id == user_id, EmailConfirmation.used_at.is_(None))
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    )


def _new_code(
    session: Session, *, user: User, address: str, secret_key: str, now: datetime
) -> ConfirmationMail:
    code = f"{secrets.randbelow(1_000_000):06d}"
    session.add(
        EmailConfirmation(
            user_id=user.id,
            email=address,
            code_hash=_code_hash(secret_key, user.id, address, code),
            created_at=now,
            expires_at=now + timedelta(minutes=CODE_MINUTES),
            failures=0,
        )
    )
    session.flush()
    return ConfirmationMail(recipient=address, code=code)


def confirm_email(
    session: Session, *, user: User, code: str, secret_key: str, now: datetime | None = None
) -> Confirmed:
    """Check ``code`` against the newest live code for the account's current email.
    Accepted, the email is confirmed and the code used up; wrong, it counts (commit
    even then), and the last allowed wrong answer uses it up (LOCKED)."""
    moment = now or utcnow()
    pending = session.scalars(
        select(EmailConfirmation)
        .where(
            EmailConfirmation.user_id == user.id,
            EmailConfirmation.used_at.is_(None),
            EmailConfirmation.expires_at > moment,
        )
        .order_by(EmailConfirmation.id.desc())
        .limit(1)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).first()
    if pending is None or user.email is None or pending.email != user.email:
        raise InvalidInput(
            "no code is waiting for this email: ask for a new one", code="email_code_invalid"
        )
    expected = _code_hash(secret_key, user.id, pending.email, code)
    if hmac.compare_digest(expected, pending.code_hash):
        pending.used_at = moment
        user.email_confirmed_at = moment
        session.flush()
        return Confirmed.ACCEPTED
    pending.failures += 1
    if pending.failures >= MAX_FAILURES:
        pending.used_at = moment
        session.flush()
        return Confirmed.LOCKED
    session.flush()
    return Confirmed.WRONG


def confirm_account_email(database_url: str, *, user_id: int, code: str, secret_key: str) -> User:
    """``confirm_email`` in its own unit of work, committed before a wrong code is
    refused (WrongEmailCode), so that wrong codes count towards the code's limit."""
    with unit_of_work(database_url) as session:
        user = session.get_one(User, user_id)
        result = confirm_email(session, user=user, code=code, secret_key=secret_key)
        session.flush()
        session.expunge(user)
    if result is Confirmed.LOCKED:
        raise WrongEmailCode(
            "too many wrong codes: this code no longer works, ask for a new one",
            code="email_code_locked",
        )
    if result is Confirmed.WRONG:
        raise WrongEmailCode("wrong code")
    return user


def confirmation_message(mail: ConfirmationMail, words: Words) -> EmailMessage:
    """In ``words``: the language of the account page the address was set on."""
    message = EmailMessage()
    message["To"] = mail.recipient
    message["Subject"] = words.gettext("LiveShop 邮箱验证码 %(code)s") % {"code": mail.code}
    text = words.gettext(
        "你的 LiveShop 邮箱验证码是：%(code)s\n\n"
        "在账户安全页面输入它，确认这个邮箱属于你。%(minutes)s 分钟内有效，只能使用一次。\n"
        "确认后，登录需要二次验证时可以把验证码发到这个邮箱。\n"
        "如果不是你绑定的邮箱，忽略这封邮件即可。\n"
    )
    message.set_content(text % {"code": mail.code, "minutes": CODE_MINUTES})
    return message


def send_confirmation(mail: ConfirmationMail, *, relay: Relay, words: Words) -> bool:
    return deliver(confirmation_message(mail, words), relay=relay, what="email confirmation")

"""A sign-in the risk checks stepped up, answered with any second factor the account
has: a code from the authenticator app (or a recovery code), a passkey, or a
six-digit code sent to the account's email, once that email is confirmed
(``account_email``: a code mailed to it was typed back).

Only a right password opens a challenge; the client gets its token (only the
SHA-256 is kept) and the factors it may use, and answers once within
``CHALLENGE_MINUTES``. A passkey's WebAuthn challenge is bound to this sign-in
(``webauthn_challenges``: single use, two minutes), so an assertion made for
another sign-in or a payment does not pass. An emailed code is kept as a keyed
hash, lives ``EMAIL_CODE_MINUTES``, is used once, and is sent at most
``EMAIL_CODES_PER_CHALLENGE`` times a challenge (one a ``RESEND_SECONDS``) and
``EMAIL_CODES_PER_HOUR`` times an hour an account. ``MAX_FAILURES`` wrong answers,
whatever the factor, use the challenge up: the person signs in again.
Services flush; the caller commits, also after a wrong answer, so that it counts.
"""

from __future__ import annotations

import enum
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from liveshop.accounts import passkeys, totp
from liveshop.accounts.mail import Relay, deliver
from liveshop.accounts.models import LoginChallenge, Passkey, User
from liveshop.accounts.webauthn_challenges import RelyingParty
from liveshop.core.clock import as_utc, utcnow
from liveshop.core.errors import InvalidInput, NotAuthenticated, RateLimited
from liveshop.core.languages import Words
from liveshop.core.security import hash_token, new_token

CHALLENGE_MINUTES = 10
EMAIL_CODE_MINUTES = 10
MAX_FAILURES = 5
EMAIL_CODES_PER_CHALLENGE = 3
RESEND_SECONDS = 60  # a mail takes a while: a second tap should not send another
EMAIL_CODES_PER_HOUR = 6  # per account, however many sign-ins it starts


class Factor(enum.StrEnum):
    TOTP = "totp"
    PASSKEY = "passkey"
    EMAIL = "email"


class Answer(enum.StrEnum):
    ACCEPTED = "accepted"
    WRONG = "wrong"
    LOCKED = "locked"  # the factor, or the challenge after too many wrong answers


class LoginChallengeInvalid(NotAuthenticated):
    code = "login_challenge_invalid"


@dataclass(frozen=True)
class StepUp:
    """What a right password that must step up learns: the challenge's token, the
    factors the account has, and where an emailed code would go (masked)."""

    token: str
    factors: tuple[Factor, ...]
    email_hint: str | None


@dataclass(frozen=True)
class LoginCodeMail:
    recipient: str
    code: str


@dataclass(frozen=True)
class ChallengeAnswer:
    factor: Factor
    code: str = ""  # TOTP or recovery code, or the emailed code
    credential: dict[str, Any] | None = None  # a passkey's assertion


def mask_email(email: str) -> str:
    name, _, domain = email.partition("@")
    return f"{name[:1]}***@{domain}"


def available_factors(session: Session, *, user: User) -> tuple[Factor, ...]:
    factors: list[Factor] = []
    if totp.confirmed_factor(session, user_id=user.id) is not None:
        factors.append(Factor.TOTP)
    has_passkey = session.scalar(select(Passkey.id).where(Passkey.user_id == user.id).limit(1))
    if has_passkey is not None:
        factors.append(Factor.PASSKEY)
    if user.email and user.email_confirmed_at is not None:  # a code typed back from it
        factors.append(Factor.EMAIL)
    return tuple(factors)


def open_challenge(
    session: Session, *, user: User, factors: tuple[Factor, ...], now: datetime | None = None
) -> StepUp:
    """A new challenge for a sign-in whose password was right (call only then)."""
    moment = now or utcnow()
    token = new_token()
    session.add(
        LoginChallenge(
            user_id=user.id,
            token_hash=hash_token(token),
            created_at=moment,
            expires_at=moment + timedelta(minutes=CHALLENGE_MINUTES),
            failures=0,
            email_codes_sent=0,
        )
    )
    session.flush()
    hint = mask_email(user.email) if user.email and Factor.EMAIL in factors else None
    return StepUp(token=token, factors=factors, email_hint=hint)


def live_challenge(session: Session, *, token: str, now: datetime) -> LoginChallenge:
    """The unused, unexpired challenge of ``token``, its row locked (read afresh) so
    that one challenge's answers are checked one at a time."""
    found = session.scalars(
        select(LoginChallenge)
        .where(LoginChallenge.token_hash == hash_token(token))
        .with_for_update()
        .execution_options(populate_existing=True)
    ).first()
    if found is None or found.used_at is not None or as_utc(found.expires_at) <= now:
        raise LoginChallengeInvalid(
            "this sign-in expired or was used already: enter your password again"
        )
    return found


def step_up_of(session: Session, *, token: str) -> StepUp:
    """What the sign-in page shows again after a wrong answer: the same challenge."""
    challenge = live_challenge(session, token=token, now=utcnow())
    user = session.get_one(User, challenge.user_id)
    factors = available_factors(session, user=user)
    hint = mask_email(user.email) if user.email and Factor.EMAIL in factors else None
    return StepUp(token=token, factors=factors, email_hint=hint)


def _code_hash(secret_key: str, challenge_id: int, code: str) -> str:
    message = f"login-email-code:{challenge_id}:{code.strip()}".encode()
    return hmac.new(secret_key.encode(), message, hashlib.sha256).hexdigest()


def _codes_last_hour(session: Session, *, user_id: int, now: datetime) -> int:
    sent = session.scalar(
        select(func.coalesce(func.sum(LoginChallenge.email_codes_sent), 0)).where(
            LoginChallenge.user_id == user_id,
            LoginChallenge.email_sent_at > now - timedelta(hours=1),
        )
    )
    return int(sent or 0)


def _require_factor(session: Session, challenge: LoginChallenge, factor: Factor) -> User:
    user = session.get_one(User, challenge.user_id)
    if factor not in available_factors(session, user=user):
        raise InvalidInput(f"this account has no {factor.value} factor", code="factor_unavailable")
    return user


def email_code(
    session: Session, *, token: str, secret_key: str, now: datetime | None = None
) -> LoginCodeMail:
    """A new six-digit code for the challenge (the earlier one no longer works), to
    send after the commit; RateLimited when sent too often."""
    moment = now or utcnow()
    challenge = live_challenge(session, token=token, now=moment)
    user = _require_factor(session, challenge, Factor.EMAIL)
    assert user.email is not None  # the factor exists
    last = challenge.email_sent_at
    if last is not None and (moment - as_utc(last)).total_seconds() < RESEND_SECONDS:
        wait = RESEND_SECONDS - (moment - as_utc(last)).total_seconds()
        raise RateLimited(
            "a code was sent a moment ago", code="email_code_sent", retry_after_seconds=wait
        )
    if (
        challenge.email_codes_sent >= EMAIL_CODES_PER_CHALLENGE
        or _codes_last_hour(session, user_id=user.id, now=moment) >= EMAIL_CODES_PER_HOUR
    ):
        raise RateLimited(
            "too many codes sent: use another way, or try again later",
            code="too_many_email_codes",
            retry_after_seconds=3600,
        )
    code = f"{secrets.randbelow(1_000_000):06d}"
    challenge.email_code_hash = _code_hash(secret_key, challenge.id, code)
    challenge.email_code_expires_at = moment + timedelta(minutes=EMAIL_CODE_MINUTES)
    challenge.email_codes_sent += 1
    challenge.email_sent_at = moment
    session.flush()
    return LoginCodeMail(recipient=user.email, code=code)


def login_code_message(mail: LoginCodeMail, words: Words) -> EmailMessage:
    """In ``words``: the language of the sign-in page that asked for it."""
    message = EmailMessage()
    message["To"] = mail.recipient
    message["Subject"] = words.gettext("LiveShop 登录验证码 %(code)s") % {"code": mail.code}
    text = words.gettext(
        "你的 LiveShop 登录验证码是：%(code)s\n\n"
        "%(minutes)s 分钟内有效，只能使用一次。请勿告诉任何人，客服不会向你索要验证码。\n"
        "如果不是你在登录，说明有人知道你的密码：请尽快重设密码。\n"
    )
    message.set_content(text % {"code": mail.code, "minutes": EMAIL_CODE_MINUTES})
    return message


def send_login_code(mail: LoginCodeMail, *, relay: Relay, words: Words) -> bool:
    return deliver(login_code_message(mail, words), relay=relay, what="sign-in code")


def _passkey_scope(challenge: LoginChallenge) -> tuple[str, str]:
    """The WebAuthn subject and binding of this sign-in: one challenge per sign-in,
    which no other sign-in (nor a payment) can answer."""
    return f"login:{challenge.id}", f"login:{challenge.id}:{challenge.user_id}"


def passkey_options(
    session: Session, *, token: str, rp: RelyingParty, secret_key: str
) -> dict[str, Any]:
    challenge = live_challenge(session, token=token, now=utcnow())
    _require_factor(session, challenge, Factor.PASSKEY)
    subject, binding = _passkey_scope(challenge)
    return passkeys.assertion_options(
        session,
        user_id=challenge.user_id,
        subject=subject,
        binding=binding,
        rp=rp,
        secret_key=secret_key,
    )


def check_answer(
    session: Session,
    *,
    token: str,
    answer: ChallengeAnswer,
    secret_key: str,
    rp: RelyingParty,
    now: datetime | None = None,
) -> tuple[User, Answer]:
    """The challenge's user and whether ``answer`` passes. Accepted, the challenge is
    used up; wrong, it counts (commit even then), and the last allowed wrong answer
    uses it up (LOCKED)."""
    moment = now or utcnow()
    challenge = live_challenge(session, token=token, now=moment)
    user = _require_factor(session, challenge, answer.factor)
    result = _check(session, challenge, answer, secret_key=secret_key, rp=rp, now=moment)
    if result is Answer.ACCEPTED:
        challenge.used_at = moment
    else:
        challenge.failures += 1
        if challenge.failures >= MAX_FAILURES:
            challenge.used_at = moment
            result = Answer.LOCKED
    session.flush()
    return user, result


def _check(
    session: Session,
    challenge: LoginChallenge,
    answer: ChallengeAnswer,
    *,
    secret_key: str,
    rp: RelyingParty,
    now: datetime,
) -> Answer:
    if answer.factor is Factor.TOTP:
        checked = totp.check_second_factor(
            session, user_id=challenge.user_id, code=answer.code, secret_key=secret_key, now=now
        )
        return Answer(checked.value)
    if answer.factor is Factor.PASSKEY:
        subject, binding = _passkey_scope(challenge)
        signed = passkeys.verify_assertion(
            session,
            user_id=challenge.user_id,
            credential=answer.credential or {},
            subject=subject,
            binding=binding,
            rp=rp,
            secret_key=secret_key,
        )
        return Answer.ACCEPTED if signed is not None else Answer.WRONG
    expires = challenge.email_code_expires_at
    if challenge.email_code_hash is None or expires is None or as_utc(expires) <= now:
        return Answer.WRONG
    expected = _code_hash(secret_key, challenge.id, answer.code)
    if not hmac.compare_digest(expected, challenge.email_code_hash):
        return Answer.WRONG
    challenge.email_code_hash = None  # once
    return Answer.ACCEPTED

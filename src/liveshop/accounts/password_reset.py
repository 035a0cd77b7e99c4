"""A forgotten password, reset through a link sent by email.

Asking answers the same whether or not an account has that address (nobody learns
who is registered); a link is single-use, expires after ``LINK_MINUTES`` and only
its SHA-256 is stored. Setting the new password (argon2, the same rules as sign-up)
uses the link up and revokes every session of the account. Too many asks from one
address are refused for everyone alike; an account gets at most
``LINKS_PER_HOUR`` links an hour (further asks send nothing, and say so to nobody).
"""

from __future__ import annotations

import time
from collections import deque
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage
from urllib.parse import urlencode

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from liveshop.accounts.account_email import normalise_email
from liveshop.accounts.mail import Relay as Relay  # re-exported: the route builds one
from liveshop.accounts.mail import deliver
from liveshop.accounts.models import ApiToken, PasswordReset, User
from liveshop.accounts.passwords import check_new_password
from liveshop.accounts.service import token_cache
from liveshop.core.clock import as_utc, utcnow
from liveshop.core.db import rows_changed
from liveshop.core.errors import InvalidInput, RateLimited
from liveshop.core.languages import Words
from liveshop.core.security import hash_password, hash_token, new_token

LINK_MINUTES = 30
LINKS_PER_HOUR = 3
ASKS_PER_ADDRESS = 5  # per ASK_WINDOW_SECONDS, from one client address
ASK_WINDOW_SECONDS = 600.0


@dataclass(frozen=True)
class ResetMail:
    """What to send: the recipient and the link (the token appears only here)."""

    recipient: str
    link: str


class AskLimiter:
    """Asks per client address in a sliding window (in this process)."""

    def __init__(self, limit: int = ASKS_PER_ADDRESS, window: float = ASK_WINDOW_SECONDS) -> None:
        self.limit, self.window = limit, window
        self._asks: dict[str, deque[float]] = {}

    def check(self, address: str) -> None:
        now = time.monotonic()
        asks = self._asks.setdefault(address, deque())
        while asks and asks[0] < now - self.window:
            asks.popleft()
        if len(asks) >= self.limit:
            raise RateLimited(
                "too many password reset requests; try again later",
                code="too_many_reset_requests",
                retry_after_seconds=self.window,
            )
        asks.append(now)


ask_limiter = AskLimiter()


def _links_last_hour(session: Session, *, user_id: int, now: datetime) -> int:
    return int(
        session.scalar(
            select(func.count()).where(
                PasswordReset.user_id == user_id,
                PasswordReset.created_at > now - timedelta(hours=1),
            )
        )
        or 0
    )


def request_reset(
    session: Session, *, email: str, site_url: str, now: datetime | None = None
) -> ResetMail | None:
    """A reset link for the account with this email, or None (no such account, or it
    had its links for the hour): the caller answers the same either way."""
    moment = now or utcnow()
    user = session.scalars(select(User).where(User.email == normalise_email(email))).first()
    if user is None or user.email is None:
        return None
    if _links_last_hour(session, user_id=user.id, now=moment) >= LINKS_PER_HOUR:
        return None
    token = new_token()
    session.add(
        PasswordReset(
            user_id=user.id,
            token_hash=hash_token(token),
            created_at=moment,
            expires_at=moment + timedelta(minutes=LINK_MINUTES),
        )
    )
    session.flush()
    link = f"{site_url.rstrip('/')}/reset-password?{urlencode({'token': token})}"
    return ResetMail(recipient=user.email, link=link)


def reset_message(mail: ResetMail, words: Words) -> EmailMessage:
    """In ``words``: the language of the page the link was asked for on."""
    message = EmailMessage()
    message["To"] = mail.recipient
    message["Subject"] = words.gettext("重设 LiveShop 密码")
    text = words.gettext(
        "你（或别人）申请重设 LiveShop 账户的密码。打开下面的链接设置新密码，"
        "链接 %(minutes)s 分钟内有效，只能使用一次：\n\n%(link)s\n\n"
        "如果不是你申请的，忽略这封邮件即可，密码不会改变。\n"
    )
    message.set_content(text % {"minutes": LINK_MINUTES, "link": mail.link})
    return message


def send_reset_mail(mail: ResetMail, *, relay: Relay, words: Words) -> bool:
    """Over SMTP (after the link is committed); a relay that fails is logged (the
    person asks again), never shown: the answer was the same for every address."""
    return deliver(reset_message(mail, words), relay=relay, what="password reset")


def reset_password(
    session: Session, *, token: str, password: str, now: datetime | None = None
) -> User:
    """Use the link up, set the new password and revoke every session of the account."""
    moment = now or utcnow()
    check_new_password(password)
    reset = session.scalars(
        select(PasswordReset).where(PasswordReset.token_hash == hash_token(token))
    ).first()
    if reset is None or reset.used_at is not None or as_utc(reset.expires_at) <= moment:
        raise InvalidInput("this reset link is invalid, used or expired", code="reset_link_invalid")
    used = session.execute(
        update(PasswordReset)
        .where(PasswordReset.id == reset.id, PasswordReset.used_at.is_(None))
        .values(used_at=moment)
    )
    if rows_changed(used) != 1:  # used concurrently
        raise InvalidInput("this reset link is already used", code="reset_link_invalid")
    user = session.get_one(User, reset.user_id)
    user.password_hash = hash_password(password)
    session.execute(
        update(ApiToken)
        .where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
        .values(revoked_at=moment)
    )
    token_cache.forget_user(user.id)
    session.flush()
    return user

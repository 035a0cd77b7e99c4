"""What accounts hold about a person, for privacy's export, erasure and retention.

``accounts`` sits below ``privacy`` and does not know its types: these take the
session and the user's id, and ``liveshop.wiring`` hands them to privacy.
"""

from __future__ import annotations

import secrets
from datetime import datetime
from typing import Any

from sqlalchemy import delete, or_, select, update
from sqlalchemy.orm import Session

from liveshop.accounts.models import (
    ApiToken,
    EmailConfirmation,
    LoginChallenge,
    Passkey,
    PasswordReset,
    RecoveryCode,
    TotpFactor,
    User,
    WebAuthnChallenge,
)
from liveshop.core.clock import utcnow
from liveshop.core.db import rows_changed
from liveshop.core.security import hash_password
from liveshop.core.settings import Settings

ERASED_NAME_PREFIX = "erased-"
# An erased account's password: the argon2 hash of a random password known to no one,
# made once per process (as core.security's timing equaliser is), because hashing costs
# tens of milliseconds of CPU, too long to spend inside each erasure's write transaction.
UNUSABLE_PASSWORD_HASH = hash_password(secrets.token_urlsafe(32))


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None


def export_account(session: Session, user_id: int) -> dict[str, Any]:
    """The account, whether it has a second factor, its passkeys and its sessions (no
    secrets, no keys)."""
    user = session.get_one(User, user_id)
    tokens = session.scalars(
        select(ApiToken).where(ApiToken.user_id == user.id).order_by(ApiToken.id)
    ).all()
    return {
        "id": user.id,
        "username": user.username,
        "display_name": user.display_name,
        "email": user.email,
        "email_confirmed_at": _iso(user.email_confirmed_at),
        "language": user.locale,  # what mail to them is written in
        "role": user.role.value,
        "created_at": _iso(user.created_at),
        "second_factor": session.get(TotpFactor, user.id) is not None,
        "passkeys": [
            {
                "name": passkey.name,
                "trusted": passkey.trusted,
                "created_at": _iso(passkey.created_at),
                "last_used_at": _iso(passkey.last_used_at),
            }
            for passkey in session.scalars(
                select(Passkey).where(Passkey.user_id == user.id).order_by(Passkey.id)
            )
        ],
        "sessions": [
            {
                "created_at": _iso(token.created_at),
                "expires_at": _iso(token.expires_at),
                "revoked_at": _iso(token.revoked_at),
            }
            for token in tokens
        ],
    }


def erase_account(session: Session, user_id: int) -> dict[str, int]:
    """The names and the email go (``erased-<id>``, no display name), the password becomes
    unusable, every token is revoked and the second factor and the passkeys forgotten; the
    row stays for the records under legal hold that point at it. Run after every other
    domain's eraser."""
    user = session.get_one(User, user_id)
    name = f"{ERASED_NAME_PREFIX}{user_id}"
    if session.scalar(select(User.id).where(User.username == name, User.id != user_id)):
        name = f"{name}-{secrets.token_hex(4)}"  # someone registered that name first
    user.username = name
    user.display_name = None
    user.password_hash = UNUSABLE_PASSWORD_HASH
    user.email = None
    user.email_confirmed_at = None
    session.execute(delete(PasswordReset).where(PasswordReset.user_id == user_id))
    session.execute(delete(EmailConfirmation).where(EmailConfirmation.user_id == user_id))
    revoked = session.execute(
        update(ApiToken)
        .where(ApiToken.user_id == user_id, ApiToken.revoked_at.is_(None))
        .values(revoked_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    codes = session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user_id))
    factors = session.execute(delete(TotpFactor).where(TotpFactor.user_id == user_id))
    passkeys = session.execute(delete(Passkey).where(Passkey.user_id == user_id))
    session.execute(delete(WebAuthnChallenge).where(WebAuthnChallenge.user_id == user_id))
    session.execute(delete(LoginChallenge).where(LoginChallenge.user_id == user_id))
    session.flush()
    return {
        "name": 1,
        "tokens_revoked": rows_changed(revoked),
        "second_factors": rows_changed(factors),
        "recovery_codes": rows_changed(codes),
        "passkeys": rows_changed(passkeys),
    }


def purge_tokens(session: Session, cutoff: datetime, _settings: Settings) -> int:
    """Tokens dead (expired or revoked) since before the cutoff."""
    return rows_changed(
        session.execute(
            delete(ApiToken).where(
                or_(
                    ApiToken.expires_at < cutoff,
                    ApiToken.revoked_at.is_not(None) & (ApiToken.revoked_at < cutoff),
                )
            )
        )
    )

"""Single-use, short-lived WebAuthn challenges bound to what they confirm.

A challenge is ``HMAC(secret, binding || nonce)``: the nonce is random and kept in a
row (one use, expiring), the binding is what the challenge stands for (a user's
registration, or a payment's id, order, amount, currency and payee). The caller
gives the binding again when checking, read from the current rows, so an
assertion signed for one payment, or for a payment whose amount has changed,
carries a challenge that does not match (dynamic linking).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import urlsplit

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from liveshop.accounts.models import WebAuthnChallenge
from liveshop.core.clock import utcnow
from liveshop.core.db import rows_changed

CHALLENGE_SECONDS = 120  # the browser's prompt times out within this too


@dataclass(frozen=True)
class RelyingParty:
    """Who the passkeys belong to: the site's name (RP ID) and the page's origin."""

    rp_id: str
    origin: str
    name: str = "LiveShop"


def relying_party(*, rp_id: str | None, origin: str | None, request_url: str) -> RelyingParty:
    """The configured RP ID and origin, else those of the request (scheme, host, port)."""
    url = urlsplit(request_url)
    return RelyingParty(
        rp_id=rp_id or url.hostname or "localhost", origin=origin or f"{url.scheme}://{url.netloc}"
    )


def _derive(secret_key: str, binding: str, nonce: str) -> bytes:
    message = f"webauthn:{binding}:{nonce}".encode()
    return hmac.new(secret_key.encode(), message, hashlib.sha256).digest()


def issue_challenge(
    session: Session, *, user_id: int, subject: str, binding: str, secret_key: str
) -> bytes:
    """A new challenge for ``subject`` (the earlier unused ones of that subject lapse)."""
    now = utcnow()
    session.execute(
        update(WebAuthnChallenge)
        .where(
            WebAuthnChallenge.user_id == user_id,
            WebAuthnChallenge.subject == subject,
            WebAuthnChallenge.used_at.is_(None),
        )
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    )
    nonce = secrets.token_urlsafe(32)
    expires_at = now + timedelta(seconds=CHALLENGE_SECONDS)
    session.add(
        WebAuthnChallenge(user_id=user_id, subject=subject, nonce=nonce, expires_at=expires_at)
    )
    session.flush()
    return _derive(secret_key, binding, nonce)


def take_challenge(
    session: Session, *, user_id: int, subject: str, binding: str, secret_key: str
) -> bytes | None:
    """The challenge last issued for ``subject`` under ``binding``, used up now; None when
    there is none, or it expired or was used already."""
    now = utcnow()
    row = session.scalars(
        select(WebAuthnChallenge)
        .where(
            WebAuthnChallenge.user_id == user_id,
            WebAuthnChallenge.subject == subject,
            WebAuthnChallenge.used_at.is_(None),
            WebAuthnChallenge.expires_at > now,
        )
        .order_by(WebAuthnChallenge.id.desc())
        .limit(1)
    ).first()
    if row is None:
        return None
    used = session.execute(
        update(WebAuthnChallenge)
        .where(WebAuthnChallenge.id == row.id, WebAuthnChallenge.used_at.is_(None))
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    )
    if not rows_changed(used):
        return None  # a racing request took it
    return _derive(secret_key, binding, row.nonce)

"""The TOTP second factor (RFC 6238): enrolment with a QR code, recovery codes, checks.

A code is accepted within one 30 s step either side of now, and once only (the
accepted step is remembered). Five wrong codes in a row lock the factor for a
quarter of an hour. The shared secret is stored encrypted (AES-256-GCM under a
key derived from the application's secret key), recovery codes as keyed hashes.
Services flush; the caller commits, also after a wrong code, so that it counts.
"""

from __future__ import annotations

import enum
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

import pyotp
import segno
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from liveshop.accounts.models import RecoveryCode, TotpFactor, User
from liveshop.core.clock import as_utc, utcnow
from liveshop.core.errors import Conflict, NotFound

ISSUER = "LiveShop"
STEP_SECONDS = 30
WINDOW_STEPS = 1  # clocks drift: one step either side
LOCK_AFTER_FAILURES = 5
LOCK_FOR = timedelta(minutes=15)
RECOVERY_CODE_COUNT = 10
RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i to misread
NONCE_BYTES = 12


class CheckResult(enum.StrEnum):
    ACCEPTED = "accepted"
    WRONG = "wrong"
    LOCKED = "locked"


@dataclass(frozen=True)
class Enrolment:
    secret: str
    otpauth_uri: str
    qr_svg: str


def _cipher(secret_key: str) -> AESGCM:
    key = hmac.new(secret_key.encode(), b"liveshop totp secrets", hashlib.sha256).digest()
    return AESGCM(key)


def _encrypt(secret_key: str, user_id: int, secret: str) -> bytes:
    nonce = secrets.token_bytes(NONCE_BYTES)
    aad = f"totp:{user_id}".encode()  # a ciphertext copied to another user fails
    return nonce + _cipher(secret_key).encrypt(nonce, secret.encode(), aad)


def _decrypt(secret_key: str, user_id: int, blob: bytes) -> str:
    aad = f"totp:{user_id}".encode()
    return _cipher(secret_key).decrypt(blob[:NONCE_BYTES], blob[NONCE_BYTES:], aad).decode()


def _recovery_hash(secret_key: str, user_id: int, code: str) -> str:
    normalised = code.strip().lower().replace("-", "").replace(" ", "")
    message = f"{user_id}:{normalised}".encode()
    return hmac.new(secret_key.encode(), message, hashlib.sha256).hexdigest()


def confirmed_factor(session: Session, *, user_id: int) -> TotpFactor | None:
    factor = session.get(TotpFactor, user_id)
    return factor if factor is not None and factor.confirmed_at is not None else None


def _locked_factor(session: Session, *, user_id: int) -> TotpFactor | None:
    """The factor row, locked until the transaction ends (read afresh, not from the
    session's cache): one user's codes are checked one at a time, so concurrent
    requests cannot each accept the same code, nor lose each other's wrong counts."""
    return session.get(TotpFactor, user_id, with_for_update=True, populate_existing=True)


def start_enrolment(session: Session, *, user: User, secret_key: str) -> Enrolment:
    """A new secret to scan; it counts only once confirmed with a code from the app.

    A user who already has a confirmed factor must remove it first (409). The QR
    code (about 13 ms of CPU) is drawn before the session's first statement, so
    that on SQLite the write lock is not held while it is drawn.
    """
    secret = pyotp.random_base32()
    uri = pyotp.TOTP(secret).provisioning_uri(name=user.username, issuer_name=ISSUER)
    svg = segno.make(uri, error="m").svg_inline(scale=4, dark="#111", light="#fff")
    if confirmed_factor(session, user_id=user.id) is not None:
        raise Conflict("a second factor is already enrolled", code="totp_already_enrolled")
    session.execute(delete(TotpFactor).where(TotpFactor.user_id == user.id))
    session.add(
        TotpFactor(user_id=user.id, secret_ciphertext=_encrypt(secret_key, user.id, secret))
    )
    session.flush()
    return Enrolment(secret=secret, otpauth_uri=uri, qr_svg=svg)


def confirm_enrolment(
    session: Session, *, user: User, code: str, secret_key: str, now: datetime | None = None
) -> list[str] | None:
    """Turn the pending factor on with a first code; returns the recovery codes (shown
    once, only their hashes are kept), or None when the code was wrong."""
    factor = _locked_factor(session, user_id=user.id)
    if factor is None or factor.confirmed_at is not None:
        raise NotFound("no enrolment is waiting for a code", code="no_pending_totp")
    result = _check_code(factor, code=code, secret_key=secret_key, now=now or utcnow())
    if result is not CheckResult.ACCEPTED:
        return None
    factor.confirmed_at = now or utcnow()
    return _new_recovery_codes(session, user_id=user.id, secret_key=secret_key)


def _new_recovery_codes(session: Session, *, user_id: int, secret_key: str) -> list[str]:
    session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user_id))
    codes = [
        "".join(secrets.choice(RECOVERY_ALPHABET) for _ in range(10))
        for _ in range(RECOVERY_CODE_COUNT)
    ]
    readable = [f"{code[:5]}-{code[5:]}" for code in codes]
    session.add_all(
        RecoveryCode(user_id=user_id, code_hash=_recovery_hash(secret_key, user_id, code))
        for code in codes
    )
    session.flush()
    return readable


def remove_factor(session: Session, *, user: User) -> None:
    session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    session.execute(delete(TotpFactor).where(TotpFactor.user_id == user.id))
    session.flush()


def check_second_factor(
    session: Session, *, user_id: int, code: str, secret_key: str, now: datetime | None = None
) -> CheckResult:
    """A TOTP code or an unused recovery code of the user's confirmed factor.

    Wrong codes are counted (commit even on WRONG); a locked factor answers
    LOCKED whatever the code.
    """
    factor = _locked_factor(session, user_id=user_id)
    if factor is None or factor.confirmed_at is None:
        raise NotFound("no second factor is enrolled", code="totp_not_enrolled")
    now = now or utcnow()
    if factor.locked_until is not None and as_utc(factor.locked_until) > now:
        return CheckResult.LOCKED
    if _use_recovery_code(session, user_id=user_id, code=code, secret_key=secret_key, now=now):
        factor.failed_attempts = 0
        session.flush()
        return CheckResult.ACCEPTED
    return _check_code(factor, code=code, secret_key=secret_key, now=now)


def _use_recovery_code(
    session: Session, *, user_id: int, code: str, secret_key: str, now: datetime
) -> bool:
    used = session.execute(
        update(RecoveryCode)
        .where(
            RecoveryCode.user_id == user_id,
            RecoveryCode.code_hash == _recovery_hash(secret_key, user_id, code),
            RecoveryCode.used_at.is_(None),
        )
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    )
    return bool(getattr(used, "rowcount", 0))


def _check_code(factor: TotpFactor, *, code: str, secret_key: str, now: datetime) -> CheckResult:
    """Accept a code of a step within the window that is newer than the last accepted one."""
    totp = pyotp.TOTP(_decrypt(secret_key, factor.user_id, factor.secret_ciphertext))
    current_step = int(now.timestamp()) // STEP_SECONDS
    for step in range(current_step - WINDOW_STEPS, current_step + WINDOW_STEPS + 1):
        if step <= factor.last_step:
            continue  # this step's code was used already (or an older one)
        if hmac.compare_digest(totp.at(step * STEP_SECONDS), code.strip()):
            factor.last_step = step
            factor.failed_attempts = 0
            return CheckResult.ACCEPTED
    factor.failed_attempts += 1
    if factor.failed_attempts >= LOCK_AFTER_FAILURES:
        factor.locked_until = now + LOCK_FOR
        factor.failed_attempts = 0
    return CheckResult.WRONG


def unused_recovery_codes(session: Session, *, user_id: int) -> int:
    return len(
        session.scalars(
            select(RecoveryCode.id).where(
                RecoveryCode.user_id == user_id, RecoveryCode.used_at.is_(None)
            )
        ).all()
    )

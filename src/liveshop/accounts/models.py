from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    ColumnElement,
    Enum,
    ForeignKey,
    Integer,
    LargeBinary,
    String,
    func,
)
from sqlalchemy.ext.hybrid import hybrid_property
from sqlalchemy.orm import Mapped, mapped_column

from liveshop.accounts.roles import Role as Role  # re-exported: callers import it here
from liveshop.core.clock import utcnow
from liveshop.core.db import Base, UtcDateTime


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(40), unique=True)
    # The name other people see (昵称), optional: chosen at sign-up or on the account
    # page, checked by accounts.display_names; not unique, never used to sign in.
    display_name: Mapped[str | None] = mapped_column(String(20), nullable=True)
    password_hash: Mapped[str] = mapped_column(String(200))
    role: Mapped[Role] = mapped_column(Enum(Role, native_enum=False, length=20))
    # Where a forgotten password's reset link goes (optional; stored lower-cased).
    email: Mapped[str | None] = mapped_column(String(254), nullable=True, unique=True, index=True)
    # When the person proved they read mail at ``email`` (a code mailed there); None
    # until then, and again once the address changes. Only then is it a sign-in factor.
    email_confirmed_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    # The language the person reads ("zh_CN", "en"): that of the pages they last signed in,
    # signed up or switched to; what is mailed to them is written in it. None: never said.
    locale: Mapped[str | None] = mapped_column(String(10), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)

    @hybrid_property
    def public_name(self) -> str:
        """The name people know them by: the display name when set, else the username (what
        the masked names of purchase lines, bids and draws start from, and the chat shows)."""
        return self.display_name or self.username

    @public_name.inplace.expression
    @classmethod
    def _public_name_expression(cls) -> ColumnElement[str]:
        return func.coalesce(cls.display_name, cls.username).label("public_name")


class PasswordReset(Base):
    """A single-use, expiring reset link sent by email; only its SHA-256 is stored."""

    __tablename__ = "password_resets"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)


class EmailConfirmation(Base):
    """A six-digit code mailed to confirm the account's email: only its keyed hash is
    kept; it confirms ``email`` only (not an address set since), once, before
    ``expires_at``, and ``failures`` wrong codes use it up."""

    __tablename__ = "email_confirmations"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    email: Mapped[str] = mapped_column(String(254))
    code_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    failures: Mapped[int] = mapped_column(Integer, default=0)


class ApiToken(Base):
    """A bearer token or browser session; only its SHA-256 is stored."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)


class TotpFactor(Base):
    """A user's TOTP second factor (RFC 6238). The secret is stored encrypted.

    ``last_step`` is the last 30 s step a code was accepted for: a code is
    accepted once only. ``failed_attempts`` in a row lock the factor until
    ``locked_until``.
    """

    __tablename__ = "totp_factors"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    secret_ciphertext: Mapped[bytes] = mapped_column(LargeBinary)
    confirmed_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    last_step: Mapped[int] = mapped_column(BigInteger, default=0)
    failed_attempts: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class RecoveryCode(Base):
    """A one-use code that stands in for the TOTP app; only its keyed hash is stored."""

    __tablename__ = "recovery_codes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    used_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)


class Passkey(Base):
    """A buyer's WebAuthn credential (a passkey). ``device_id`` names the browser it
    was registered from (the X-Device-Id it sends); a ``trusted`` device may pay small
    amounts without a step-up, within the buyer's daily limit (payments' seamless.py).
    """

    __tablename__ = "passkeys"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    credential_id: Mapped[bytes] = mapped_column(LargeBinary(1024), unique=True)
    public_key: Mapped[bytes] = mapped_column(LargeBinary)
    sign_count: Mapped[int] = mapped_column(BigInteger, default=0)
    name: Mapped[str] = mapped_column(String(40))
    device_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    trusted: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)


class WebAuthnChallenge(Base):
    """A WebAuthn challenge handed out, single use and short-lived. Only its nonce is
    kept: the challenge is derived from it and the ``binding`` the caller gives again
    when checking (a payment's id, amount and payee), so an assertion made for one
    binding never passes for another."""

    __tablename__ = "webauthn_challenges"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    subject: Mapped[str] = mapped_column(String(64))  # "register", "payment:42"
    nonce: Mapped[str] = mapped_column(String(64))
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)


class LoginChallenge(Base):
    """A sign-in with the right password that the risk checks asked to step up: the
    client holds its token (only the SHA-256 is kept) and answers with any second
    factor the account has, once, within ``expires_at``. An emailed code is kept as a
    keyed hash; ``failures`` wrong answers of any kind use the challenge up."""

    __tablename__ = "login_challenges"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    email_code_hash: Mapped[str | None] = mapped_column(String(64), nullable=True)
    email_code_expires_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    email_codes_sent: Mapped[int] = mapped_column(Integer, default=0)
    email_sent_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)

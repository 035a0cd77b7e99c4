"""Payments' tables: saved payment methods, the card vault, and the double-entry ledger."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Enum,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    UniqueConstraint,
    true,
)
from sqlalchemy.orm import Mapped, mapped_column

from liveshop.core.clock import utcnow
from liveshop.core.db import Base, UtcDateTime

# --- saved cards ---


class PaymentMethod(Base):
    """A user's saved card as everyone but the vault sees it: a token, never the number.

    ``fingerprint`` (keyed HMAC of the number) recognises the same card added
    twice; a removed method loses it, so the card can be added again.
    """

    __tablename__ = "payment_methods"
    __table_args__ = (UniqueConstraint("user_id", "fingerprint"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    vault_token: Mapped[str] = mapped_column(String(64), unique=True)
    fingerprint: Mapped[str | None] = mapped_column(String(64), nullable=True)
    brand: Mapped[str] = mapped_column(String(20))
    last4: Mapped[str] = mapped_column(String(4))
    exp_month: Mapped[int] = mapped_column(Integer)
    exp_year: Mapped[int] = mapped_column(Integer)
    holder: Mapped[str] = mapped_column(String(80), default="")
    is_default: Mapped[bool] = mapped_column(Boolean, default=False)
    # False: a card for one payment only (no consent to keep it): not listed, removed once paid.
    saved: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    removed_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)


# --- the vault (only payments/vault.py reads or writes these) ---


class VaultMasterKey(Base):
    """Each master key version the vault has used; exactly one is active (not retired).

    Only a fingerprint of the key is stored (``key_id``), never the key.
    """

    __tablename__ = "vault_master_keys"

    version: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    key_id: Mapped[str] = mapped_column(String(32), unique=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    retired_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)


class VaultCard(Base):
    """One card number under envelope encryption: AES-256-GCM with its own data key,
    the data key wrapped (AES-256-GCM) by master key ``master_version``."""

    __tablename__ = "vault_cards"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token: Mapped[str] = mapped_column(String(64), unique=True)
    wrapped_data_key: Mapped[bytes] = mapped_column(LargeBinary)
    master_version: Mapped[int] = mapped_column(ForeignKey("vault_master_keys.version"))
    number_ciphertext: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class VaultAudit(Base):
    """Who touched the vault, why and when; the application never deletes these rows."""

    __tablename__ = "vault_audit"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    action: Mapped[str] = mapped_column(String(20))  # reveal, shred, rotate
    token: Mapped[str | None] = mapped_column(String(64), nullable=True, index=True)
    actor: Mapped[str] = mapped_column(String(100))
    reason: Mapped[str] = mapped_column(String(300))
    at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


# --- the ledger ---


class OwnerType(enum.StrEnum):
    USER = "user"
    SHOP = "shop"
    PLATFORM = "platform"


PLATFORM_OWNER_ID = 0  # the platform's accounts have no owner row; 0 keeps them unique


class LedgerAccount(Base):
    """An account of the ledger; ``balance`` caches the sum of its postings and is
    updated in the same transaction as they are written."""

    __tablename__ = "ledger_accounts"
    __table_args__ = (
        UniqueConstraint("kind", "owner_type", "owner_id", "currency"),
        CheckConstraint("may_go_negative OR balance >= 0", name="balance_not_negative"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(40))
    owner_type: Mapped[OwnerType] = mapped_column(Enum(OwnerType, native_enum=False, length=10))
    owner_id: Mapped[int] = mapped_column(Integer)
    currency: Mapped[str] = mapped_column(String(3))
    may_go_negative: Mapped[bool] = mapped_column(Boolean)
    balance: Mapped[int] = mapped_column(BigInteger, default=0)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class LedgerTransaction(Base):
    """One balanced movement of money; never updated, never deleted.

    ``(kind, reference)`` is the idempotency key; ``digest`` is the hash of the
    posting set, so a replay with other postings is told apart from a retry.
    """

    __tablename__ = "ledger_transactions"
    __table_args__ = (UniqueConstraint("kind", "reference"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(40))
    reference: Mapped[str] = mapped_column(String(100))
    digest: Mapped[str] = mapped_column(String(64))
    memo: Mapped[str] = mapped_column(String(300), default="")
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class LedgerPosting(Base):
    __tablename__ = "ledger_postings"
    __table_args__ = (CheckConstraint("amount <> 0", name="amount_not_zero"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    transaction_id: Mapped[int] = mapped_column(ForeignKey("ledger_transactions.id"), index=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("ledger_accounts.id"), index=True)
    amount: Mapped[int] = mapped_column(BigInteger)


# --- payments through the gateway ---


class PaymentStatus(enum.StrEnum):
    REQUIRES_ACTION = "requires_action"  # a challenge must be passed first
    PENDING = "pending"  # the gateway did not answer: its notification will
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    REFUNDED = "refunded"  # a late success for an order that had expired, given back


class MethodKind(enum.StrEnum):
    """How a payment is made."""

    CARD = "card"  # a saved card, through the gateway
    WALLET = "wallet"  # the buyer's stored balance, no gateway
    THIRD_PARTY = "third_party"  # an Alipay / WeChat Pay style redirect-and-notify wallet
    CASH_ON_DELIVERY = "cash_on_delivery"  # collected by the courier


class ChallengeMethod(enum.StrEnum):
    SANDBOX_OTP = "sandbox_otp"  # a one-time code the sandbox shows (as an issuer's SMS)
    TOTP = "totp"  # the buyer's authenticator app (or a recovery code)


class TopUpKind(enum.StrEnum):
    WALLET = "wallet"
    COINS = "coins"


class TopUp(Base):
    """Money paid in to a user's wallet or coins; credited when its payment succeeds."""

    __tablename__ = "top_ups"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    kind: Mapped[TopUpKind] = mapped_column(Enum(TopUpKind, native_enum=False, length=10))
    amount: Mapped[int] = mapped_column(Integer)
    currency: Mapped[str] = mapped_column(String(3))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class Payment(Base):
    """One attempt to pay an order or a top-up (exactly one of the two)."""

    __tablename__ = "payments"
    __table_args__ = (
        UniqueConstraint("buyer_id", "idempotency_key"),
        Index("ix_payments_buyer_device", "buyer_id", "device_id"),
        Index("ix_payments_buyer_created", "buyer_id", "created_at"),
        CheckConstraint(
            "(order_id IS NULL) <> (top_up_id IS NULL)", name="pays_an_order_or_a_top_up"
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    order_id: Mapped[int | None] = mapped_column(ForeignKey("orders.id"), index=True, nullable=True)
    top_up_id: Mapped[int | None] = mapped_column(
        ForeignKey("top_ups.id"), index=True, nullable=True
    )
    buyer_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    method_kind: Mapped[MethodKind] = mapped_column(
        Enum(MethodKind, native_enum=False, length=20), default=MethodKind.CARD
    )
    method_id: Mapped[int | None] = mapped_column(ForeignKey("payment_methods.id"), nullable=True)
    amount: Mapped[int] = mapped_column(Integer)
    currency: Mapped[str] = mapped_column(String(3))
    payee_shop_id: Mapped[int] = mapped_column(Integer)
    status: Mapped[PaymentStatus] = mapped_column(Enum(PaymentStatus, native_enum=False, length=20))
    gateway: Mapped[str] = mapped_column(String(20))
    gateway_reference: Mapped[str | None] = mapped_column(String(64), nullable=True, index=True)
    decline_code: Mapped[str | None] = mapped_column(String(40), nullable=True)
    idempotency_key: Mapped[str] = mapped_column(String(100))
    request_fingerprint: Mapped[str] = mapped_column(String(64))
    # The client's device (the X-Device-Id header): a device the buyer never paid
    # from before asks for the second factor.
    device_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    # Why a second factor was asked for (amount, new device, a risk signal); None: not asked.
    step_up_reason: Mapped[str | None] = mapped_column(String(200), nullable=True)
    challenge_method: Mapped[ChallengeMethod | None] = mapped_column(
        Enum(ChallengeMethod, native_enum=False, length=20), nullable=True
    )
    challenge_code_hash: Mapped[str | None] = mapped_column(String(64), nullable=True)
    challenge_attempts: Mapped[int] = mapped_column(Integer, default=0)
    # Paid from a trusted passkey device without the step-up, within the daily limit.
    seamless: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow, onupdate=utcnow)


class SeamlessLimit(Base):
    """The buyer's small-amount daily limit (分) for paying from a trusted device without
    a step-up; no row, or 0: off. Capped by the platform's maximum when set."""

    __tablename__ = "seamless_limits"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    daily_limit: Mapped[int] = mapped_column(Integer, default=0)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow, onupdate=utcnow)


class WebhookReceipt(Base):
    """Every gateway notification taken in, once: the event id is the idempotency key."""

    __tablename__ = "webhook_receipts"
    __table_args__ = (UniqueConstraint("gateway", "event_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    gateway: Mapped[str] = mapped_column(String(20))
    event_id: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(40))
    received_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class GatewayRefund(Base):
    """Money sent back through the gateway, once per after-sale (or late payment)."""

    __tablename__ = "gateway_refunds"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    payment_id: Mapped[int] = mapped_column(ForeignKey("payments.id"), index=True)
    reason_key: Mapped[str] = mapped_column(String(64), unique=True)
    amount: Mapped[int] = mapped_column(Integer)
    gateway_reference: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


# --- gifts and red packets ---


class GiftSend(Base):
    """Gifts a viewer sent in a room, paid from their coins; the key makes a retry harmless."""

    __tablename__ = "gift_sends"
    __table_args__ = (UniqueConstraint("sender_id", "idempotency_key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    sender_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    room_id: Mapped[int] = mapped_column(ForeignKey("rooms.id"), index=True)
    host_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    gift_code: Mapped[str] = mapped_column(String(20))
    count: Mapped[int] = mapped_column(Integer)
    coins: Mapped[int] = mapped_column(Integer)  # the whole send's price in coins
    idempotency_key: Mapped[str] = mapped_column(String(100))
    request_fingerprint: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class RedPacketStatus(enum.StrEnum):
    OPEN = "open"
    EMPTY = "empty"  # every share grabbed
    EXPIRED = "expired"  # the deadline passed; what was left went back to the sender


class RedPacket(Base):
    """A red packet (红包) dropped in a room: ``total`` split into ``shares`` random
    shares when dropped; ``grabbed`` counts the shares taken (the claim counter)."""

    __tablename__ = "red_packets"
    __table_args__ = (
        UniqueConstraint("sender_id", "idempotency_key"),
        CheckConstraint("grabbed >= 0 AND grabbed <= shares", name="grabbed_within_shares"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    room_id: Mapped[int] = mapped_column(ForeignKey("rooms.id"), index=True)
    sender_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    total: Mapped[int] = mapped_column(Integer)
    currency: Mapped[str] = mapped_column(String(3))
    shares: Mapped[int] = mapped_column(Integer)
    grabbed: Mapped[int] = mapped_column(Integer, default=0)
    status: Mapped[RedPacketStatus] = mapped_column(
        Enum(RedPacketStatus, native_enum=False, length=10), default=RedPacketStatus.OPEN
    )
    greeting: Mapped[str] = mapped_column(String(60), default="")
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)
    idempotency_key: Mapped[str] = mapped_column(String(100))
    request_fingerprint: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class RedPacketShare(Base):
    """One share of a red packet; ``user_id`` is set once, by the viewer who grabbed it."""

    __tablename__ = "red_packet_shares"
    __table_args__ = (
        UniqueConstraint("packet_id", "position", name="uq_red_packet_shares_position"),
        UniqueConstraint("packet_id", "user_id", name="uq_red_packet_shares_grabber"),
        CheckConstraint("amount > 0", name="share_positive"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    packet_id: Mapped[int] = mapped_column(ForeignKey("red_packets.id"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    amount: Mapped[int] = mapped_column(Integer)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    grabbed_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)

"""Qualification tables: merchants' licences and products' certificates under
admin review, and hosts' real-name and age verification.

An ID number is never stored in clear: only its mask (first and last character)
and a keyed hash (HMAC-SHA256 with the server's secret key), which lets one
identity be bound to one account without keeping the number.
"""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Date, Enum, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from liveshop.core.clock import utcnow
from liveshop.core.db import Base, UtcDateTime


class QualificationKind(enum.StrEnum):
    BUSINESS_LICENCE = "business_licence"  # 营业执照
    CATEGORY_LICENCE = "category_licence"  # 食品经营许可证, 化妆品 ..., 保健食品 ...
    PRODUCT_CERTIFICATE = "product_certificate"  # a product's certificate or test report


class QualificationStatus(enum.StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"


class Qualification(Base):
    """A document set a shop submits for an admin's review.

    ``documents`` is a list of ``{"name": ..., "url": ...}`` (files live elsewhere);
    ``details`` holds the document's metadata (number, issuer). A category
    licence names its ``category``; a product certificate its ``product_id``.
    """

    __tablename__ = "qualifications"
    __table_args__ = (Index("ix_qualifications_shop_kind", "shop_id", "kind", "status"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id"))
    kind: Mapped[QualificationKind] = mapped_column(
        Enum(QualificationKind, native_enum=False, length=20)
    )
    category: Mapped[str | None] = mapped_column(String(40), nullable=True)
    product_id: Mapped[int | None] = mapped_column(ForeignKey("products.id"), nullable=True)
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    documents: Mapped[list[dict[str, str]]] = mapped_column(JSON, default=list)
    valid_until: Mapped[date | None] = mapped_column(Date, nullable=True)
    status: Mapped[QualificationStatus] = mapped_column(
        Enum(QualificationStatus, native_enum=False, length=10), index=True
    )
    submitted_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    submitted_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    reviewed_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    reviewed_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    review_note: Mapped[str] = mapped_column(Text, default="")


class IdentityVerification(Base):
    """A user's real-name and age verification (one per user, one user per identity)."""

    __tablename__ = "identity_verifications"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    real_name: Mapped[str] = mapped_column(String(60))
    id_number_masked: Mapped[str] = mapped_column(String(40))
    id_number_hash: Mapped[str] = mapped_column(String(64), unique=True)
    birth_date: Mapped[date] = mapped_column(Date)
    guardian_consent: Mapped[bool] = mapped_column(Boolean, default=False)
    verified_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)

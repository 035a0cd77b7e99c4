"""Risk's tables: the operators' rule versions and the review queue's cases.

Cases name what was decided by plain ids (``subject``: "order:42"), not foreign
keys to the guarded paths' tables, which risk never reads.
"""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Enum, Float, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from liveshop.core.clock import utcnow
from liveshop.core.db import Base, UtcDateTime


class CaseStatus(enum.StrEnum):
    OPEN = "open"
    CONFIRMED = "confirmed"  # the analyst found abuse: the hold stands
    CLEARED = "cleared"  # legit: the hold is lifted


class RuleVersion(Base):
    """One saved text of the rules; the highest version is live."""

    __tablename__ = "risk_rule_versions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    version: Mapped[int] = mapped_column(Integer, unique=True)
    source: Mapped[str] = mapped_column(Text)
    author: Mapped[str] = mapped_column(String(120))
    comment: Mapped[str] = mapped_column(String(500), default="")
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class RiskCase(Base):
    """A request the engine held for review (or blocked), with its evidence."""

    __tablename__ = "risk_cases"
    __table_args__ = (
        Index("ix_risk_cases_status_created", "status", "created_at"),
        Index("ix_risk_cases_subject", "subject"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    path: Mapped[str] = mapped_column(String(20))
    subject: Mapped[str] = mapped_column(String(60))  # "order:42", "payment:7"
    user_id: Mapped[int] = mapped_column(Integer, index=True)
    merchant_id: Mapped[int | None] = mapped_column(Integer, nullable=True, index=True)
    room_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    decision: Mapped[str] = mapped_column(String(12))
    score: Mapped[float] = mapped_column(Float)
    reasons: Mapped[list[str]] = mapped_column(JSON, default=list)  # analysts only
    features: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # analysts only
    event: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # for training
    reference: Mapped[str] = mapped_column(String(40))
    status: Mapped[CaseStatus] = mapped_column(Enum(CaseStatus, native_enum=False, length=10))
    label: Mapped[str | None] = mapped_column(String(40), nullable=True)
    analyst_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    decided_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    appeal: Mapped[str | None] = mapped_column(Text, nullable=True)
    appealed_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)

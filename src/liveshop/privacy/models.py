"""Privacy's table: the consent ledger (one row per grant; withdrawing closes it)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, text
from sqlalchemy.orm import Mapped, mapped_column

from liveshop.core.clock import utcnow
from liveshop.core.db import Base, UtcDateTime


class Consent(Base):
    """A user's consent to one purpose under one policy version.

    Rows are never updated except to close them (``withdrawn_at``), so the ledger
    shows when each consent was given and taken back. At most one row per user
    and purpose is open (the partial unique index), which makes two concurrent
    grants one.
    """

    __tablename__ = "consents"
    __table_args__ = (
        Index(
            "uq_consents_open",
            "user_id",
            "purpose",
            unique=True,
            sqlite_where=text("withdrawn_at IS NULL"),
            postgresql_where=text("withdrawn_at IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    purpose: Mapped[str] = mapped_column(String(40))
    policy_version: Mapped[str] = mapped_column(String(40))
    granted_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    withdrawn_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)

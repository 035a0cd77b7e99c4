from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import BigInteger, Boolean, Enum, Float, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from liveshop.core.clock import utcnow
from liveshop.core.db import Base, UtcDateTime


class FaqSource(enum.StrEnum):
    MERCHANT = "merchant"  # written by the shop
    HOST_CORRECTION = "host_correction"  # the host corrected the assistant's answer


class FaqEntry(Base):
    """A question the shop answers the same way every time; the assistant cites it."""

    __tablename__ = "assistant_faq"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"), index=True)
    question: Mapped[str] = mapped_column(String(300))
    answer: Mapped[str] = mapped_column(String(1000))
    source: Mapped[FaqSource] = mapped_column(Enum(FaqSource, native_enum=False, length=20))
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class RoomAssistant(Base):
    """Whether the assistant answers in a room (on unless a moderator turned it off)."""

    __tablename__ = "assistant_rooms"

    room_id: Mapped[int] = mapped_column(
        ForeignKey("rooms.id", ondelete="CASCADE"), primary_key=True
    )
    enabled: Mapped[bool] = mapped_column(Boolean)
    changed_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    changed_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class AssistantReply(Base):
    """What the assistant did with one chat question: answered it (citing ``fact``)
    or passed it to the host (``suggestion``); either way a question in the room's
    queue (``question_id``), so the host sees it and may answer or correct it."""

    __tablename__ = "assistant_replies"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    room_id: Mapped[int] = mapped_column(ForeignKey("rooms.id", ondelete="CASCADE"), index=True)
    comment_id: Mapped[int] = mapped_column(BigInteger)
    question_id: Mapped[int | None] = mapped_column(Integer, nullable=True, index=True)
    text: Mapped[str] = mapped_column(String(500))
    answered: Mapped[bool] = mapped_column(Boolean)
    fact: Mapped[str] = mapped_column(String(200))
    answer: Mapped[str | None] = mapped_column(Text, nullable=True)
    suggestion: Mapped[str | None] = mapped_column(Text, nullable=True)
    confidence: Mapped[float] = mapped_column(Float)
    corrected_faq_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)

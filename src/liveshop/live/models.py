from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Enum,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from liveshop.core.clock import utcnow
from liveshop.core.db import Base, UtcDateTime


class RoomStatus(enum.StrEnum):
    SCHEDULED = "scheduled"
    LIVE = "live"
    ENDED = "ended"


class CommentKind(enum.StrEnum):
    COMMENT = "comment"
    HOST = "host"
    ANNOUNCEMENT = "announcement"
    ASSISTANT = "assistant"  # the shop's customer-service assistant (liveshop.assistant)


class RestrictionKind(enum.StrEnum):
    MUTE = "mute"
    KICK = "kick"


class Room(Base):
    __tablename__ = "rooms"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    host_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    title: Mapped[str] = mapped_column(String(120))
    description: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[RoomStatus] = mapped_column(
        Enum(RoomStatus, native_enum=False, length=20), default=RoomStatus.SCHEDULED, index=True
    )
    scheduled_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    started_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    ended_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    likes: Mapped[int] = mapped_column(BigInteger, default=0)
    viewers: Mapped[int] = mapped_column(Integer, default=0)
    peak_viewers: Mapped[int] = mapped_column(Integer, default=0)
    comment_count: Mapped[int] = mapped_column(BigInteger, default=0)
    pinned: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    # An A/B test of the shelf's order (``shelf_experiments.py``): campaigns' experiment
    # (no foreign key: campaigns sits above live) and the product each variant leads with.
    shelf_experiment_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    shelf_experiment_leads: Mapped[dict[str, int] | None] = mapped_column(JSON, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class Comment(Base):
    """A chat line; its id is minted by the hub when it arrives (see core.ids)."""

    __tablename__ = "comments"
    __table_args__ = (Index("ix_comments_room_id_id", "room_id", "id"),)

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    room_id: Mapped[int] = mapped_column(ForeignKey("rooms.id", ondelete="CASCADE"))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    kind: Mapped[CommentKind] = mapped_column(Enum(CommentKind, native_enum=False, length=20))
    text: Mapped[str] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)


class QuestionStatus(enum.StrEnum):
    OPEN = "open"
    ANSWERED = "answered"


class Question(Base):
    __tablename__ = "questions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    room_id: Mapped[int] = mapped_column(ForeignKey("rooms.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    text: Mapped[str] = mapped_column(String(500))
    upvotes: Mapped[int] = mapped_column(Integer, default=0)
    status: Mapped[QuestionStatus] = mapped_column(
        Enum(QuestionStatus, native_enum=False, length=20), default=QuestionStatus.OPEN
    )
    answer: Mapped[str | None] = mapped_column(Text, nullable=True)
    is_pinned: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    answered_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)


class QuestionVote(Base):
    __tablename__ = "question_votes"
    __table_args__ = (UniqueConstraint("question_id", "user_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    question_id: Mapped[int] = mapped_column(ForeignKey("questions.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))


class RoomRestriction(Base):
    """A mute (may watch, may not speak) or a kick (may not join) until a moment."""

    __tablename__ = "room_restrictions"
    __table_args__ = (Index("ix_room_restrictions_room_user", "room_id", "user_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    room_id: Mapped[int] = mapped_column(ForeignKey("rooms.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    kind: Mapped[RestrictionKind] = mapped_column(
        Enum(RestrictionKind, native_enum=False, length=10)
    )
    until: Mapped[datetime] = mapped_column(UtcDateTime)
    created_by: Mapped[int] = mapped_column(ForeignKey("users.id"))


class HostAction(Base):
    """Every control a host or moderator used, kept for moderation and replays."""

    __tablename__ = "host_actions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    room_id: Mapped[int] = mapped_column(ForeignKey("rooms.id", ondelete="CASCADE"), index=True)
    actor_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    action: Mapped[str] = mapped_column(String(40))
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class RoomLikeCount(Base):
    """The likes one worker stored for a room in one write-behind flush, and when: the
    replay's likes over time (``Room.likes`` keeps only the total)."""

    __tablename__ = "room_like_counts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    room_id: Mapped[int] = mapped_column(ForeignKey("rooms.id", ondelete="CASCADE"), index=True)
    count: Mapped[int] = mapped_column(Integer)
    at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class ShelfItem(Base):
    """A product on a room's shelf (购物袋), in the host's order."""

    __tablename__ = "shelf_items"
    __table_args__ = (UniqueConstraint("room_id", "product_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    room_id: Mapped[int] = mapped_column(ForeignKey("rooms.id", ondelete="CASCADE"), index=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"))
    position: Mapped[int] = mapped_column(Integer)


class HeldCommentStatus(enum.StrEnum):
    HELD = "held"  # waiting for a moderator
    APPROVED = "approved"  # published to the room (and stored with its chat)
    REJECTED = "rejected"  # never shown to anyone but its author


class HeldComment(Base):
    """A chat line the filter held for a moderator (verdict ``review``): only its
    author saw it. Its id is the one the hub minted, kept if it is approved."""

    __tablename__ = "held_comments"
    __table_args__ = (Index("ix_held_comments_status_created", "status", "created_at"),)

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    room_id: Mapped[int] = mapped_column(ForeignKey("rooms.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    kind: Mapped[CommentKind] = mapped_column(Enum(CommentKind, native_enum=False, length=20))
    text: Mapped[str] = mapped_column(String(500))  # as written
    categories: Mapped[list[str]] = mapped_column(JSON)  # why the filter held it
    status: Mapped[HeldCommentStatus] = mapped_column(
        Enum(HeldCommentStatus, native_enum=False, length=10)
    )
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    decided_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    decided_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    decision_note: Mapped[str | None] = mapped_column(String(500), nullable=True)

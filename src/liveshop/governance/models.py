"""Enforcement's tables: reports, penalties (every moderation action), appeals,
violation subjects (the per-host / per-shop lock of the ladder), sampling
inspections and the delistings they cause.

Targets and subjects are plain ids, not foreign keys, where they name rows of
packages above moderation (rooms, comments, orders): moderation may not know
those tables (ARCHITECTURE.md, layers).
"""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Enum, ForeignKey, Index, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from liveshop.core.clock import utcnow
from liveshop.core.db import Base, UtcDateTime


class ReportTarget(enum.StrEnum):
    COMMENT = "comment"
    ROOM = "room"
    PRODUCT = "product"
    USER = "user"
    REVIEW = "review"  # a buyer's product review (reviews registers its evidence)


class ReportStatus(enum.StrEnum):
    OPEN = "open"
    CLAIMED = "claimed"
    ACTIONED = "actioned"
    DISMISSED = "dismissed"


class SubjectType(enum.StrEnum):
    """Who a penalty is against: a user (host or viewer) or a shop."""

    USER = "user"
    SHOP = "shop"


class PenaltyKind(enum.StrEnum):
    DELETE_COMMENT = "delete_comment"
    MUTE = "mute"
    WARNING = "warning"
    LIMIT_EXPOSURE = "limit_exposure"
    STOP_ROOM = "stop_room"
    FINE = "fine"
    SUSPENSION = "suspension"
    BAN = "ban"


class AppealStatus(enum.StrEnum):
    PENDING = "pending"
    UPHELD = "upheld"  # the penalty stands
    OVERTURNED = "overturned"  # the penalty is revoked


class InspectionTarget(enum.StrEnum):
    PRODUCT = "product"
    ORDER = "order"


class InspectionResult(enum.StrEnum):
    PENDING = "pending"
    PASS = "pass"
    FAIL = "fail"


def _enum(kind: type[enum.Enum], length: int) -> Enum:
    return Enum(kind, native_enum=False, length=length)


class Report(Base):
    """A viewer's report of a comment, room, product or user, with its evidence.

    One open report per reporter and target (a partial unique index): reporting
    the same thing twice while it waits does not queue it twice.
    """

    __tablename__ = "reports"
    __table_args__ = (
        Index(
            "uq_reports_open",
            "reporter_id",
            "target_type",
            "target_id",
            unique=True,
            sqlite_where=text("resolved_at IS NULL"),
            postgresql_where=text("resolved_at IS NULL"),
        ),
        Index("ix_reports_status_created", "status", "created_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    reporter_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    target_type: Mapped[ReportTarget] = mapped_column(_enum(ReportTarget, 10))
    target_id: Mapped[int] = mapped_column(BigInteger)  # a comment's id is 63-bit
    reason: Mapped[str] = mapped_column(String(40))
    details: Mapped[str] = mapped_column(Text, default="")
    evidence: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    accused_user_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    accused_shop_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    room_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    status: Mapped[ReportStatus] = mapped_column(_enum(ReportStatus, 10))
    claimed_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    claimed_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    resolved_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    resolved_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    resolution: Mapped[str] = mapped_column(Text, default="")
    penalty_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class Penalty(Base):
    """One enforcement action, by a moderator or by the ladder (``imposed_by`` None).

    It states the rule broken, the evidence and the appeal deadline. ``subject``
    is who it counts against (violation points, scores); ``target`` is what it
    acts on (a comment, a room), when that is not the subject itself.
    """

    __tablename__ = "penalties"
    __table_args__ = (Index("ix_penalties_subject", "subject_type", "subject_id", "created_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[PenaltyKind] = mapped_column(_enum(PenaltyKind, 20))
    subject_type: Mapped[SubjectType] = mapped_column(_enum(SubjectType, 10))
    subject_id: Mapped[int] = mapped_column(Integer)
    target_type: Mapped[str | None] = mapped_column(String(20), nullable=True)
    target_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    room_id: Mapped[int | None] = mapped_column(Integer, nullable=True, index=True)
    rule: Mapped[str] = mapped_column(String(200))
    evidence: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    points: Mapped[int] = mapped_column(Integer, default=0)
    amount: Mapped[int | None] = mapped_column(Integer, nullable=True)  # a fine, in 分
    currency: Mapped[str | None] = mapped_column(String(3), nullable=True)
    starts_at: Mapped[datetime] = mapped_column(UtcDateTime)
    ends_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)  # None: open
    appeal_deadline: Mapped[datetime] = mapped_column(UtcDateTime)
    imposed_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    report_id: Mapped[int | None] = mapped_column(ForeignKey("reports.id"), nullable=True)
    ladder_step: Mapped[int | None] = mapped_column(Integer, nullable=True)
    revoked_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    revoked_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class Appeal(Base):
    """A penalised party's appeal; one per penalty, decided by another moderator."""

    __tablename__ = "appeals"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    penalty_id: Mapped[int] = mapped_column(ForeignKey("penalties.id"), unique=True)
    appellant_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    statement: Mapped[str] = mapped_column(Text)
    status: Mapped[AppealStatus] = mapped_column(_enum(AppealStatus, 12))
    decided_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    decided_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    decision_note: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class ViolationSubject(Base):
    """One row per penalised host or shop, locked while its points and the ladder
    are worked out, so two penalties at once cannot both miss (or both apply) a step."""

    __tablename__ = "violation_subjects"

    subject_type: Mapped[SubjectType] = mapped_column(_enum(SubjectType, 10), primary_key=True)
    subject_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    points: Mapped[int] = mapped_column(Integer, default=0)  # in the window, when last counted
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class Inspection(Base):
    """A sampled product or order (定期抽检) and, once recorded, its result."""

    __tablename__ = "inspections"
    __table_args__ = (Index("ix_inspections_target", "target_type", "target_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    target_type: Mapped[InspectionTarget] = mapped_column(_enum(InspectionTarget, 10))
    target_id: Mapped[int] = mapped_column(Integer)
    shop_id: Mapped[int | None] = mapped_column(Integer, nullable=True, index=True)
    seed: Mapped[str] = mapped_column(String(64))
    rate: Mapped[str] = mapped_column(String(20))  # as given, e.g. "0.05"
    result: Mapped[InspectionResult] = mapped_column(_enum(InspectionResult, 10))
    findings: Mapped[str] = mapped_column(Text, default="")
    inspector_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    sampled_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    recorded_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)


class ProductDelisting(Base):
    """A product taken off sale by moderation (a failed inspection), and the stock
    withdrawn from each SKU, so a relisting can give it back."""

    __tablename__ = "product_delistings"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"), index=True)
    shop_id: Mapped[int] = mapped_column(Integer)
    inspection_id: Mapped[int | None] = mapped_column(ForeignKey("inspections.id"), nullable=True)
    reason: Mapped[str] = mapped_column(Text)
    withdrawn_stock: Mapped[dict[str, int]] = mapped_column(JSON, default=dict)
    delisted_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    relisted_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)

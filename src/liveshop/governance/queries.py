"""The questions other packages ask of enforcement: is this host suspended or
banned, is this user muted, is that room hidden from listings, which warnings
does the host console show. Read-only; cheap indexed queries."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import BindParameter, ColumnElement, and_, bindparam, or_, select
from sqlalchemy.orm import Session

from liveshop.core.clock import utcnow
from liveshop.core.errors import NotFound
from liveshop.governance.models import Penalty, PenaltyKind, SubjectType


def _in_force(now: datetime | BindParameter[datetime]) -> ColumnElement[bool]:
    return and_(
        Penalty.revoked_at.is_(None),
        Penalty.starts_at <= now,
        or_(Penalty.ends_at.is_(None), Penalty.ends_at > now),
    )


def _subject_in_force(
    session: Session,
    kind: PenaltyKind,
    *,
    user_id: int | None,
    shop_id: int | None,
    now: datetime | None,
) -> bool:
    if (user_id is None) == (shop_id is None):
        raise ValueError("ask about exactly one of user_id and shop_id")
    subject_type, subject_id = (
        (SubjectType.USER, user_id) if user_id is not None else (SubjectType.SHOP, shop_id)
    )
    found = session.scalar(
        select(Penalty.id)
        .where(
            Penalty.kind == kind,
            Penalty.subject_type == subject_type,
            Penalty.subject_id == subject_id,
            _in_force(now or utcnow()),
        )
        .limit(1)
    )
    return found is not None


def is_suspended(
    session: Session,
    *,
    user_id: int | None = None,
    shop_id: int | None = None,
    now: datetime | None = None,
) -> bool:
    """Whether the host (``user_id``) or the shop is suspended at ``now``."""
    return _subject_in_force(
        session, PenaltyKind.SUSPENSION, user_id=user_id, shop_id=shop_id, now=now
    )


def is_banned(
    session: Session,
    *,
    user_id: int | None = None,
    shop_id: int | None = None,
    now: datetime | None = None,
) -> bool:
    return _subject_in_force(session, PenaltyKind.BAN, user_id=user_id, shop_id=shop_id, now=now)


def may_go_live(session: Session, *, host_id: int, now: datetime | None = None) -> bool:
    """Neither suspended nor banned (``live`` asks before a room opens)."""
    return not (
        is_suspended(session, user_id=host_id, now=now)
        or is_banned(session, user_id=host_id, now=now)
    )


def is_muted(
    session: Session, *, user_id: int, room_id: int | None = None, now: datetime | None = None
) -> bool:
    """Muted everywhere, or in ``room_id``."""
    rooms: list[ColumnElement[bool]] = [Penalty.room_id.is_(None)]
    if room_id is not None:
        rooms.append(Penalty.room_id == room_id)
    found = session.scalar(
        select(Penalty.id)
        .where(
            Penalty.kind == PenaltyKind.MUTE,
            Penalty.subject_type == SubjectType.USER,
            Penalty.subject_id == user_id,
            or_(*rooms),
            _in_force(now or utcnow()),
        )
        .limit(1)
    )
    return found is not None


def _room_penalty_in_force(
    session: Session, kind: PenaltyKind, room_id: int, now: datetime | None
) -> bool:
    found = session.scalar(
        select(Penalty.id)
        .where(
            Penalty.kind == kind,
            Penalty.target_type == "room",
            Penalty.target_id == room_id,
            _in_force(now or utcnow()),
        )
        .limit(1)
    )
    return found is not None


def room_exposure_limited(session: Session, room_id: int, *, now: datetime | None = None) -> bool:
    """Whether the room is to be hidden from listings (it stays reachable by link)."""
    return _room_penalty_in_force(session, PenaltyKind.LIMIT_EXPOSURE, room_id, now)


# Built once: every listing (each recommendation of rooms among them) binds the moment
# instead of building and keying the statement again, a sixth of that request's CPU.
LIMITED_ROOMS = select(Penalty.target_id).where(
    Penalty.kind == PenaltyKind.LIMIT_EXPOSURE,
    Penalty.target_type == "room",
    _in_force(bindparam("now", type_=Penalty.starts_at.type)),
)


def limited_room_ids(session: Session, *, now: datetime | None = None) -> set[int]:
    """Every room hidden from listings now (one query for a listing page)."""
    return {
        room_id
        for room_id in session.scalars(LIMITED_ROOMS, {"now": now or utcnow()}).all()
        if room_id is not None
    }


def active_warnings(
    session: Session, host_id: int, *, now: datetime | None = None
) -> Sequence[Penalty]:
    """The host's warnings in force, newest first (for the host console)."""
    return session.scalars(
        select(Penalty)
        .where(
            Penalty.kind == PenaltyKind.WARNING,
            Penalty.subject_type == SubjectType.USER,
            Penalty.subject_id == host_id,
            _in_force(now or utcnow()),
        )
        .order_by(Penalty.created_at.desc(), Penalty.id.desc())
    ).all()


def penalties_of(
    session: Session, *, subject_type: SubjectType, subject_id: int, limit: int = 100
) -> Sequence[Penalty]:
    return session.scalars(
        select(Penalty)
        .where(Penalty.subject_type == subject_type, Penalty.subject_id == subject_id)
        .order_by(Penalty.created_at.desc(), Penalty.id.desc())
        .limit(limit)
    ).all()


def get_penalty(session: Session, *, penalty_id: int) -> Penalty:
    penalty = session.get(Penalty, penalty_id)
    if penalty is None:
        raise NotFound(f"penalty {penalty_id} not found", code="penalty_not_found")
    return penalty

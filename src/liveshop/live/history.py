"""What happened in a room, in order, for its replay: the host's controls, the
viewers' questions (and the host's answers) and their likes over time.

The chat is read through ``service.list_comments``; this adds the controls the
host used (``HostAction`` rows: start, end, pin, unpin, announce, mute, kick).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from liveshop.core.clock import as_utc
from liveshop.live.models import HostAction, Question, RoomLikeCount

REPLAYED_ACTIONS = frozenset({"start", "end", "pin", "unpin"})
LIKE_BUCKET_SECONDS = 60  # one timeline mark per minute of likes, not one per tap


@dataclass(frozen=True)
class HostMoment:
    at: datetime
    action: str
    details: dict[str, Any]


def host_moments(
    session: Session, *, room_id: int, actions: frozenset[str] = REPLAYED_ACTIONS
) -> list[HostMoment]:
    """The room's host controls of the kinds ``actions``, oldest first."""
    rows = session.scalars(
        select(HostAction)
        .where(HostAction.room_id == room_id, HostAction.action.in_(actions))
        .order_by(HostAction.created_at, HostAction.id)
    )
    return [
        HostMoment(at=as_utc(row.created_at), action=row.action, details=dict(row.details))
        for row in rows
    ]


@dataclass(frozen=True)
class QuestionMoment:
    at: datetime
    event: str  # "asked" | "answered"
    question_id: int
    text: str  # the question, or the host's answer
    upvotes: int


def question_moments(session: Session, *, room_id: int) -> list[QuestionMoment]:
    """Each question asked in the room and, once answered, its answer; oldest first."""
    moments: list[QuestionMoment] = []
    for question in session.scalars(
        select(Question).where(Question.room_id == room_id).order_by(Question.id)
    ):
        asked = QuestionMoment(
            as_utc(question.created_at), "asked", question.id, question.text, question.upvotes
        )
        moments.append(asked)
        if question.answered_at is not None and question.answer is not None:
            answered_at = as_utc(question.answered_at)
            moments.append(QuestionMoment(answered_at, "answered", question.id, question.answer, 0))
    return sorted(moments, key=lambda moment: moment.at)


@dataclass(frozen=True)
class LikeMoment:
    at: datetime  # the minute's first stored likes
    count: int  # the minute's likes


def like_moments(session: Session, *, room_id: int) -> list[LikeMoment]:
    """The room's likes per minute (``LIKE_BUCKET_SECONDS``), as the workers stored them."""
    buckets: dict[int, LikeMoment] = {}
    rows = session.execute(
        select(RoomLikeCount.at, RoomLikeCount.count)
        .where(RoomLikeCount.room_id == room_id)
        .order_by(RoomLikeCount.at, RoomLikeCount.id)
    ).tuples()
    for stored_at, count in rows:
        at = as_utc(stored_at)
        bucket = int(at.timestamp()) // LIKE_BUCKET_SECONDS
        seen = buckets.get(bucket)
        buckets[bucket] = LikeMoment(seen.at if seen else at, (seen.count if seen else 0) + count)
    return sorted(buckets.values(), key=lambda moment: moment.at)

"""Live rooms: lifecycle, host controls, questions and stored chat.

Every function takes the session first and flushes; the caller commits.
Changes viewers must see are published after commit (see core.bus).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import case, func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from liveshop.accounts.models import User
from liveshop.core.bus import publish_after_commit
from liveshop.core.clock import as_utc, utcnow
from liveshop.core.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from liveshop.core.ids import new_id
from liveshop.core.rooms import RoomFacts
from liveshop.governance.queries import limited_room_ids, may_go_live
from liveshop.live import access, events
from liveshop.live.models import (
    Comment,
    CommentKind,
    HostAction,
    Question,
    QuestionStatus,
    QuestionVote,
    RestrictionKind,
    Room,
    RoomLikeCount,
    RoomRestriction,
    RoomStatus,
)
from liveshop.live.schemas import (
    CommentOut,
    HostOut,
    QuestionOut,
    RestrictionOut,
    RoomOut,
)
from liveshop.live.streams import stream_view


def create_room(
    session: Session,
    *,
    host: User,
    title: str,
    description: str = "",
    scheduled_at: datetime | None = None,
) -> Room:
    access.require_room_opener(host)
    room = Room(
        host_id=host.id,
        title=title.strip(),
        description=description,
        scheduled_at=scheduled_at,
        status=RoomStatus.SCHEDULED,
    )
    session.add(room)
    session.flush()
    publish_after_commit(session, events.RoomChanged(room_id=room.id))
    return room


def get_room(session: Session, *, room_id: int) -> Room:
    room = session.get(Room, room_id)
    if room is None:
        raise NotFound(f"room {room_id} not found", code="room_not_found")
    return room


def room_facts(session: Session, room_id: int) -> RoomFacts:
    """What packages beside ``live`` may know of a room (``core.rooms``' lookup)."""
    room = get_room(session, room_id=room_id)
    return RoomFacts(id=room.id, host_id=room.host_id, status=room.status.value)


ROOM_OUT_DERIVED = frozenset({"host", "stream_status", "playback_url"})


def room_out(session: Session, room: Room) -> RoomOut:
    """The room as the API shows it; its video's state and, only while live, the HLS
    playlist come from the media package (``streams.stream_view``): an offline room
    has no playback URL, so the viewer page shows its poster."""
    host = session.get(User, room.host_id)
    assert host is not None  # foreign key
    stream = stream_view(session, room.id)
    columns = {
        column: getattr(room, column)
        for column in RoomOut.model_fields
        if column not in ROOM_OUT_DERIVED
    }
    return RoomOut.model_validate(
        {
            **columns,
            "playback_url": stream.playback_url,
            "stream_status": stream.status,
            "host": HostOut(id=host.id, username=host.username),
        }
    )


def list_rooms(
    session: Session, *, status: RoomStatus | None = None, limit: int = 100
) -> list[RoomOut]:
    """Rooms for the listings; a room whose exposure moderation limited stays out
    (it is still reachable by its link)."""
    query = select(Room)
    if status is not None:
        query = query.where(Room.status == status)
    hidden = limited_room_ids(session)
    if hidden:
        query = query.where(Room.id.not_in(hidden))
    order = Room.peak_viewers.desc() if status is RoomStatus.LIVE else Room.id.desc()
    rooms = session.scalars(query.order_by(order, Room.id.desc()).limit(limit)).all()
    return [room_out(session, room) for room in rooms]


def controlled_room(session: Session, *, actor: User, room_id: int) -> Room:
    """The room, if the actor runs it (its host, or an admin)."""
    room = get_room(session, room_id=room_id)
    access.require_room_runner(actor, room=room)
    return room


def _record(session: Session, *, room: Room, actor: User, action: str, **details: Any) -> None:
    session.add(HostAction(room_id=room.id, actor_id=actor.id, action=action, details=details))


def start_room(session: Session, *, actor: User, room_id: int) -> Room:
    room = controlled_room(session, actor=actor, room_id=room_id)
    if room.status is not RoomStatus.SCHEDULED:
        raise Conflict(f"a {room.status.value} room cannot start", code="bad_room_status")
    if not may_go_live(session, host_id=room.host_id):
        raise PermissionDenied("the host is suspended or banned", code="host_suspended")
    room.status = RoomStatus.LIVE
    room.started_at = utcnow()
    _record(session, room=room, actor=actor, action="start")
    session.flush()
    publish_after_commit(session, events.RoomStatusChanged(room_id=room.id, status="live"))
    return room


def end_room(session: Session, *, actor: User, room_id: int) -> Room:
    room = controlled_room(session, actor=actor, room_id=room_id)
    if room.status is RoomStatus.ENDED:
        raise Conflict("the room has already ended", code="bad_room_status")
    room.status = RoomStatus.ENDED
    room.ended_at = utcnow()
    _record(session, room=room, actor=actor, action="end")
    session.flush()
    publish_after_commit(session, events.RoomStatusChanged(room_id=room.id, status="ended"))
    return room


def stop_room_by_moderation(session: Session, *, room_id: int) -> None:
    """A moderator stopped the room (the penalty, its rule and evidence are moderation's)."""
    room = session.get(Room, room_id)
    if room is None or room.status is RoomStatus.ENDED:
        return
    room.status = RoomStatus.ENDED
    room.ended_at = utcnow()
    session.flush()
    publish_after_commit(session, events.RoomStatusChanged(room_id=room.id, status="ended"))


def publish_pinned(
    session: Session, *, actor: User, room: Room, card: dict[str, Any] | None
) -> None:
    """Show ``card`` pinned to every viewer (None: unpin). Call with the room controlled."""
    room.pinned = card
    _record(session, room=room, actor=actor, action="pin" if card else "unpin", card=card)
    session.flush()
    publish_after_commit(session, events.PinnedChanged(room_id=room.id, pinned=card))


def unpin_product(session: Session, *, actor: User, room_id: int) -> Room:
    room = controlled_room(session, actor=actor, room_id=room_id)
    publish_pinned(session, actor=actor, room=room, card=None)
    return room


def post_announcement(session: Session, *, actor: User, room_id: int, text: str) -> CommentOut:
    room = controlled_room(session, actor=actor, room_id=room_id)
    text = clean_text(text, max_length=500)
    comment = Comment(
        id=new_id(),
        room_id=room.id,
        user_id=actor.id,
        kind=CommentKind.ANNOUNCEMENT,
        text=text,
        created_at=utcnow(),
    )
    session.add(comment)
    _record(session, room=room, actor=actor, action="announce", text=text)
    session.flush()
    out = CommentOut(
        id=str(comment.id),
        user=actor.public_name,
        user_id=actor.id,
        kind=comment.kind.value,
        text=text,
        ts=comment.created_at.timestamp(),
    )
    publish_after_commit(
        session, events.AnnouncementPosted(room_id=room.id, comment=out.model_dump())
    )
    return out


def restrict_viewer(
    session: Session,
    *,
    actor: User,
    room_id: int,
    user_id: int,
    kind: RestrictionKind,
    minutes: int,
) -> RestrictionOut:
    """Mute or kick a viewer for ``minutes``; a kicked viewer is disconnected at once."""
    room = get_room(session, room_id=room_id)
    access.require_viewer_restricter(actor, room=room)
    if session.get(User, user_id) is None:
        raise NotFound(f"user {user_id} not found", code="user_not_found")
    if user_id == room.host_id:
        raise InvalidInput("the host cannot be restricted in their own room")
    until = utcnow() + timedelta(minutes=minutes)
    session.add(
        RoomRestriction(
            room_id=room.id, user_id=user_id, kind=kind, until=until, created_by=actor.id
        )
    )
    _record(session, room=room, actor=actor, action=kind.value, user_id=user_id, minutes=minutes)
    session.flush()
    publish_after_commit(
        session,
        events.ViewerRestricted(
            room_id=room.id, user_id=user_id, kind=kind.value, until=until.timestamp()
        ),
    )
    return RestrictionOut(room_id=room.id, user_id=user_id, kind=kind, until=until)


def active_restrictions(session: Session, *, room_id: int, user_id: int) -> dict[str, float]:
    """The viewer's live restrictions in the room: kind -> until (epoch seconds)."""
    rows = session.execute(
        select(RoomRestriction.kind, func.max(RoomRestriction.until))
        .where(
            RoomRestriction.room_id == room_id,
            RoomRestriction.user_id == user_id,
        )
        .group_by(RoomRestriction.kind)
    ).all()
    now = utcnow()
    return {kind.value: as_utc(until).timestamp() for kind, until in rows if as_utc(until) > now}


def clean_text(text: str, *, max_length: int) -> str:
    if "\x00" in text:
        # PostgreSQL cannot store NUL; one such chat line would also fail the
        # whole write-behind batch it is in, again on every retry.
        raise InvalidInput("the text contains a NUL character", code="invalid_text")
    text = text.strip()
    if not text:
        raise InvalidInput("the text is empty", code="empty_text")
    if len(text) > max_length:
        raise InvalidInput(f"the text is over {max_length} characters", code="text_too_long")
    return text


def _question_out(question: Question, username: str) -> QuestionOut:
    return QuestionOut(
        id=question.id,
        room_id=question.room_id,
        user=username,
        text=question.text,
        upvotes=question.upvotes,
        status=question.status,
        answer=question.answer,
        pinned=question.is_pinned,
        ts=as_utc(question.created_at).timestamp(),
    )


def _publish_question(session: Session, question: Question) -> QuestionOut:
    author = session.get(User, question.user_id)
    out = _question_out(question, author.public_name if author else "?")
    publish_after_commit(
        session, events.QuestionChanged(room_id=question.room_id, question=out.model_dump())
    )
    return out


def ask_question(session: Session, *, user: User, room_id: int, text: str) -> QuestionOut:
    access.require_participant(user)
    room = get_room(session, room_id=room_id)
    if room.status is not RoomStatus.LIVE:
        raise Conflict("questions are taken while the room is live", code="room_not_live")
    if "mute" in active_restrictions(session, room_id=room_id, user_id=user.id):
        raise PermissionDenied("you are muted in this room", code="muted")
    question = Question(room_id=room.id, user_id=user.id, text=clean_text(text, max_length=300))
    session.add(question)
    session.flush()
    return _publish_question(session, question)


def _get_question(session: Session, *, room_id: int, question_id: int) -> Question:
    question = session.get(Question, question_id)
    if question is None or question.room_id != room_id:
        raise NotFound(f"question {question_id} not found in room {room_id}")
    return question


def upvote_question(session: Session, *, user: User, room_id: int, question_id: int) -> QuestionOut:
    """One vote per viewer per question, guarded by a unique constraint."""
    access.require_participant(user)
    question = _get_question(session, room_id=room_id, question_id=question_id)
    try:
        with session.begin_nested():
            session.add(QuestionVote(question_id=question.id, user_id=user.id))
            session.flush()
    except IntegrityError as error:
        raise Conflict("you already up-voted this question", code="already_voted") from error
    session.execute(
        update(Question).where(Question.id == question.id).values(upvotes=Question.upvotes + 1)
    )
    session.refresh(question)
    return _publish_question(session, question)


def answer_question(
    session: Session, *, actor: User, room_id: int, question_id: int, answer: str
) -> QuestionOut:
    controlled_room(session, actor=actor, room_id=room_id)
    question = _get_question(session, room_id=room_id, question_id=question_id)
    question.answer = clean_text(answer, max_length=2000)
    question.status = QuestionStatus.ANSWERED
    question.answered_at = utcnow()
    session.flush()
    return _publish_question(session, question)


def pin_question(
    session: Session, *, actor: User, room_id: int, question_id: int, pinned: bool = True
) -> QuestionOut:
    """Pin one question over the chat; pinning a question unpins the others."""
    controlled_room(session, actor=actor, room_id=room_id)
    question = _get_question(session, room_id=room_id, question_id=question_id)
    if pinned:
        for other in session.scalars(
            select(Question).where(Question.room_id == room_id, Question.is_pinned.is_(True))
        ):
            other.is_pinned = False
            if other.id != question.id:
                _publish_question(session, other)
    question.is_pinned = pinned
    session.flush()
    return _publish_question(session, question)


def list_questions(
    session: Session, *, room_id: int, status: QuestionStatus | None = None, limit: int = 50
) -> list[QuestionOut]:
    """Top questions first: pinned, then most up-voted, then oldest."""
    get_room(session, room_id=room_id)
    query = (
        select(Question, User.public_name)
        .join(User, User.id == Question.user_id)
        .where(Question.room_id == room_id)
    )
    if status is not None:
        query = query.where(Question.status == status)
    query = query.order_by(
        Question.is_pinned.desc(), Question.upvotes.desc(), Question.id.asc()
    ).limit(limit)
    return [_question_out(question, username) for question, username in session.execute(query)]


def list_comments(
    session: Session, *, room_id: int, after_id: int = 0, limit: int = 100
) -> list[CommentOut]:
    """Stored chat in order, for replays and moderation, paged by ``after_id``."""
    get_room(session, room_id=room_id)
    rows = session.execute(
        select(Comment, User.public_name)
        .outerjoin(User, User.id == Comment.user_id)
        .where(Comment.room_id == room_id, Comment.id > after_id)
        .order_by(Comment.id.asc())
        .limit(limit)
    ).tuples()
    return _comments_out(rows)


def list_recent_comments(session: Session, *, room_id: int, limit: int = 50) -> list[CommentOut]:
    """The newest ``limit`` lines, oldest first (a joining viewer's scrollback)."""
    rows = (
        session.execute(
            select(Comment, User.public_name)
            .outerjoin(User, User.id == Comment.user_id)
            .where(Comment.room_id == room_id)
            .order_by(Comment.id.desc())
            .limit(limit)
        )
        .tuples()
        .all()
    )
    return _comments_out(reversed(rows))


def _comments_out(rows: Iterable[tuple[Comment, str | None]]) -> list[CommentOut]:
    return [
        CommentOut(
            id=str(comment.id),
            user=username,
            user_id=comment.user_id,
            kind=comment.kind.value,
            text=comment.text,
            ts=as_utc(comment.created_at).timestamp(),
        )
        for comment, username in rows
    ]


def store_comments(session: Session, *, comments: Sequence[dict[str, Any]]) -> None:
    """Write a batch of chat lines collected by the hub (one INSERT for the batch)."""
    if comments:
        session.execute(insert(Comment), list(comments))


def add_room_counters(
    session: Session, *, room_id: int, likes: int, comments: int, viewers: int
) -> None:
    """Add this worker's new likes and comments; keep the viewer count and its peak.

    Additive updates let every worker persist its own share without a read; the new
    likes are also kept with their moment, for the replay.
    """
    if likes > 0:
        session.add(RoomLikeCount(room_id=room_id, count=likes))
    session.execute(
        update(Room)
        .where(Room.id == room_id)
        .values(
            likes=Room.likes + likes,
            comment_count=Room.comment_count + comments,
            viewers=viewers,
            peak_viewers=case((Room.peak_viewers < viewers, viewers), else_=Room.peak_viewers),
        )
    )


def has_commented(
    session: Session, *, room_id: int, user_id: int, containing: str, since: datetime
) -> bool:
    """Whether the viewer wrote a line containing ``containing`` in the room since a moment
    (lucky-draw entry tasks). Chat is written behind, up to a couple of seconds late."""
    return (
        session.scalar(
            select(Comment.id)
            .where(
                Comment.room_id == room_id,
                Comment.user_id == user_id,
                Comment.created_at >= since,
                Comment.text.contains(containing, autoescape=True),
            )
            .limit(1)
        )
        is not None
    )

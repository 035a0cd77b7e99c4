"""Chat lines the filter held for a moderator (verdict ``review``).

The author sees their line at once; nobody else does. The hub writes held
lines behind in its batches (never on the event loop), and moderators work
through them oldest first: approving publishes the line to the room (if it is
still live) and stores it with the chat, under the id the hub minted;
rejecting keeps it from everyone. Each decision goes to moderation's audit log.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from liveshop.accounts.models import User
from liveshop.core.audit.log import append_audit, user_ref
from liveshop.core.bus import publish_after_commit
from liveshop.core.clock import as_utc, utcnow
from liveshop.core.db import rows_changed
from liveshop.core.errors import Conflict, NotFound, PermissionDenied
from liveshop.governance.access import require_moderator
from liveshop.live import events
from liveshop.live.models import Comment, HeldComment, HeldCommentStatus, Room, RoomStatus
from liveshop.live.schemas import CommentOut, HeldCommentOut

MAX_QUEUE = 200


def store_held_comments(session: Session, *, held: Sequence[dict[str, Any]]) -> None:
    """Write a batch of held lines collected by the hub (one INSERT for the batch)."""
    if held:
        session.execute(insert(HeldComment), list(held))


def _out(held: HeldComment, author: str, room_title: str) -> HeldCommentOut:
    return HeldCommentOut(
        id=str(held.id),
        room_id=held.room_id,
        room_title=room_title,
        user_id=held.user_id,
        user=author,
        kind=held.kind.value,
        text=held.text,
        categories=list(held.categories),
        status=held.status,
        at=as_utc(held.created_at),
        decided_by=held.decided_by,
        decided_at=as_utc(held.decided_at) if held.decided_at else None,
        decision_note=held.decision_note,
    )


def held_comment_queue(
    session: Session,
    *,
    moderator: User,
    status: HeldCommentStatus = HeldCommentStatus.HELD,
    limit: int = 100,
) -> list[HeldCommentOut]:
    """Held lines of one status (waiting ones by default), oldest first."""
    require_moderator(moderator)
    rows = session.execute(
        select(HeldComment, User.username, Room.title)
        .join(User, User.id == HeldComment.user_id)
        .join(Room, Room.id == HeldComment.room_id)
        .where(HeldComment.status == status)
        .order_by(HeldComment.created_at, HeldComment.id)
        .limit(min(limit, MAX_QUEUE))
    ).tuples()
    return [_out(held, author, title) for held, author, title in rows]


def _decide(
    session: Session,
    *,
    moderator: User,
    held_comment_id: int,
    status: HeldCommentStatus,
    note: str,
) -> HeldComment:
    """Record the decision on a line still held (one conditional UPDATE, so two
    moderators deciding at once cannot both succeed)."""
    require_moderator(moderator)
    held = session.get(HeldComment, held_comment_id)
    if held is None:
        raise NotFound(f"held comment {held_comment_id} not found", code="comment_not_found")
    if held.user_id == moderator.id:
        raise PermissionDenied("another moderator decides on your own line", code="own_comment")
    decided = session.execute(
        update(HeldComment)
        .where(HeldComment.id == held.id, HeldComment.status == HeldCommentStatus.HELD)
        .values(
            status=status, decided_by=moderator.id, decided_at=utcnow(), decision_note=note or None
        )
    )
    if rows_changed(decided) != 1:
        raise Conflict("this comment was decided already", code="comment_decided")
    session.refresh(held)
    append_audit(
        session,
        actor=user_ref(moderator.id),
        action=f"chat.held_{status.value}",
        subject=f"comment:{held.id}",
        details={"room_id": held.room_id, "author": user_ref(held.user_id)},
    )
    return held


def _described(session: Session, held: HeldComment) -> HeldCommentOut:
    author = session.get_one(User, held.user_id)
    room = session.get_one(Room, held.room_id)
    return _out(held, author.username, room.title)


def approve_held_comment(
    session: Session, *, moderator: User, held_comment_id: int, note: str = ""
) -> HeldCommentOut:
    """Publish the line to its room (if still live) and store it with the chat."""
    held = _decide(
        session,
        moderator=moderator,
        held_comment_id=held_comment_id,
        status=HeldCommentStatus.APPROVED,
        note=note,
    )
    session.add(
        Comment(
            id=held.id,
            room_id=held.room_id,
            user_id=held.user_id,
            kind=held.kind,
            text=held.text,
            created_at=held.created_at,
        )
    )
    session.execute(
        update(Room).where(Room.id == held.room_id).values(comment_count=Room.comment_count + 1)
    )
    session.flush()
    out = _described(session, held)
    if session.get_one(Room, held.room_id).status is RoomStatus.LIVE:
        line = CommentOut(
            id=out.id,
            user=out.user,
            user_id=out.user_id,
            kind=out.kind,
            text=out.text,
            ts=out.at.timestamp(),
        )
        publish_after_commit(
            session, events.HeldCommentApproved(room_id=held.room_id, comment=line.model_dump())
        )
    return out


def reject_held_comment(
    session: Session, *, moderator: User, held_comment_id: int, note: str = ""
) -> HeldCommentOut:
    """Keep the line from everyone but its author, for good."""
    held = _decide(
        session,
        moderator=moderator,
        held_comment_id=held_comment_id,
        status=HeldCommentStatus.REJECTED,
        note=note,
    )
    return _described(session, held)

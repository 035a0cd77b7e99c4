"""What moderation captures of a reported comment, read from the stored chat.

``moderation`` sits below ``live`` and may not read its tables, so this module
gives it an evidence source (registered by ``liveshop.wiring``): the
reported line, its author, room and time, and the chat around it as it was when
the report came in.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from liveshop.accounts.models import User
from liveshop.core.clock import as_utc
from liveshop.governance.reports import CapturedEvidence
from liveshop.live.models import Comment

# Lines kept on each side of the reported one: enough to see what it answered
# and what it set off, few enough to read at a glance in the queue.
CONTEXT_LINES = 10

ChatLine = tuple[Comment, str | None]  # a comment and its author's name


def _with_author() -> Select[Comment, str]:
    return select(Comment, User.username).outerjoin(User, User.id == Comment.user_id)


def _line(comment: Comment, author: str | None, *, reported: bool) -> dict[str, Any]:
    return {
        "id": str(comment.id),  # 63-bit: a string, as frames carry it (JavaScript safe)
        "author_id": comment.user_id,
        "author": author,
        "kind": comment.kind.value,
        "text": comment.text,
        "at": as_utc(comment.created_at).isoformat(),
        "reported": reported,
    }


def surrounding_chat(
    session: Session, *, comment: Comment
) -> tuple[list[ChatLine], list[ChatLine]]:
    """Up to ``CONTEXT_LINES`` stored lines of the same room before and after
    ``comment``, each side oldest first (ids are minted in arrival order, see core.ids)."""
    in_room = _with_author().where(Comment.room_id == comment.room_id)
    before = session.execute(
        in_room.where(Comment.id < comment.id).order_by(Comment.id.desc()).limit(CONTEXT_LINES)
    ).tuples()
    after = session.execute(
        in_room.where(Comment.id > comment.id).order_by(Comment.id.asc()).limit(CONTEXT_LINES)
    ).tuples()
    return list(reversed(before.all())), list(after.all())


def comment_evidence(session: Session, comment_id: int) -> CapturedEvidence | None:
    """The reported comment with the chat around it; None while the comment is not
    stored (the hub writes chat behind, every couple of seconds), so the report
    keeps the reporter's copy instead of being refused."""
    found = session.execute(_with_author().where(Comment.id == comment_id)).tuples().first()
    if found is None:
        return None
    comment, author = found
    before, after = surrounding_chat(session, comment=comment)
    context = [
        *(_line(line, name, reported=False) for line, name in before),
        _line(comment, author, reported=True),
        *(_line(line, name, reported=False) for line, name in after),
    ]
    return CapturedEvidence(
        accused_user_id=comment.user_id,
        room_id=comment.room_id,
        facts={
            "message": comment.text,
            "author_id": comment.user_id,
            "author": author,
            "kind": comment.kind.value,
            "room_id": comment.room_id,
            "at": as_utc(comment.created_at).isoformat(),
            "context": context,
        },
    )

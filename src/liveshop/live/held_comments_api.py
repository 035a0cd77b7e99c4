"""The moderators' queue of chat lines the filter held (thin routes; see held_comments)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query

from liveshop.accounts.dependencies import CurrentUser
from liveshop.core.dependencies import DbSession
from liveshop.live import held_comments
from liveshop.live.models import HeldCommentStatus
from liveshop.live.schemas import HeldCommentDecisionIn, HeldCommentOut

MAX_COMMENT_ID = 2**63 - 1  # ids are 63-bit (core.ids)

router = APIRouter(prefix="/api/moderation/held-comments", tags=["moderation"])
CommentId = Annotated[int, Path(ge=1, le=MAX_COMMENT_ID, description="a held line's id")]


@router.get("")
def queue(
    user: CurrentUser,
    session: DbSession,
    status: HeldCommentStatus = HeldCommentStatus.HELD,
    limit: Annotated[int, Query(ge=1, le=held_comments.MAX_QUEUE)] = 100,
) -> list[HeldCommentOut]:
    """Held chat lines, oldest first (those waiting for a decision by default)."""
    return held_comments.held_comment_queue(session, moderator=user, status=status, limit=limit)


@router.post("/{comment_id}/approve")
def approve(
    comment_id: CommentId,
    user: CurrentUser,
    session: DbSession,
    body: HeldCommentDecisionIn | None = None,
) -> HeldCommentOut:
    """Publish the line to its room (if still live) and keep it with the chat."""
    return held_comments.approve_held_comment(
        session, moderator=user, held_comment_id=comment_id, note=body.note if body else ""
    )


@router.post("/{comment_id}/reject")
def reject(
    comment_id: CommentId,
    user: CurrentUser,
    session: DbSession,
    body: HeldCommentDecisionIn | None = None,
) -> HeldCommentOut:
    """Keep the line from everyone but its author."""
    return held_comments.reject_held_comment(
        session, moderator=user, held_comment_id=comment_id, note=body.note if body else ""
    )

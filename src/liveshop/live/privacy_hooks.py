"""What live holds about a person, for privacy's export and retention: the chat
lines and questions they wrote, and their lines the filter held for a
moderator. Chat is part of the live record, kept for the legal hold and then
purged by retention."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from liveshop.core.db import rows_changed
from liveshop.core.settings import Settings
from liveshop.live.models import Comment, HeldComment, Question
from liveshop.privacy.registry import DataSubject


def _iso(moment: datetime) -> str:
    return moment.isoformat()


def export_live(subject: DataSubject) -> dict[str, Any]:
    session, user_id = subject.session, subject.user_id
    comments = session.scalars(
        select(Comment).where(Comment.user_id == user_id).order_by(Comment.created_at)
    ).all()
    questions = session.scalars(
        select(Question).where(Question.user_id == user_id).order_by(Question.id)
    ).all()
    held = session.scalars(
        select(HeldComment).where(HeldComment.user_id == user_id).order_by(HeldComment.id)
    ).all()
    return {
        "comments": [
            {"room_id": c.room_id, "text": c.text, "at": _iso(c.created_at)} for c in comments
        ],
        "questions": [
            {"room_id": q.room_id, "text": q.text, "at": _iso(q.created_at)} for q in questions
        ],
        "held_comments": [
            {
                "room_id": line.room_id,
                "text": line.text,
                "at": _iso(line.created_at),
                "status": line.status.value,
            }
            for line in held
        ],
    }


def purge_chat(session: Session, cutoff: datetime, _settings: Settings) -> int:
    """Chat lines, held lines and questions older than the cutoff."""
    comments = session.execute(delete(Comment).where(Comment.created_at < cutoff))
    held = session.execute(delete(HeldComment).where(HeldComment.created_at < cutoff))
    questions = session.execute(delete(Question).where(Question.created_at < cutoff))
    return rows_changed(comments) + rows_changed(held) + rows_changed(questions)

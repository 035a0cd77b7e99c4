"""What the notification centre holds about a person: follows, reminders, notices,
the email address and preferences, queued emails. Export shows them; erasure
deletes them all."""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, select

from liveshop.core.db import rows_changed
from liveshop.core.languages import source_words
from liveshop.notifications.models import (
    HostFollower,
    Notification,
    NotificationSettings,
    OutboundEmail,
    RoomReminder,
)
from liveshop.notifications.words import word_notice
from liveshop.privacy.registry import DataSubject

OWNED = (
    ("host_follows", HostFollower),
    ("room_reminders", RoomReminder),
    ("notifications", Notification),
    ("notification_settings", NotificationSettings),
    ("outbound_emails", OutboundEmail),
)


def export_notifications(subject: DataSubject) -> dict[str, Any]:
    session, user_id = subject.session, subject.user_id
    settings = session.get(NotificationSettings, user_id)
    notices = session.scalars(
        select(Notification).where(Notification.user_id == user_id).order_by(Notification.id)
    ).all()
    return {
        "followed_hosts": list(
            session.scalars(select(HostFollower.host_id).where(HostFollower.user_id == user_id))
        ),
        "room_reminders": list(
            session.scalars(select(RoomReminder.room_id).where(RoomReminder.user_id == user_id))
        ),
        "email": settings.email if settings else None,
        "preferences": dict(settings.kinds) if settings else {},
        "notifications": [_exported(notice) for notice in notices],
    }


def _exported(notice: Notification) -> dict[str, Any]:
    """A notice as it read in Chinese (accounts keep no language of their own), with
    the parameters it was kept as."""
    worded = word_notice(
        notice.kind, notice.params, stored=(notice.title, notice.body), words=source_words()
    )
    return {
        "kind": notice.kind.value,
        "params": notice.params,
        "title": worded.title,
        "body": worded.body,
        "created_at": notice.created_at.isoformat(),
        "read": notice.read_at is not None,
    }


def erase_notifications(subject: DataSubject) -> dict[str, int]:
    counts = {}
    for name, table in OWNED:
        column = table.user_id
        counts[name] = rows_changed(
            subject.session.execute(delete(table).where(column == subject.user_id))
        )
    return counts

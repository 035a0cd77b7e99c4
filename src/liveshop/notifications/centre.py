"""The notification centre: writing notices (once per fact and user), reading them,
marking them read, per-kind preferences and the signed one-click unsubscribe.

Writes are batched inserts that skip a (user, fact) already written, so an event
delivered twice or a fan-out batch run again notifies nobody twice. What was
written leaves after commit as :class:`NotificationsPosted` (open pages), and as
queued emails for those who opted in.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from liveshop.accounts.models import User
from liveshop.core.bus import publish_after_commit
from liveshop.core.clock import utcnow
from liveshop.core.db import Base, rows_changed
from liveshop.core.errors import InvalidInput
from liveshop.core.languages import SOURCE_LOCALE, Words, words_for
from liveshop.notifications import access
from liveshop.notifications.events import NotificationsPosted
from liveshop.notifications.models import (
    Notification,
    NotificationKind,
    NotificationSettings,
    OutboundEmail,
)
from liveshop.notifications.schemas import (
    KindPreference,
    MarkedRead,
    NotificationOut,
    NotificationPage,
    PreferencesIn,
    PreferencesOut,
)
from liveshop.notifications.words import Worded, word_notice

DEFAULT_PREFERENCE = KindPreference()  # in the centre, no email
UNSUBSCRIBE_PURPOSE = b"liveshop-unsubscribe-v1"


@dataclass(frozen=True)
class Notice:
    """One fact to tell, the same for every addressee: its kind and parameters, worded
    for each reader in their language when read (notifications.words)."""

    kind: NotificationKind
    dedupe_key: str  # the fact: "room_live:12", "order_shipped:40"
    params: dict[str, Any] | None  # None only for a fan-out queued before notices had them
    link: str = ""
    stored: tuple[str, str] = ("", "")  # such a fan-out's (title, body): its words

    def worded(self, words: Words) -> Worded:
        return word_notice(self.kind, self.params, stored=self.stored, words=words)


@dataclass(frozen=True)
class Mailing:
    """Where emails' one-click unsubscribe links point, and the key that signs them."""

    site_url: str
    secret_key: str


def _insert(session: Session, table: Any) -> Any:
    dialect = session.get_bind().dialect.name
    return postgresql.insert(table) if dialect == "postgresql" else sqlite.insert(table)


@dataclass(frozen=True)
class Preferences:
    """What a user who set any preference wants: where mail goes, per kind, and the
    language they read (their account's, for the mail)."""

    email: str | None
    kinds: dict[str, Any]
    locale: str


NO_PREFERENCES = Preferences(email=None, kinds={}, locale=SOURCE_LOCALE)


def preferences_of(session: Session, user_ids: Sequence[int]) -> dict[int, Preferences]:
    """The preferences of the users who set any; others take the defaults."""
    if not user_ids:
        return {}
    rows = session.execute(
        select(
            NotificationSettings.user_id,
            NotificationSettings.email,
            NotificationSettings.kinds,
            User.locale,
        )
        .join(User, User.id == NotificationSettings.user_id)
        .where(NotificationSettings.user_id.in_(list(user_ids)))
    ).all()
    return {
        user_id: Preferences(email=email, kinds=kinds or {}, locale=locale or SOURCE_LOCALE)
        for user_id, email, kinds, locale in rows
    }


def _preference(kinds: dict[str, Any], kind: NotificationKind) -> KindPreference:
    raw = kinds.get(kind.value)
    return KindPreference.model_validate(raw) if isinstance(raw, dict) else DEFAULT_PREFERENCE


def notify_users(
    session: Session,
    *,
    user_ids: Sequence[int],
    notice: Notice,
    mailing: Mailing | None = None,
    now: datetime | None = None,
) -> int:
    """Tell ``notice`` to each user (as their preferences allow), once; the number of
    notices written now. Emails are queued when ``mailing`` is given."""
    addressed = [(user_id, notice) for user_id in dict.fromkeys(user_ids)]
    return notify_each(session, notices=addressed, mailing=mailing, now=now)


def notify_each(
    session: Session,
    *,
    notices: Sequence[tuple[int, Notice]],
    mailing: Mailing | None = None,
    now: datetime | None = None,
) -> int:
    """Tell each (user, notice) pair as the user's preferences allow, once per user and
    fact: many facts (a batch of outbid notices) in one read of the preferences and one
    insert. The number of notices written now; emails are queued when ``mailing`` is
    given."""
    moment = now or utcnow()
    preferences = preferences_of(session, list({user_id for user_id, _ in notices}))
    in_app: list[dict[str, Any]] = []
    emails: list[dict[str, Any]] = []
    for user_id, notice in notices:
        preference = preferences.get(user_id, NO_PREFERENCES)
        wanted = _preference(preference.kinds, notice.kind)
        if wanted.in_app:
            in_app.append(
                {
                    "user_id": user_id,
                    "kind": notice.kind,
                    "params": notice.params,
                    "title": notice.stored[0],
                    "body": notice.stored[1],
                    "link": notice.link,
                    "dedupe_key": notice.dedupe_key,
                    "created_at": moment,
                }
            )
        if wanted.email and preference.email and mailing is not None:
            emails.append(_email_row(user_id, preference, notice, mailing, moment))
    written = _write_notices(session, in_app)
    if emails:
        session.execute(
            _insert(session, OutboundEmail)
            .values(emails)
            .on_conflict_do_nothing(index_elements=["user_id", "dedupe_key"])
        )
    return written


NOTICES_TABLE = Base.metadata.tables[Notification.__tablename__]
WRITTEN_NOTICE = (
    NOTICES_TABLE.c.id,
    NOTICES_TABLE.c.user_id,
    NOTICES_TABLE.c.kind,
    NOTICES_TABLE.c.params,
    NOTICES_TABLE.c.title,
    NOTICES_TABLE.c.body,
    NOTICES_TABLE.c.link,
    NOTICES_TABLE.c.created_at,
)
# Built once per dialect (Core on the table, not the ORM's bulk path): its compiled
# form is cached, and the rows go as multi-row VALUES in one round trip or a few.
WRITE_NOTICES = {
    dialect.__name__.rsplit(".", 1)[-1]: dialect.insert(NOTICES_TABLE)
    .on_conflict_do_nothing(index_elements=["user_id", "dedupe_key"])
    .returning(*WRITTEN_NOTICE)
    for dialect in (postgresql, sqlite)
}


def _write_notices(session: Session, rows: list[dict[str, Any]]) -> int:
    if not rows:
        return 0
    statement = WRITE_NOTICES[session.get_bind().dialect.name]
    inserted = session.execute(statement, rows).all()
    if inserted:
        publish_after_commit(
            session,
            NotificationsPosted(
                items=tuple(
                    (
                        user_id,
                        {
                            "id": notification_id,
                            "kind": NotificationKind(kind).value,
                            "params": params,
                            "title": title,
                            "body": body,
                            "link": link,
                            "created_at": created_at.isoformat(),
                        },
                    )
                    for notification_id, user_id, kind, params, title, body, link, created_at in (
                        inserted
                    )
                )
            ),
        )
    return len(inserted)


def _email_row(
    user_id: int, preference: Preferences, notice: Notice, mailing: Mailing, moment: datetime
) -> dict[str, Any]:
    """The email in the language the user reads (their account's), worded now: it is
    sent later, with no page to ask."""
    link = f"{mailing.site_url.rstrip('/')}{notice.link}" if notice.link else mailing.site_url
    words = words_for(preference.locale)
    worded = notice.worded(words)
    leave = unsubscribe_url(mailing, user_id=user_id, kind=notice.kind)
    footer = words.gettext("退订此类邮件：%(link)s") % {"link": leave}
    return {
        "user_id": user_id,
        "dedupe_key": notice.dedupe_key,
        "kind": notice.kind,
        "recipient": preference.email,
        "subject": worded.title,
        "body": f"{worded.body}\n\n{link}\n\n{footer}".strip(),
        "unsubscribe_url": leave,
        "created_at": moment,
        "attempts": 0,
        "status": "PENDING",
    }


# --- reading ---


def unread_count(session: Session, *, user: User) -> int:
    return int(
        session.scalar(
            select(func.count())
            .select_from(Notification)
            .where(Notification.user_id == user.id, Notification.read_at.is_(None))
        )
        or 0
    )


def _out(notification: Notification, words: Words) -> NotificationOut:
    worded = word_notice(
        notification.kind,
        notification.params,
        stored=(notification.title, notification.body),
        words=words,
    )
    return NotificationOut(
        id=notification.id,
        kind=notification.kind,
        params=notification.params,
        title=worded.title,
        body=worded.body,
        lang=worded.lang,
        link=notification.link,
        created_at=notification.created_at,
        read=notification.read_at is not None,
    )


def posted_out(item: dict[str, Any], words: Words) -> dict[str, Any]:
    """A notice as posted to open pages (NotificationsPosted), worded in ``words``."""
    kind = NotificationKind(item["kind"])
    worded = word_notice(kind, item["params"], stored=(item["title"], item["body"]), words=words)
    return item | {"title": worded.title, "body": worded.body, "lang": worded.lang}


def list_notifications(
    session: Session,
    *,
    user: User,
    words: Words,
    unread_only: bool = False,
    before_id: int | None = None,
    limit: int = 30,
) -> NotificationPage:
    """Newest first, in ``words``; page with ``before_id`` (the last id seen)."""
    query = select(Notification).where(Notification.user_id == user.id)
    if unread_only:
        query = query.where(Notification.read_at.is_(None))
    if before_id is not None:
        query = query.where(Notification.id < before_id)
    rows = session.scalars(query.order_by(Notification.id.desc()).limit(limit)).all()
    return NotificationPage(
        unread=unread_count(session, user=user), items=[_out(n, words) for n in rows]
    )


def mark_read(session: Session, *, user: User, notification_id: int) -> MarkedRead:
    notification = access.require_own_notification(
        user, notification=session.get(Notification, notification_id)
    )
    changed = session.execute(
        update(Notification)
        .where(Notification.id == notification.id, Notification.read_at.is_(None))
        .values(read_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    return MarkedRead(marked=rows_changed(changed), unread=unread_count(session, user=user))


def mark_all_read(session: Session, *, user: User) -> MarkedRead:
    changed = session.execute(
        update(Notification)
        .where(Notification.user_id == user.id, Notification.read_at.is_(None))
        .values(read_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    return MarkedRead(marked=rows_changed(changed), unread=0)


# --- preferences and unsubscribing ---


def _settings_row(session: Session, user_id: int) -> NotificationSettings:
    row = session.get(NotificationSettings, user_id)
    if row is None:
        row = NotificationSettings(user_id=user_id, email=None, kinds={})
        session.add(row)
        session.flush()
    return row


def preferences(session: Session, *, user: User) -> PreferencesOut:
    row = session.get(NotificationSettings, user.id)
    kinds = (row.kinds if row else {}) or {}
    return PreferencesOut(
        email=row.email if row else None,
        kinds={kind: _preference(kinds, kind) for kind in NotificationKind},
    )


def set_preferences(session: Session, *, user: User, body: PreferencesIn) -> PreferencesOut:
    """Set the address and the kinds given; kinds left out keep what they had."""
    row = _settings_row(session, user.id)
    row.email = body.email
    kinds = dict(row.kinds or {})
    for kind, preference in body.kinds.items():
        kinds[kind.value] = preference.model_dump()
    row.kinds = kinds
    session.flush()
    return preferences(session, user=user)


def _signature(secret_key: str, message: str) -> str:
    key = hashlib.sha256(UNSUBSCRIBE_PURPOSE + secret_key.encode()).digest()
    digest = hmac.new(key, message.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest[:18]).decode().rstrip("=")


def unsubscribe_token(secret_key: str, *, user_id: int, kind: NotificationKind) -> str:
    message = f"{user_id}.{kind.value}"
    return f"{message}.{_signature(secret_key, message)}"


def unsubscribe_url(mailing: Mailing, *, user_id: int, kind: NotificationKind) -> str:
    token = unsubscribe_token(mailing.secret_key, user_id=user_id, kind=kind)
    return f"{mailing.site_url.rstrip('/')}/notifications/unsubscribe?token={token}"


def unsubscribe(session: Session, *, secret_key: str, token: str) -> NotificationKind:
    """Turn off the emails of one kind for the token's user; no sign-in needed (the
    link in the email is the proof). A forged or altered token is refused."""
    user_id_text, _, rest = token.partition(".")
    kind_text, _, signature = rest.partition(".")
    message = f"{user_id_text}.{kind_text}"
    if not (
        user_id_text.isdigit()
        and kind_text in {kind.value for kind in NotificationKind}
        and hmac.compare_digest(signature, _signature(secret_key, message))
    ):
        raise InvalidInput("this unsubscribe link is not valid", code="bad_unsubscribe_token")
    kind = NotificationKind(kind_text)
    user_id = int(user_id_text)
    if session.get(User, user_id) is None:
        raise InvalidInput("this unsubscribe link is not valid", code="bad_unsubscribe_token")
    row = _settings_row(session, user_id)
    kinds = dict(row.kinds or {})
    current = _preference(kinds, kind)
    kinds[kind.value] = {"in_app": current.in_app, "email": False}
    row.kinds = kinds
    session.flush()
    return kind

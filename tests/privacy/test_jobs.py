"""The scheduled retention pass: every class purged in its own transaction, logged,
and a class that fails does not stop the others."""

from __future__ import annotations

import json
import logging
from datetime import timedelta

import pytest
from sqlalchemy import select

from liveshop.accounts import service as accounts
from liveshop.accounts.models import ApiToken, Role
from liveshop.core.audit.models import AuditEntry
from liveshop.core.clock import utcnow
from liveshop.core.db import unit_of_work
from liveshop.core.settings import Settings
from liveshop.live.models import Comment, CommentKind, Room
from liveshop.privacy.jobs import run_retention_once
from liveshop.privacy.retention import LEGAL_HOLD, DataClass

TOKENS_KEPT = timedelta(days=30)  # RETENTION[DataClass.API_TOKENS]


def _seed(database_url: str) -> None:
    """Expired and unexpired rows of two classes: API tokens and chat."""
    now = utcnow()
    with unit_of_work(database_url) as session:
        user = accounts.create_user(
            session, username="kept_user", password="a long password", role=Role.VIEWER
        )
        for name, expires_at in (
            ("dead_long_ago", now - TOKENS_KEPT - timedelta(days=1)),
            ("dead_lately", now - timedelta(days=1)),
            ("live", now + TOKENS_KEPT),
        ):
            session.add(ApiToken(user_id=user.id, token_hash=name, expires_at=expires_at))
        room = Room(host_id=user.id, title="room")
        session.add(room)
        session.flush()
        for comment_id, age in ((1, LEGAL_HOLD + timedelta(days=1)), (2, timedelta(days=1))):
            session.add(
                Comment(
                    id=comment_id,
                    room_id=room.id,
                    user_id=user.id,
                    kind=CommentKind.COMMENT,
                    text="hi",
                    created_at=now - age,
                )
            )


def _token_names(database_url: str) -> list[str]:
    with unit_of_work(database_url) as session:
        return sorted(session.scalars(select(ApiToken.token_hash)))


def test_a_pass_purges_each_class_past_its_period_and_logs_what_it_removed(
    settings: Settings, database_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    _seed(database_url)

    with caplog.at_level(logging.INFO, logger="liveshop.privacy.jobs"):
        done = run_retention_once(settings)

    assert done.failed == []
    assert {run.data_class: run.removed for run in done.runs} == {
        DataClass.BEHAVIOUR_EVENTS: {"behaviour_events": 0},
        DataClass.CHAT_MESSAGES: {"live_chat": 1},
        DataClass.API_TOKENS: {"api_tokens": 1},
        DataClass.CONSENT_RECORDS: {"consents": 0},
        DataClass.AUDIT_LOG: {"audit_log": 0},
        DataClass.ORDER_ADDRESSES: {"orders": 0},
    }
    assert _token_names(database_url) == ["dead_lately", "live"]
    with unit_of_work(database_url) as session:
        assert session.scalars(select(Comment.id)).all() == [2]
        audit = session.scalars(select(AuditEntry.details).order_by(AuditEntry.seq)).all()
    # one transaction, so one audit entry, per class that removed something
    assert [json.loads(details) for details in audit] == [
        {"chat_messages": {"live_chat": 1}},
        {"api_tokens": {"api_tokens": 1}},
    ]
    logged = [record.getMessage() for record in caplog.records]
    assert len(logged) == len(DataClass)
    assert logged[2].startswith("retention of api_tokens before ")
    assert logged[2].endswith(" removed {'api_tokens': 1}")


def test_a_class_that_fails_is_logged_and_the_others_are_still_purged(
    settings: Settings, database_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    _seed(database_url)
    store = settings.event_store_path()
    store.parent.mkdir(parents=True, exist_ok=True)
    store.write_text("not a DuckDB file")  # the behaviour-event store cannot be opened

    with caplog.at_level(logging.INFO, logger="liveshop.privacy.jobs"):
        done = run_retention_once(settings)

    assert done.failed == [DataClass.BEHAVIOUR_EVENTS]
    assert [run.data_class for run in done.runs] == list(DataClass)[1:]
    assert _token_names(database_url) == ["dead_lately", "live"]
    (error,) = [record for record in caplog.records if record.levelno == logging.ERROR]
    assert error.getMessage() == ("retention of behaviour_events failed; the next pass retries it")
    assert error.exc_info is not None

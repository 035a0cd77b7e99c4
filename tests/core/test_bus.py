"""Events, callbacks and before-commit writes wait for the outer commit: a savepoint's
release (``begin_nested``, as a wallet payment makes) is not a commit."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from liveshop.accounts.models import Role, User
from liveshop.core.bus import (
    DomainEvent,
    bus,
    call_after_commit,
    call_before_commit,
    publish_after_commit,
)
from liveshop.core.db import unit_of_work


@dataclass(frozen=True)
class Noted(DomainEvent):
    name: str


@pytest.fixture
def delivered() -> Iterator[list[str]]:
    seen: list[str] = []

    def note(event: DomainEvent) -> None:
        assert isinstance(event, Noted)
        seen.append(event.name)

    bus.subscribe(Noted, note)
    yield seen
    bus.unsubscribe(Noted, note)


def _users(session: Session) -> int:
    return int(session.scalar(select(func.count(User.id))) or 0)


def test_a_savepoint_release_delivers_nothing_until_the_outer_commit(
    database_url: str, delivered: list[str]
) -> None:
    steps: list[str] = []
    with unit_of_work(database_url) as session:
        with session.begin_nested():
            publish_after_commit(session, Noted("paid"))
            call_after_commit(session, lambda: steps.append("callback"))
            call_before_commit(session, lambda s: steps.append("before commit"))
        steps.append("savepoint released")
        assert delivered == []
    assert steps == ["savepoint released", "before commit", "callback"]
    assert delivered == ["paid"]


def test_a_listener_may_write_in_a_transaction_of_its_own_after_a_savepoint(
    database_url: str, delivered: list[str]
) -> None:
    """The event reaches listeners after the commit, so a listener that opens its own
    write transaction (campaigns after OrderPaid) does not wait for the lock its own
    thread still holds."""

    def write_own(event: DomainEvent) -> None:
        with unit_of_work(database_url) as own:
            name = f"listener-{len(delivered)}"
            own.add(User(username=name, password_hash="!", role=Role.VIEWER))

    bus.subscribe(Noted, write_own)
    try:
        with unit_of_work(database_url) as session:
            before = _users(session)
            with session.begin_nested():
                publish_after_commit(session, Noted("paid"))
    finally:
        bus.unsubscribe(Noted, write_own)
    with unit_of_work(database_url, writes=False) as session:
        assert _users(session) == before + 1
    assert delivered == ["paid"]


def test_an_outer_rollback_drops_what_a_savepoint_queued(
    database_url: str, delivered: list[str]
) -> None:
    def failing_use_case() -> None:
        with unit_of_work(database_url) as session:
            with session.begin_nested():
                publish_after_commit(session, Noted("paid"))
            raise RuntimeError("the use case failed after its savepoint")

    with pytest.raises(RuntimeError):
        failing_use_case()
    assert delivered == []

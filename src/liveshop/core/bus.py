"""The in-process domain event bus, with publish-after-commit.

Services call :func:`publish_after_commit`; the events leave only when the
session's transaction commits, and are dropped if it rolls back, so no
viewer ever sees a change that was not stored.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import Session

logger = logging.getLogger(__name__)

PENDING_KEY = "liveshop_pending_events"
CALLBACKS_KEY = "liveshop_after_commit"
BEFORE_COMMIT_KEY = "liveshop_before_commit"


@dataclass(frozen=True)
class DomainEvent:
    """Base of every domain event; subclasses are plain frozen dataclasses."""


Handler = Callable[[Any], None]


class EventBus:
    def __init__(self) -> None:
        self._handlers: dict[type[DomainEvent], list[Handler]] = defaultdict(list)

    def subscribe(self, event_type: type[DomainEvent], handler: Handler) -> None:
        self._handlers[event_type].append(handler)

    def unsubscribe(self, event_type: type[DomainEvent], handler: Handler) -> None:
        if handler in self._handlers[event_type]:
            self._handlers[event_type].remove(handler)

    def publish(self, domain_event: DomainEvent) -> None:
        """Deliver now; a failing handler is logged and never stops the others."""
        for event_type in type(domain_event).__mro__:
            for handler in list(self._handlers.get(event_type, ())):
                try:
                    handler(domain_event)
                except Exception:
                    logger.exception("event handler failed for %s", type(domain_event).__name__)


bus = EventBus()


def publish_after_commit(session: Session, domain_event: DomainEvent) -> None:
    session.info.setdefault(PENDING_KEY, []).append(domain_event)


def call_after_commit(session: Session, callback: Callable[[], None]) -> None:
    """Run ``callback`` once the transaction commits (for effects outside the database)."""
    session.info.setdefault(CALLBACKS_KEY, []).append(callback)


def call_before_commit(session: Session, write: Callable[[Session], None]) -> None:
    """Run ``write(session)`` inside the transaction, just before it commits.

    For writes that take a lock many transactions contend for (the audit chain's
    head): taken last, the lock is held only for the commit, never across slow work
    such as a gateway call, and always after a transaction's other locks.
    """
    session.info.setdefault(BEFORE_COMMIT_KEY, []).append(write)


# SQLAlchemy sends before_commit and after_commit for a savepoint's release too
# (``begin_nested``): the writes, callbacks and events wait for the outer commit.


@event.listens_for(Session, "before_commit")
def _write_before_commit(session: Session) -> None:
    if session.in_nested_transaction():
        return
    for write in session.info.pop(BEFORE_COMMIT_KEY, []):
        write(session)
    session.flush()


@event.listens_for(Session, "after_commit")
def _deliver_pending(session: Session) -> None:
    outer = session.get_transaction()
    if outer is not None and outer.is_active:
        return  # a savepoint was released: the transaction goes on
    for callback in session.info.pop(CALLBACKS_KEY, []):
        try:
            callback()
        except Exception:
            logger.exception("after-commit callback failed")
    pending = session.info.pop(PENDING_KEY, [])
    for domain_event in pending:
        bus.publish(domain_event)


@event.listens_for(Session, "after_soft_rollback")
def _drop_pending(session: Session, previous_transaction: Any) -> None:
    """An outer rollback drops what was waiting; a savepoint's rollback keeps it."""
    if previous_transaction.parent is None:
        session.info.pop(PENDING_KEY, None)
        session.info.pop(CALLBACKS_KEY, None)
        session.info.pop(BEFORE_COMMIT_KEY, None)

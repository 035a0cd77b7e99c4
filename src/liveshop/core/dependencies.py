"""FastAPI dependencies shared by every router: settings and the request's unit of work."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Path
from sqlalchemy.orm import Session
from starlette.requests import HTTPConnection

from liveshop.core.db import get_session_factory
from liveshop.core.settings import Settings, get_settings

SettingsDep = Annotated[Settings, Depends(get_settings)]


# Requests that only read: on SQLite their transaction takes no lock (see
# core.db._begin_sqlite_transaction), so a crowd of readers never waits for, nor
# holds up, the writers. A GET that records something (an audit entry for a read)
# writes it in core.db.separate_writing_unit(session).
READ_ONLY_METHODS = frozenset({"GET", "HEAD"})


def get_db_session(connection: HTTPConnection, settings: SettingsDep) -> Iterator[Session]:
    """The request's one transaction: committed when the route returns, else rolled back.
    Read-only for GET and HEAD, writing for the other methods."""
    writes = connection.scope.get("method") not in READ_ONLY_METHODS
    with get_session_factory(settings.resolved_database_url(), writes=writes)() as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise


# scope="function": commit before the response is sent, so a client never
# sees a success for a write that then fails to commit.
DbSession = Annotated[Session, Depends(get_db_session, scope="function")]


# Row ids are INTEGER (32-bit on PostgreSQL, 64-bit on SQLite): a larger id in a
# path cannot name a row, and would overflow the driver (a 500) if it reached a query.
MAX_ROW_ID = 2**31 - 1
RowId = Annotated[int, Path(ge=1, le=MAX_ROW_ID, description="a row id")]

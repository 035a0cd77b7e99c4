"""The key under which the Redis bid engine keeps what it remembers of a database (an
auction's facts, the bidders admitted to it): the database's URL as SQLAlchemy renders
it (password hidden), read from a session in a worker thread or from the URL itself in
the event loop, where a bid answered from memory has no session."""

from __future__ import annotations

from functools import lru_cache

from sqlalchemy import make_url
from sqlalchemy.orm import Session


def database_key(session: Session) -> str:
    return str(session.get_bind().engine.url)


@lru_cache(maxsize=16)
def database_key_of_url(url: str) -> str:
    """The same key as ``database_key`` gives for a session on ``url``."""
    return str(make_url(url))

"""Alembic environment: every domain's tables, one metadata."""

from __future__ import annotations

from typing import Any, Literal

from alembic import context

import liveshop.models  # noqa: F401  (registers every domain's tables)
from liveshop.core.db import Base, UtcDateTime, get_engine

config = context.config
target_metadata = Base.metadata


def render_item(kind: str, item: Any, _context: Any) -> str | Literal[False]:
    """Write our UTC type as the plain column type it is stored as."""
    if kind == "type" and isinstance(item, UtcDateTime):
        return "sa.DateTime(timezone=True)"
    return False


def run_migrations_online() -> None:
    engine = get_engine(config.get_main_option("sqlalchemy.url") or "")
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            render_as_batch=connection.dialect.name == "sqlite",
            render_item=render_item,
        )
        with context.begin_transaction():
            context.run_migrations()
        connection.commit()


run_migrations_online()

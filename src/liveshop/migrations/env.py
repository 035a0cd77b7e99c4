"""Alembic environment: every domain's tables, one metadata."""

from __future__ import annotations

from alembic import context

import liveshop.models  # noqa: F401  (registers every domain's tables)
from liveshop.core.db import Base, get_engine

config = context.config
target_metadata = Base.metadata


def run_migrations_online() -> None:
    engine = get_engine(config.get_main_option("sqlalchemy.url") or "")
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            render_as_batch=connection.dialect.name == "sqlite",
        )
        with context.begin_transaction():
            context.run_migrations()
        connection.commit()


run_migrations_online()

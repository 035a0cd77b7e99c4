"""accounts: the language a person reads, for what is written to them with no page open

Revision ID: 0043
Revises: 0042
Create Date: 2026-12-07 11:10:00

``users.locale`` ("zh_CN", "en") is the language of the pages the person last signed in,
signed up or switched to; emails (notices, and anything else mailed without a request
in a language) are written in it. NULL: never chosen, the source language.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0043"
down_revision = "0042"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("users", recreate="never") as batch_op:
        batch_op.add_column(sa.Column("locale", sa.String(length=10), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("users", recreate="never") as batch_op:
        batch_op.drop_column("locale")

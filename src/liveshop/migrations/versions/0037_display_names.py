"""accounts: a display name (昵称) other people see instead of the username

Revision ID: 0037
Revises: 0036
Create Date: 2026-12-07 03:50:00

``users.display_name`` is optional (None: the username is shown), at most 20
characters, checked by the text filter when it is set (accounts.display_names).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0037"
down_revision = "0036"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # recreate="never": SQLite adds the column in place (a recreated users table would be
    # dropped first, and its ON DELETE CASCADE children with it).
    with op.batch_alter_table("users", recreate="never") as batch_op:
        batch_op.add_column(sa.Column("display_name", sa.String(length=20), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("users", recreate="never") as batch_op:
        batch_op.drop_column("display_name")

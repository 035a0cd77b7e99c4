"""accounts: an optional email on users and single-use password reset links

Revision ID: 0031
Revises: 0030
Create Date: 2026-12-06 19:05:00

``users.email`` (lower-cased, unique when set) is where a forgotten password's reset
link goes; ``password_resets`` keeps each link's SHA-256, its expiry and when it was used.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0031"
down_revision = "0030"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # recreate="never": SQLite adds the column in place (a recreated users table would be
    # dropped first, and its ON DELETE CASCADE children with it).
    with op.batch_alter_table("users", recreate="never") as batch_op:
        batch_op.add_column(sa.Column("email", sa.String(length=254), nullable=True))
    op.create_index("ix_users_email", "users", ["email"], unique=True)
    op.create_table(
        "password_resets",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "user_id",
            sa.Integer(),
            sa.ForeignKey("users.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("token_hash", sa.String(length=64), nullable=False, unique=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_index("ix_password_resets_user_id", "password_resets", ["user_id"])


def downgrade() -> None:
    op.drop_index("ix_password_resets_user_id", table_name="password_resets")
    op.drop_table("password_resets")
    op.drop_index("ix_users_email", table_name="users")
    with op.batch_alter_table("users", recreate="never") as batch_op:
        batch_op.drop_column("email")

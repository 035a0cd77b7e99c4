"""accounts: the account's email is confirmed before it is a sign-in factor

Revision ID: 0034
Revises: 0033
Create Date: 2026-12-07 00:40:00

``users.email_confirmed_at`` says when the person proved they read mail at the
address (None until then, and again after it changes); emails set before this
revision start unconfirmed. ``email_confirmations`` keeps each code mailed to
confirm one: its keyed hash, the address it confirms, its expiry, its use and the
wrong codes counted.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0034"
down_revision = "0033"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # recreate="never": SQLite adds the column in place (a recreated users table would be
    # dropped first, and its ON DELETE CASCADE children with it).
    with op.batch_alter_table("users", recreate="never") as batch_op:
        batch_op.add_column(
            sa.Column("email_confirmed_at", sa.DateTime(timezone=True), nullable=True)
        )
    op.create_table(
        "email_confirmations",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "user_id",
            sa.Integer(),
            sa.ForeignKey("users.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("code_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("failures", sa.Integer(), nullable=False),
    )
    op.create_index("ix_email_confirmations_user_id", "email_confirmations", ["user_id"])


def downgrade() -> None:
    op.drop_index("ix_email_confirmations_user_id", table_name="email_confirmations")
    op.drop_table("email_confirmations")
    with op.batch_alter_table("users", recreate="never") as batch_op:
        batch_op.drop_column("email_confirmed_at")

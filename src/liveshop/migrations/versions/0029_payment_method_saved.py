"""payments: a card used for one payment only, not kept among the saved methods

Revision ID: 0029
Revises: 0028
Create Date: 2026-12-06 18:50:00

``payment_methods.saved`` is false for a card the buyer did not ask to keep: the
vault holds its number for the charge, it is not listed, and it is removed once
the payment succeeds. Saving a card needs the stored_cards consent.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0029"
down_revision = "0028"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # recreate="never": SQLite adds the column in place (a recreated table is dropped
    # first, and its ON DELETE CASCADE children with it).
    with op.batch_alter_table("payment_methods", recreate="never") as batch_op:
        batch_op.add_column(
            sa.Column("saved", sa.Boolean(), nullable=False, server_default=sa.true())
        )


def downgrade() -> None:
    with op.batch_alter_table("payment_methods", recreate="never") as batch_op:
        batch_op.drop_column("saved")

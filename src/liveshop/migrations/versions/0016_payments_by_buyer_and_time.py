"""payments indexed by buyer and time (the step-up policy's risk windows)

Revision ID: 0016
Revises: 0015
Create Date: 2026-11-26 00:31:00
"""

from __future__ import annotations

from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("payments", schema=None) as batch_op:
        batch_op.create_index("ix_payments_buyer_created", ["buyer_id", "created_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("payments", schema=None) as batch_op:
        batch_op.drop_index("ix_payments_buyer_created")

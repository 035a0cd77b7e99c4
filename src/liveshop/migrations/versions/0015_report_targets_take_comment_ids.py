"""reports and penalties name 63-bit comment ids

Revision ID: 0015
Revises: 0014
Create Date: 2026-11-26 00:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    for table, nullable in (("reports", False), ("penalties", True)):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.alter_column(
                "target_id",
                existing_type=sa.Integer(),
                type_=sa.BigInteger(),
                existing_nullable=nullable,
            )


def downgrade() -> None:
    for table, nullable in (("reports", False), ("penalties", True)):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.alter_column(
                "target_id",
                existing_type=sa.BigInteger(),
                type_=sa.Integer(),
                existing_nullable=nullable,
            )

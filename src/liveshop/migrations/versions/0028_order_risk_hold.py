"""orders: an order the risk engine held for an analyst's review

Revision ID: 0028
Revises: 0027
Create Date: 2026-12-06 18:40:00

``orders.risk_hold`` is set when the risk verdict on a placed order is REVIEW: the
order cannot be paid until an analyst releases the case (a rejected case cancels it).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0028"
down_revision = "0027"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # recreate="never": SQLite adds the column in place (a recreated table is dropped
    # first, and its ON DELETE CASCADE children with it).
    with op.batch_alter_table("orders", recreate="never") as batch_op:
        batch_op.add_column(
            sa.Column("risk_hold", sa.Boolean(), nullable=False, server_default=sa.false())
        )


def downgrade() -> None:
    # recreate="never": SQLite drops the column in place; a recreated table would be
    # dropped first, and its ON DELETE CASCADE children with it.
    with op.batch_alter_table("orders", recreate="never") as batch_op:
        batch_op.drop_column("risk_hold")

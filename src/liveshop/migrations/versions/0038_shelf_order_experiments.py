"""live: a room's shelf order A/B tested by an experiment

Revision ID: 0038
Revises: 0037
Create Date: 2026-12-07 04:00:00

``rooms.shelf_experiment_id`` names campaigns' experiment that varies the order of the
room's shelf (no foreign key: campaigns sits above live) and
``rooms.shelf_experiment_leads`` the product each variant's viewers see first.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0038"
down_revision = "0037"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("rooms", recreate="never") as batch_op:
        batch_op.add_column(sa.Column("shelf_experiment_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("shelf_experiment_leads", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("rooms", recreate="never") as batch_op:
        batch_op.drop_column("shelf_experiment_leads")
        batch_op.drop_column("shelf_experiment_id")

"""promotions: a coupon's depth A/B tested by an experiment, and each wallet coupon's depth

Revision ID: 0036
Revises: 0035
Create Date: 2026-12-07 03:40:00

``coupons.experiment_id`` names campaigns' experiment that varies the coupon's depth
(no foreign key: campaigns sits above promotions) and ``coupons.experiment_depths``
each variant's depth; ``user_coupons.depth`` is the depth a viewer's coupon was
issued at (null: the coupon's face).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0036"
down_revision = "0035"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("coupons", recreate="never") as batch_op:
        batch_op.add_column(sa.Column("experiment_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("experiment_depths", sa.JSON(), nullable=True))
    with op.batch_alter_table("user_coupons", recreate="never") as batch_op:
        batch_op.add_column(sa.Column("depth", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("user_coupons", recreate="never") as batch_op:
        batch_op.drop_column("depth")
    with op.batch_alter_table("coupons", recreate="never") as batch_op:
        batch_op.drop_column("experiment_depths")
        batch_op.drop_column("experiment_id")

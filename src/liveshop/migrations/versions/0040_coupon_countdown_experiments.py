"""promotions: how long a viewer has to grab a coupon, A/B tested by an experiment

Revision ID: 0040
Revises: 0039
Create Date: 2026-12-07 07:10:00

``coupons.countdown_experiment_id`` names campaigns' experiment that varies the
countdown (no foreign key: campaigns sits above promotions) and
``coupons.countdown_seconds`` each variant's length; ``coupon_countdowns`` holds each
viewer's window, opened the first time they are shown the coupon.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0040"
down_revision = "0039"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("coupons", recreate="never") as batch_op:
        batch_op.add_column(sa.Column("countdown_experiment_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("countdown_seconds", sa.JSON(), nullable=True))
    op.create_table(
        "coupon_countdowns",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("coupon_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("seconds", sa.Integer(), nullable=False),
        sa.Column("ends_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["coupon_id"],
            ["coupons.id"],
            name=op.f("fk_coupon_countdowns_coupon_id_coupons"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_coupon_countdowns_user_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_coupon_countdowns")),
        sa.UniqueConstraint("coupon_id", "user_id", name=op.f("uq_coupon_countdowns_coupon_id")),
    )
    op.create_index(op.f("ix_coupon_countdowns_user_id"), "coupon_countdowns", ["user_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_coupon_countdowns_user_id"), table_name="coupon_countdowns")
    op.drop_table("coupon_countdowns")
    with op.batch_alter_table("coupons", recreate="never") as batch_op:
        batch_op.drop_column("countdown_seconds")
        batch_op.drop_column("countdown_experiment_id")

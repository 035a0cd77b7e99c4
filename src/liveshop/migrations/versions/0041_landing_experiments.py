"""campaigns: A/B tests of a tracking link's landing page and creative

Revision ID: 0041
Revises: 0040
Create Date: 2026-12-07 07:25:00

``tracking_links.experiment_id`` names the experiment whose variants each land the
link's clicks somewhere (``experiment_landings``: per variant, a target and a
creative); ``experiment_visitor_exposures`` logs a signed-out visitor's variant by the
attribution cookie's visitor id (a signed-in one's is ``experiment_exposures``).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0041"
down_revision = "0040"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("tracking_links", recreate="never") as batch_op:
        batch_op.add_column(sa.Column("experiment_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("experiment_landings", sa.JSON(), nullable=True))
    op.create_table(
        "experiment_visitor_exposures",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("experiment_id", sa.Integer(), nullable=False),
        sa.Column("visitor", sa.String(length=32), nullable=False),
        sa.Column("variant", sa.String(length=60), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["experiment_id"],
            ["experiments.id"],
            name=op.f("fk_experiment_visitor_exposures_experiment_id_experiments"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_experiment_visitor_exposures")),
        sa.UniqueConstraint(
            "experiment_id", "visitor", name=op.f("uq_experiment_visitor_exposures_experiment_id")
        ),
    )


def downgrade() -> None:
    op.drop_table("experiment_visitor_exposures")
    with op.batch_alter_table("tracking_links", recreate="never") as batch_op:
        batch_op.drop_column("experiment_landings")
        batch_op.drop_column("experiment_id")

"""product listing status

Revision ID: 0014
Revises: 0013
Create Date: 2026-11-27 00:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Columns are only added: rebuilding products on SQLite (which foreign keys or
    # altered columns would need) deletes their SKUs through ON DELETE CASCADE.
    with op.batch_alter_table("products", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "listing_status",
                sa.Enum(
                    "PUBLISHED",
                    "HELD_FOR_REVIEW",
                    name="listingstatus",
                    native_enum=False,
                    length=20,
                ),
                nullable=False,
                server_default="PUBLISHED",  # every product before this revision was on sale
            )
        )
        batch_op.add_column(
            sa.Column("listing_findings", sa.JSON(), nullable=False, server_default="[]")
        )
        batch_op.add_column(sa.Column("listing_note", sa.String(length=500), nullable=True))
        batch_op.add_column(sa.Column("listing_reviewed_by", sa.Integer(), nullable=True))
        batch_op.add_column(
            sa.Column("listing_reviewed_at", sa.DateTime(timezone=True), nullable=True)
        )
        batch_op.create_index(
            batch_op.f("ix_products_listing_status"), ["listing_status"], unique=False
        )


def downgrade() -> None:
    # recreate="never": SQLite (3.35+) drops the columns in place, the SKUs stay.
    with op.batch_alter_table("products", schema=None, recreate="never") as batch_op:
        batch_op.drop_index(batch_op.f("ix_products_listing_status"))
        batch_op.drop_column("listing_reviewed_at")
        batch_op.drop_column("listing_reviewed_by")
        batch_op.drop_column("listing_note")
        batch_op.drop_column("listing_findings")
        batch_op.drop_column("listing_status")

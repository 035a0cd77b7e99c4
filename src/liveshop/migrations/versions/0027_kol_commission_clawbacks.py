"""campaigns: what refunds clawed back of a settled KOL commission

Revision ID: 0027
Revises: 0026
Create Date: 2026-12-06 18:40:00

A refund after a KOL's commission was paid takes back its share in the ledger
(``kol_clawback``); ``kol_commissions.clawed_back`` keeps the running total.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0027"
down_revision = "0026"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # recreate="never": SQLite adds the column in place (a recreated table is dropped
    # first, and its ON DELETE CASCADE children with it).
    with op.batch_alter_table("kol_commissions", recreate="never") as batch_op:
        batch_op.add_column(
            sa.Column("clawed_back", sa.BigInteger(), nullable=False, server_default="0")
        )


def downgrade() -> None:
    # recreate="never": SQLite drops the column in place; a recreated table would be
    # dropped first, and its ON DELETE CASCADE children with it.
    with op.batch_alter_table("kol_commissions", recreate="never") as batch_op:
        batch_op.drop_column("clawed_back")

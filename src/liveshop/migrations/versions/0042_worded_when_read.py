"""notifications and tracking: notices and scans kept as what they say, worded when read

Revision ID: 0042
Revises: 0041
Create Date: 2026-12-07 10:50:00

A notice keeps its parameters (``notifications.params``, and a queued fan-out's,
``notification_fan_outs.params``) and a carrier's scan what happened as a code
(``carrier_events.scan``), worded in the reader's language when read. Rows kept before
have none (NULL) and keep showing the words they were stored with, so nothing is
rewritten here.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0042"
down_revision = "0041"
branch_labels = None
depends_on = None


def upgrade() -> None:
    for table in ("notifications", "notification_fan_outs"):
        with op.batch_alter_table(table, recreate="never") as batch_op:
            batch_op.add_column(sa.Column("params", sa.JSON(), nullable=True))
    with op.batch_alter_table("carrier_events", recreate="never") as batch_op:
        batch_op.add_column(sa.Column("scan", sa.String(length=30), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("carrier_events", recreate="never") as batch_op:
        batch_op.drop_column("scan")
    for table in ("notification_fan_outs", "notifications"):
        with op.batch_alter_table(table, recreate="never") as batch_op:
            batch_op.drop_column("params")

"""live: likes kept with their moment for the replay; the host-set playback URL retired

Revision ID: 0035
Revises: 0034
Create Date: 2026-12-07 01:10:00

``room_like_counts`` keeps the likes each worker stored for a room in one flush and
when, so the replay's timeline shows likes per minute (``rooms.likes`` keeps only the
total). ``rooms.playback_url`` was set by the host when creating a room, before the
media server produced the room's playlist: the room showed it even while offline, so
the viewer page skipped its poster. Only a live stream gives a playback URL now, from
``media``; the column goes (its values are not kept: nothing reads them). The downgrade
brings the column back empty.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0035"
down_revision = "0034"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "room_like_counts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("room_id", sa.Integer(), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["room_id"],
            ["rooms.id"],
            name=op.f("fk_room_like_counts_room_id_rooms"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_room_like_counts")),
    )
    op.create_index(
        op.f("ix_room_like_counts_room_id"), "room_like_counts", ["room_id"], unique=False
    )
    # recreate="never": SQLite drops the column in place (a recreated rooms table would
    # be dropped first, and its ON DELETE CASCADE children with it).
    with op.batch_alter_table("rooms", recreate="never") as batch_op:
        batch_op.drop_column("playback_url")


def downgrade() -> None:
    with op.batch_alter_table("rooms", recreate="never") as batch_op:
        batch_op.add_column(sa.Column("playback_url", sa.String(length=500), nullable=True))
    op.drop_index(op.f("ix_room_like_counts_room_id"), table_name="room_like_counts")
    op.drop_table("room_like_counts")

"""media: rooms' stream keys and stream state, and their recordings

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-06 14:55:00

Live video (issue 12): ``media_streams`` holds one row per room with the hash of
its current stream key (rotated on each issue), whether video arrives, and the
media server's client id of the publishing connection; ``media_recordings`` the
FLV files the media server recorded, remuxed to MP4 for the replay.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0024"
down_revision = "0023"
branch_labels = None
depends_on = None

STREAM_STATUSES = ("OFFLINE", "LIVE")
RECORDING_STATUSES = ("RECORDED", "READY", "FAILED")


def _at(name: str, *, nullable: bool = False) -> sa.Column[object]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "media_streams",
        sa.Column("room_id", sa.Integer(), nullable=False),
        sa.Column("key_hash", sa.String(length=64), nullable=False),
        _at("key_issued_at"),
        sa.Column(
            "status",
            sa.Enum(*STREAM_STATUSES, name="streamstatus", native_enum=False, length=10),
            nullable=False,
        ),
        sa.Column("publisher", sa.String(length=40), nullable=True),
        _at("live_since", nullable=True),
        sa.Column("playback_url", sa.String(length=500), nullable=True),
        sa.Column("start_on_publish", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["room_id"],
            ["rooms.id"],
            name=op.f("fk_media_streams_room_id_rooms"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("room_id", name=op.f("pk_media_streams")),
    )
    op.create_table(
        "media_recordings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("room_id", sa.Integer(), nullable=False),
        sa.Column("flv_name", sa.String(length=200), nullable=False),
        sa.Column("mp4_name", sa.String(length=200), nullable=True),
        _at("started_at"),
        sa.Column("duration_s", sa.Float(), nullable=True),
        sa.Column(
            "status",
            sa.Enum(*RECORDING_STATUSES, name="recordingstatus", native_enum=False, length=10),
            nullable=False,
        ),
        _at("created_at"),
        sa.ForeignKeyConstraint(
            ["room_id"],
            ["rooms.id"],
            name=op.f("fk_media_recordings_room_id_rooms"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_media_recordings")),
        sa.UniqueConstraint("flv_name", name=op.f("uq_media_recordings_flv_name")),
    )
    op.create_index(
        op.f("ix_media_recordings_room_id"), "media_recordings", ["room_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_media_recordings_room_id"), table_name="media_recordings")
    op.drop_table("media_recordings")
    op.drop_table("media_streams")

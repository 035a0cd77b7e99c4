"""held comments: chat lines the filter held for a moderator

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-08 00:00:00

A comment judged ``review`` went back to its author only and was stored
nowhere; it now waits in ``held_comments`` (written behind in the hub's
batches) until a moderator approves it (it is then published to the room and
stored with the chat) or rejects it.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None

KINDS = ("COMMENT", "HOST", "ANNOUNCEMENT")
STATUSES = ("HELD", "APPROVED", "REJECTED")


def upgrade() -> None:
    op.create_table(
        "held_comments",
        sa.Column("id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("room_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(*KINDS, name="commentkind", native_enum=False, length=20),
            nullable=False,
        ),
        sa.Column("text", sa.String(length=500), nullable=False),
        sa.Column("categories", sa.JSON(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(*STATUSES, name="heldcommentstatus", native_enum=False, length=10),
            nullable=False,
        ),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decided_by", sa.Integer(), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decision_note", sa.String(length=500), nullable=True),
        sa.ForeignKeyConstraint(
            ["room_id"],
            ["rooms.id"],
            name=op.f("fk_held_comments_room_id_rooms"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_held_comments_user_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["decided_by"], ["users.id"], name=op.f("fk_held_comments_decided_by_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_held_comments")),
    )
    with op.batch_alter_table("held_comments", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_held_comments_room_id"), ["room_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_held_comments_user_id"), ["user_id"], unique=False)
        batch_op.create_index(
            "ix_held_comments_status_created", ["status", "created_at"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("held_comments", schema=None) as batch_op:
        batch_op.drop_index("ix_held_comments_status_created")
        batch_op.drop_index(batch_op.f("ix_held_comments_user_id"))
        batch_op.drop_index(batch_op.f("ix_held_comments_room_id"))
    op.drop_table("held_comments")

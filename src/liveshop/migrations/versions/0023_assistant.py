"""assistant: the shop's FAQ, the assistant's switch per room, its replies

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-06 15:50:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0023"
down_revision = "0022"
branch_labels = None
depends_on = None

SOURCES = ("MERCHANT", "HOST_CORRECTION")


def upgrade() -> None:
    op.create_table(
        "assistant_faq",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("shop_id", sa.Integer(), nullable=False),
        sa.Column("question", sa.String(length=300), nullable=False),
        sa.Column("answer", sa.String(length=1000), nullable=False),
        sa.Column(
            "source",
            sa.Enum(*SOURCES, name="faqsource", native_enum=False, length=20),
            nullable=False,
        ),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["shop_id"],
            ["shops.id"],
            name=op.f("fk_assistant_faq_shop_id_shops"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["created_by"], ["users.id"], name=op.f("fk_assistant_faq_created_by_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_assistant_faq")),
    )
    with op.batch_alter_table("assistant_faq", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_assistant_faq_shop_id"), ["shop_id"])
    op.create_table(
        "assistant_rooms",
        sa.Column("room_id", sa.Integer(), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("changed_by", sa.Integer(), nullable=False),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["room_id"],
            ["rooms.id"],
            name=op.f("fk_assistant_rooms_room_id_rooms"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["changed_by"], ["users.id"], name=op.f("fk_assistant_rooms_changed_by_users")
        ),
        sa.PrimaryKeyConstraint("room_id", name=op.f("pk_assistant_rooms")),
    )
    op.create_table(
        "assistant_replies",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("room_id", sa.Integer(), nullable=False),
        sa.Column("comment_id", sa.BigInteger(), nullable=False),
        sa.Column("question_id", sa.Integer(), nullable=True),
        sa.Column("text", sa.String(length=500), nullable=False),
        sa.Column("answered", sa.Boolean(), nullable=False),
        sa.Column("fact", sa.String(length=200), nullable=False),
        sa.Column("answer", sa.Text(), nullable=True),
        sa.Column("suggestion", sa.Text(), nullable=True),
        sa.Column("confidence", sa.Float(), nullable=False),
        sa.Column("corrected_faq_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["room_id"],
            ["rooms.id"],
            name=op.f("fk_assistant_replies_room_id_rooms"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_assistant_replies")),
    )
    with op.batch_alter_table("assistant_replies", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_assistant_replies_room_id"), ["room_id"])
        batch_op.create_index(batch_op.f("ix_assistant_replies_question_id"), ["question_id"])


def downgrade() -> None:
    op.drop_table("assistant_replies")
    op.drop_table("assistant_rooms")
    op.drop_table("assistant_faq")

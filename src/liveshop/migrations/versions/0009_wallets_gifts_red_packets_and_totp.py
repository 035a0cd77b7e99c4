"""wallets gifts red packets and totp

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-25 20:27:06.439626
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "recovery_codes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("code_hash", sa.String(length=64), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_recovery_codes_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_recovery_codes")),
        sa.UniqueConstraint("code_hash", name=op.f("uq_recovery_codes_code_hash")),
    )
    with op.batch_alter_table("recovery_codes", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_recovery_codes_user_id"), ["user_id"], unique=False)

    op.create_table(
        "top_ups",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum("WALLET", "COINS", name="topupkind", native_enum=False, length=10),
            nullable=False,
        ),
        sa.Column("amount", sa.Integer(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_top_ups_user_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_top_ups")),
    )
    with op.batch_alter_table("top_ups", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_top_ups_user_id"), ["user_id"], unique=False)

    op.create_table(
        "totp_factors",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("secret_ciphertext", sa.LargeBinary(), nullable=False),
        sa.Column("confirmed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_step", sa.BigInteger(), nullable=False),
        sa.Column("failed_attempts", sa.Integer(), nullable=False),
        sa.Column("locked_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_totp_factors_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_totp_factors")),
    )
    op.create_table(
        "gift_sends",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("sender_id", sa.Integer(), nullable=False),
        sa.Column("room_id", sa.Integer(), nullable=False),
        sa.Column("host_id", sa.Integer(), nullable=False),
        sa.Column("gift_code", sa.String(length=20), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("coins", sa.Integer(), nullable=False),
        sa.Column("idempotency_key", sa.String(length=100), nullable=False),
        sa.Column("request_fingerprint", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["host_id"], ["users.id"], name=op.f("fk_gift_sends_host_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["room_id"], ["rooms.id"], name=op.f("fk_gift_sends_room_id_rooms")
        ),
        sa.ForeignKeyConstraint(
            ["sender_id"], ["users.id"], name=op.f("fk_gift_sends_sender_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_gift_sends")),
        sa.UniqueConstraint("sender_id", "idempotency_key", name=op.f("uq_gift_sends_sender_id")),
    )
    with op.batch_alter_table("gift_sends", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_gift_sends_host_id"), ["host_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_gift_sends_room_id"), ["room_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_gift_sends_sender_id"), ["sender_id"], unique=False)

    op.create_table(
        "red_packets",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("room_id", sa.Integer(), nullable=False),
        sa.Column("sender_id", sa.Integer(), nullable=False),
        sa.Column("total", sa.Integer(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("shares", sa.Integer(), nullable=False),
        sa.Column("grabbed", sa.Integer(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "OPEN", "EMPTY", "EXPIRED", name="redpacketstatus", native_enum=False, length=10
            ),
            nullable=False,
        ),
        sa.Column("greeting", sa.String(length=60), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("idempotency_key", sa.String(length=100), nullable=False),
        sa.Column("request_fingerprint", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "grabbed >= 0 AND grabbed <= shares", name=op.f("ck_red_packets_grabbed_within_shares")
        ),
        sa.ForeignKeyConstraint(
            ["room_id"], ["rooms.id"], name=op.f("fk_red_packets_room_id_rooms")
        ),
        sa.ForeignKeyConstraint(
            ["sender_id"], ["users.id"], name=op.f("fk_red_packets_sender_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_red_packets")),
        sa.UniqueConstraint("sender_id", "idempotency_key", name=op.f("uq_red_packets_sender_id")),
    )
    with op.batch_alter_table("red_packets", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_red_packets_expires_at"), ["expires_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_red_packets_room_id"), ["room_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_red_packets_sender_id"), ["sender_id"], unique=False)

    op.create_table(
        "red_packet_shares",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("packet_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("amount", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("grabbed_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("amount > 0", name=op.f("ck_red_packet_shares_share_positive")),
        sa.ForeignKeyConstraint(
            ["packet_id"],
            ["red_packets.id"],
            name=op.f("fk_red_packet_shares_packet_id_red_packets"),
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_red_packet_shares_user_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_red_packet_shares")),
        sa.UniqueConstraint("packet_id", "position", name=op.f("uq_red_packet_shares_position")),
        sa.UniqueConstraint("packet_id", "user_id", name=op.f("uq_red_packet_shares_grabber")),
    )
    with op.batch_alter_table("red_packet_shares", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_red_packet_shares_packet_id"), ["packet_id"], unique=False
        )

    with op.batch_alter_table("payments", schema=None) as batch_op:
        batch_op.add_column(sa.Column("top_up_id", sa.Integer(), nullable=True))
        batch_op.add_column(
            sa.Column(
                "method_kind",
                sa.Enum(
                    "CARD",
                    "WALLET",
                    "THIRD_PARTY",
                    "CASH_ON_DELIVERY",
                    name="methodkind",
                    native_enum=False,
                    length=20,
                ),
                nullable=False,
                server_default="CARD",  # every payment before this revision was by card
            )
        )
        batch_op.add_column(
            sa.Column(
                "challenge_method",
                sa.Enum(
                    "SANDBOX_OTP", "TOTP", name="challengemethod", native_enum=False, length=20
                ),
                nullable=True,
            )
        )
        batch_op.alter_column("order_id", existing_type=sa.INTEGER(), nullable=True)
        batch_op.alter_column("method_id", existing_type=sa.INTEGER(), nullable=True)
        batch_op.create_index(batch_op.f("ix_payments_top_up_id"), ["top_up_id"], unique=False)
        batch_op.create_foreign_key(
            batch_op.f("fk_payments_top_up_id_top_ups"), "top_ups", ["top_up_id"], ["id"]
        )
        batch_op.create_check_constraint(
            "pays_an_order_or_a_top_up", "(order_id IS NULL) <> (top_up_id IS NULL)"
        )


def downgrade() -> None:
    with op.batch_alter_table("payments", schema=None) as batch_op:
        batch_op.drop_constraint("pays_an_order_or_a_top_up", type_="check")
        batch_op.drop_constraint(batch_op.f("fk_payments_top_up_id_top_ups"), type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_payments_top_up_id"))
        batch_op.alter_column("method_id", existing_type=sa.INTEGER(), nullable=False)
        batch_op.alter_column("order_id", existing_type=sa.INTEGER(), nullable=False)
        batch_op.drop_column("challenge_method")
        batch_op.drop_column("method_kind")
        batch_op.drop_column("top_up_id")

    with op.batch_alter_table("red_packet_shares", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_red_packet_shares_packet_id"))

    op.drop_table("red_packet_shares")
    with op.batch_alter_table("red_packets", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_red_packets_sender_id"))
        batch_op.drop_index(batch_op.f("ix_red_packets_room_id"))
        batch_op.drop_index(batch_op.f("ix_red_packets_expires_at"))

    op.drop_table("red_packets")
    with op.batch_alter_table("gift_sends", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_gift_sends_sender_id"))
        batch_op.drop_index(batch_op.f("ix_gift_sends_room_id"))
        batch_op.drop_index(batch_op.f("ix_gift_sends_host_id"))

    op.drop_table("gift_sends")
    op.drop_table("totp_factors")
    with op.batch_alter_table("top_ups", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_top_ups_user_id"))

    op.drop_table("top_ups")
    with op.batch_alter_table("recovery_codes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_recovery_codes_user_id"))

    op.drop_table("recovery_codes")

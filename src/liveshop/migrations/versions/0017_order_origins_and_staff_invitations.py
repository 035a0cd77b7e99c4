"""order origins, shop staff by invitation, one shop per user

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-06 00:00:00

- ``orders.origin``: what made the order (checkout, flash_sale, lucky_draw).
  Existing orders: flash_sale where they name a sale; lucky_draw where they are
  the price-0 order a drawn draw of their room placed (its key ``draw-{id}``,
  no merchandise value); checkout otherwise.
- ``shop_staff_invitations``: staff join a shop by accepting an invitation.
- ``shop_staff.user_id`` unique: a user acts for one shop. Rows that broke the
  rule are removed first: staff rows of users who own a shop (only the unasked
  staff endpoint this revision replaces could make them: the attacker's hold on
  the owner), then every staff row of a user but their first.

Columns and indexes only: rebuilding ``orders`` or ``shop_staff`` on SQLite
would delete their dependants through ON DELETE CASCADE (see 0014).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None

ORIGINS = ("CHECKOUT", "FLASH_SALE", "LUCKY_DRAW")
INVITATION_STATUSES = ("PENDING", "ACCEPTED", "DECLINED", "REVOKED")


def upgrade() -> None:
    with op.batch_alter_table("orders", schema=None, recreate="never") as batch_op:
        batch_op.add_column(
            sa.Column(
                "origin",
                sa.Enum(*ORIGINS, name="orderorigin", native_enum=False, length=20),
                nullable=False,
                server_default="CHECKOUT",
            )
        )
    op.execute("UPDATE orders SET origin = 'FLASH_SALE' WHERE flash_sale_id IS NOT NULL")
    op.execute(
        "UPDATE orders SET origin = 'LUCKY_DRAW'"
        " WHERE flash_sale_id IS NULL AND items_total = 0 AND EXISTS ("
        "   SELECT 1 FROM lucky_draws"
        "   WHERE orders.idempotency_key = 'draw-' || CAST(lucky_draws.id AS VARCHAR(20))"
        "   AND lucky_draws.room_id = orders.room_id AND lucky_draws.status = 'DRAWN')"
    )
    _one_shop_per_user()
    _invitations_table()


def _one_shop_per_user() -> None:
    op.execute("DELETE FROM shop_staff WHERE user_id IN (SELECT owner_id FROM shops)")
    op.execute(
        "DELETE FROM shop_staff WHERE id NOT IN (SELECT MIN(id) FROM shop_staff GROUP BY user_id)"
    )
    with op.batch_alter_table("shop_staff", schema=None, recreate="never") as batch_op:
        batch_op.drop_index(batch_op.f("ix_shop_staff_user_id"))
        batch_op.create_index(batch_op.f("ix_shop_staff_user_id"), ["user_id"], unique=True)


def _invitations_table() -> None:
    op.create_table(
        "shop_staff_invitations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("shop_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("invited_by", sa.Integer(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(*INVITATION_STATUSES, name="invitationstatus", native_enum=False, length=10),
            nullable=False,
        ),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["invited_by"],
            ["users.id"],
            name=op.f("fk_shop_staff_invitations_invited_by_users"),
        ),
        sa.ForeignKeyConstraint(
            ["shop_id"],
            ["shops.id"],
            name=op.f("fk_shop_staff_invitations_shop_id_shops"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_shop_staff_invitations_user_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_shop_staff_invitations")),
    )
    with op.batch_alter_table("shop_staff_invitations", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_shop_staff_invitations_shop_id"), ["shop_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_shop_staff_invitations_user_id"), ["user_id"], unique=False
        )
        batch_op.create_index(
            "uq_shop_staff_invitations_pending",
            ["shop_id", "user_id"],
            unique=True,
            sqlite_where=sa.text("status = 'PENDING'"),
            postgresql_where=sa.text("status = 'PENDING'"),
        )


def downgrade() -> None:
    with op.batch_alter_table("shop_staff_invitations", schema=None) as batch_op:
        batch_op.drop_index("uq_shop_staff_invitations_pending")
        batch_op.drop_index(batch_op.f("ix_shop_staff_invitations_user_id"))
        batch_op.drop_index(batch_op.f("ix_shop_staff_invitations_shop_id"))
    op.drop_table("shop_staff_invitations")
    with op.batch_alter_table("shop_staff", schema=None, recreate="never") as batch_op:
        batch_op.drop_index(batch_op.f("ix_shop_staff_user_id"))
        batch_op.create_index(batch_op.f("ix_shop_staff_user_id"), ["user_id"], unique=False)
    # recreate="never": SQLite (3.35+) drops the column in place, the order items stay.
    with op.batch_alter_table("orders", schema=None, recreate="never") as batch_op:
        batch_op.drop_column("origin")

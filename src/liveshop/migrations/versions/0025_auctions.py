"""auctions: live auctions in rooms and their bid log

Revision ID: 0025
Revises: 0024
Create Date: 2026-12-06 15:40:00

Live auctions (issue 17 §4): ``auctions`` holds each auction's terms and the state
every bid changes under the row's lock (price, leader and their maximum,
deadline, the buyer and their order); ``auction_bids`` the ordered bid log with
one row per (auction, bidder, idempotency key).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0025"
down_revision = "0024"
branch_labels = None
depends_on = None


def _at(name: str, *, nullable: bool = False) -> sa.Column[object]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "auctions",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("room_id", sa.Integer(), sa.ForeignKey("rooms.id"), nullable=False),
        sa.Column("shop_id", sa.Integer(), sa.ForeignKey("shops.id"), nullable=False),
        sa.Column("product_id", sa.Integer(), sa.ForeignKey("products.id"), nullable=False),
        sa.Column("sku_id", sa.Integer(), sa.ForeignKey("skus.id"), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("created_by", sa.Integer(), sa.ForeignKey("users.id"), nullable=False),
        sa.Column("starting_price", sa.Integer(), nullable=False),
        sa.Column("reserve_price", sa.Integer(), nullable=True),
        sa.Column("increments", sa.JSON(), nullable=False),
        sa.Column("ending", sa.String(length=20), nullable=False),
        sa.Column("duration_seconds", sa.Integer(), nullable=False),
        sa.Column("extend_seconds", sa.Integer(), nullable=False),
        sa.Column("payment_minutes", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        _at("starts_at", nullable=True),
        _at("ends_at", nullable=True),
        sa.Column("current_price", sa.Integer(), nullable=True),
        sa.Column("leader_id", sa.Integer(), sa.ForeignKey("users.id"), nullable=True),
        sa.Column("leader_max", sa.Integer(), nullable=True),
        sa.Column("bid_count", sa.Integer(), nullable=False),
        sa.Column("buyer_id", sa.Integer(), sa.ForeignKey("users.id"), nullable=True),
        sa.Column("sold_price", sa.Integer(), nullable=True),
        sa.Column("order_id", sa.Integer(), sa.ForeignKey("orders.id"), nullable=True),
        _at("closed_at", nullable=True),
        _at("created_at"),
    )
    op.create_index("ix_auctions_room_id", "auctions", ["room_id"])
    op.create_index("ix_auctions_shop_id", "auctions", ["shop_id"])
    op.create_index("ix_auctions_status", "auctions", ["status"])
    op.create_index("ix_auctions_ends_at", "auctions", ["ends_at"])
    op.create_table(
        "auction_bids",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "auction_id",
            sa.Integer(),
            sa.ForeignKey("auctions.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("bidder_id", sa.Integer(), sa.ForeignKey("users.id"), nullable=False),
        sa.Column("max_amount", sa.Integer(), nullable=False),
        sa.Column("price_after", sa.Integer(), nullable=False),
        sa.Column("leading", sa.Boolean(), nullable=False),
        sa.Column("idempotency_key", sa.String(length=100), nullable=False),
        _at("created_at"),
        sa.UniqueConstraint("auction_id", "bidder_id", "idempotency_key"),
    )
    op.create_index("ix_auction_bids_auction_seq", "auction_bids", ["auction_id", "seq"])
    op.create_index("ix_auction_bids_bidder_id", "auction_bids", ["bidder_id"])


def downgrade() -> None:
    op.drop_table("auction_bids")
    op.drop_table("auctions")

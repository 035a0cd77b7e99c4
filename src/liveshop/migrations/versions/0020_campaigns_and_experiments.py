"""campaigns, tracking links, attribution, spend, KOL commissions, experiments, pushes

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-06 15:00:00

Social promotion (issue 15): a shop's campaigns and their tracking links; the
touches (clicks, room visits, attributed calls) recorded behind requests; ad
spend per day and channel; the paid orders campaigns learn of from OrderPaid;
KOL commissions settled through the ledger; experiments and their exposures;
audience pushes with their holdouts.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None

TOUCH_KINDS = ("CLICK", "VISIT", "CALL")
COMMISSION_STATUSES = ("PENDING", "SETTLED", "CANCELLED")


def _at(name: str, *, nullable: bool = False) -> sa.Column[object]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def _fk(table: str, column: str, target: str, *, cascade: bool = False) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        [column],
        [target],
        name=op.f(f"fk_{table}_{column}_{target.split('.')[0]}"),
        ondelete="CASCADE" if cascade else None,
    )


def upgrade() -> None:
    _campaigns()
    _tracking()
    _conversions()
    _experiments()
    _pushes()


def _campaigns() -> None:
    op.create_table(
        "campaigns",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("shop_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("channels", sa.JSON(), nullable=False),
        sa.Column("budget", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        _at("starts_at"),
        _at("ends_at"),
        sa.Column("goal", sa.String(length=40), nullable=False),
        sa.Column("commission_bps", sa.Integer(), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=False),
        _at("created_at"),
        _fk("campaigns", "shop_id", "shops.id"),
        _fk("campaigns", "created_by", "users.id"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_campaigns")),
    )
    op.create_index(op.f("ix_campaigns_shop_id"), "campaigns", ["shop_id"])
    op.create_table(
        "campaign_spend",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("channel", sa.String(length=40), nullable=False),
        sa.Column("creative", sa.String(length=80), nullable=False),
        sa.Column("impressions", sa.BigInteger(), nullable=False),
        sa.Column("spend", sa.BigInteger(), nullable=False),
        _fk("campaign_spend", "campaign_id", "campaigns.id", cascade=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_campaign_spend")),
        sa.UniqueConstraint(
            "campaign_id",
            "day",
            "channel",
            "creative",
            name=op.f("uq_campaign_spend_campaign_id"),
        ),
    )


def _tracking() -> None:
    op.create_table(
        "tracking_links",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=16), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=True),
        sa.Column("shop_id", sa.Integer(), nullable=True),
        sa.Column("target", sa.String(length=40), nullable=False),
        sa.Column("channel", sa.String(length=40), nullable=False),
        sa.Column("creative", sa.String(length=80), nullable=False),
        sa.Column("kol", sa.String(length=80), nullable=False),
        sa.Column("kol_user_id", sa.Integer(), nullable=True),
        sa.Column("sharer_id", sa.Integer(), nullable=True),
        _at("created_at"),
        _fk("tracking_links", "campaign_id", "campaigns.id"),
        _fk("tracking_links", "kol_user_id", "users.id"),
        _fk("tracking_links", "sharer_id", "users.id"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tracking_links")),
        sa.UniqueConstraint("code", name=op.f("uq_tracking_links_code")),
    )
    op.create_index(op.f("ix_tracking_links_campaign_id"), "tracking_links", ["campaign_id"])
    op.create_index("ix_tracking_links_sharer_target", "tracking_links", ["sharer_id", "target"])
    op.create_table(
        "attribution_touches",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("link_id", sa.Integer(), nullable=False),
        sa.Column("visitor", sa.String(length=32), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column(
            "kind",
            sa.Enum(*TOUCH_KINDS, name="touchkind", native_enum=False, length=10),
            nullable=False,
        ),
        sa.Column("room_id", sa.Integer(), nullable=True),
        _at("at"),
        _fk("attribution_touches", "link_id", "tracking_links.id", cascade=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_attribution_touches")),
    )
    op.create_index(op.f("ix_attribution_touches_visitor"), "attribution_touches", ["visitor"])
    op.create_index("ix_attribution_touches_user_at", "attribution_touches", ["user_id", "at"])
    op.create_index("ix_attribution_touches_link_kind", "attribution_touches", ["link_id", "kind"])


def _conversions() -> None:
    op.create_table(
        "campaign_conversions",
        sa.Column("order_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("buyer_id", sa.Integer(), nullable=False),
        sa.Column("shop_id", sa.Integer(), nullable=False),
        sa.Column("room_id", sa.Integer(), nullable=True),
        _at("paid_at"),
        sa.Column("total", sa.BigInteger(), nullable=False),
        sa.Column("refunded", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("order_id", name=op.f("pk_campaign_conversions")),
    )
    op.create_index(op.f("ix_campaign_conversions_shop_id"), "campaign_conversions", ["shop_id"])
    op.create_index(
        "ix_campaign_conversions_buyer_paid", "campaign_conversions", ["buyer_id", "paid_at"]
    )
    op.create_table(
        "kol_commissions",
        sa.Column("order_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("link_id", sa.Integer(), nullable=False),
        sa.Column("kol_user_id", sa.Integer(), nullable=False),
        sa.Column("shop_id", sa.Integer(), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(*COMMISSION_STATUSES, name="commissionstatus", native_enum=False, length=10),
            nullable=False,
        ),
        _at("created_at"),
        _at("decided_at", nullable=True),
        _fk("kol_commissions", "link_id", "tracking_links.id"),
        _fk("kol_commissions", "kol_user_id", "users.id"),
        sa.PrimaryKeyConstraint("order_id", name=op.f("pk_kol_commissions")),
    )
    op.create_index(op.f("ix_kol_commissions_kol_user_id"), "kol_commissions", ["kol_user_id"])


def _experiments() -> None:
    op.create_table(
        "experiments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("shop_id", sa.Integer(), nullable=True),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("variants", sa.JSON(), nullable=False),
        sa.Column("metric", sa.String(length=40), nullable=False),
        sa.Column("planned_users", sa.Integer(), nullable=True),
        sa.Column("created_by", sa.Integer(), nullable=False),
        _at("created_at"),
        _fk("experiments", "shop_id", "shops.id"),
        _fk("experiments", "created_by", "users.id"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_experiments")),
    )
    op.create_table(
        "experiment_exposures",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("experiment_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("variant", sa.String(length=60), nullable=False),
        _at("at"),
        _fk("experiment_exposures", "experiment_id", "experiments.id", cascade=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_experiment_exposures")),
        sa.UniqueConstraint(
            "experiment_id", "user_id", name=op.f("uq_experiment_exposures_experiment_id")
        ),
    )


def _pushes() -> None:
    op.create_table(
        "audience_pushes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("shop_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("target", sa.String(length=40), nullable=False),
        sa.Column("message", sa.String(length=300), nullable=False),
        sa.Column("holdout_share", sa.Integer(), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=False),
        _at("sent_at"),
        _fk("audience_pushes", "shop_id", "shops.id"),
        _fk("audience_pushes", "created_by", "users.id"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audience_pushes")),
    )
    op.create_index(op.f("ix_audience_pushes_shop_id"), "audience_pushes", ["shop_id"])
    op.create_table(
        "audience_push_recipients",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("push_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("held_out", sa.Boolean(), nullable=False),
        _fk("audience_push_recipients", "push_id", "audience_pushes.id", cascade=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audience_push_recipients")),
        sa.UniqueConstraint("push_id", "user_id", name=op.f("uq_audience_push_recipients_push_id")),
    )


def downgrade() -> None:
    for table in (
        "audience_push_recipients",
        "audience_pushes",
        "experiment_exposures",
        "experiments",
        "kol_commissions",
        "campaign_conversions",
        "attribution_touches",
        "tracking_links",
        "campaign_spend",
        "campaigns",
    ):
        op.drop_table(table)

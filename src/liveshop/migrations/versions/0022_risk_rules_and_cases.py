"""risk: the operators' rule versions and the review queue's cases

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-06 15:10:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0022"
down_revision = "0021"
branch_labels = None
depends_on = None

CASE_STATUSES = ("OPEN", "CONFIRMED", "CLEARED")


def upgrade() -> None:
    op.create_table(
        "risk_rule_versions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("author", sa.String(length=120), nullable=False),
        sa.Column("comment", sa.String(length=500), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_risk_rule_versions")),
        sa.UniqueConstraint("version", name=op.f("uq_risk_rule_versions_version")),
    )
    op.create_table(
        "risk_cases",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("path", sa.String(length=20), nullable=False),
        sa.Column("subject", sa.String(length=60), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("merchant_id", sa.Integer(), nullable=True),
        sa.Column("room_id", sa.Integer(), nullable=True),
        sa.Column("decision", sa.String(length=12), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("reasons", sa.JSON(), nullable=False),
        sa.Column("features", sa.JSON(), nullable=False),
        sa.Column("event", sa.JSON(), nullable=False),
        sa.Column("reference", sa.String(length=40), nullable=False),
        sa.Column(
            "status",
            sa.Enum(*CASE_STATUSES, name="casestatus", native_enum=False, length=10),
            nullable=False,
        ),
        sa.Column("label", sa.String(length=40), nullable=True),
        sa.Column("analyst_id", sa.Integer(), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("appeal", sa.Text(), nullable=True),
        sa.Column("appealed_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["analyst_id"], ["users.id"], name=op.f("fk_risk_cases_analyst_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_risk_cases")),
    )
    with op.batch_alter_table("risk_cases", schema=None) as batch_op:
        batch_op.create_index("ix_risk_cases_status_created", ["status", "created_at"])
        batch_op.create_index("ix_risk_cases_subject", ["subject"])
        batch_op.create_index(batch_op.f("ix_risk_cases_user_id"), ["user_id"])
        batch_op.create_index(batch_op.f("ix_risk_cases_merchant_id"), ["merchant_id"])


def downgrade() -> None:
    op.drop_table("risk_cases")
    op.drop_table("risk_rule_versions")

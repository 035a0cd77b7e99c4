"""reports, penalties, appeals, qualifications, identity verification, inspections

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-25 21:10:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

SUBJECT_TYPE = sa.Enum("USER", "SHOP", name="subjecttype", native_enum=False, length=10)


def _moment(name: str, *, nullable: bool = False) -> sa.Column[object]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def _user_fk(table: str, column: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint([column], ["users.id"], name=op.f(f"fk_{table}_{column}_users"))


def upgrade() -> None:
    _create_reports_penalties_appeals()
    _create_inspections()
    _create_qualifications()


def _create_reports_penalties_appeals() -> None:
    op.create_table(
        "reports",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("reporter_id", sa.Integer(), nullable=False),
        sa.Column(
            "target_type",
            sa.Enum(
                "COMMENT",
                "ROOM",
                "PRODUCT",
                "USER",
                name="reporttarget",
                native_enum=False,
                length=10,
            ),
            nullable=False,
        ),
        sa.Column("target_id", sa.Integer(), nullable=False),
        sa.Column("reason", sa.String(length=40), nullable=False),
        sa.Column("details", sa.Text(), nullable=False),
        sa.Column("evidence", sa.JSON(), nullable=False),
        sa.Column("accused_user_id", sa.Integer(), nullable=True),
        sa.Column("accused_shop_id", sa.Integer(), nullable=True),
        sa.Column("room_id", sa.Integer(), nullable=True),
        sa.Column(
            "status",
            sa.Enum(
                "OPEN",
                "CLAIMED",
                "ACTIONED",
                "DISMISSED",
                name="reportstatus",
                native_enum=False,
                length=10,
            ),
            nullable=False,
        ),
        sa.Column("claimed_by", sa.Integer(), nullable=True),
        _moment("claimed_at", nullable=True),
        sa.Column("resolved_by", sa.Integer(), nullable=True),
        _moment("resolved_at", nullable=True),
        sa.Column("resolution", sa.Text(), nullable=False),
        sa.Column("penalty_id", sa.Integer(), nullable=True),
        _moment("created_at"),
        _user_fk("reports", "claimed_by"),
        _user_fk("reports", "reporter_id"),
        _user_fk("reports", "resolved_by"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reports")),
    )
    with op.batch_alter_table("reports", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_reports_reporter_id"), ["reporter_id"], unique=False)
        batch_op.create_index("ix_reports_status_created", ["status", "created_at"], unique=False)
        batch_op.create_index(
            "uq_reports_open",
            ["reporter_id", "target_type", "target_id"],
            unique=True,
            sqlite_where=sa.text("resolved_at IS NULL"),
            postgresql_where=sa.text("resolved_at IS NULL"),
        )

    op.create_table(
        "penalties",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "DELETE_COMMENT",
                "MUTE",
                "WARNING",
                "LIMIT_EXPOSURE",
                "STOP_ROOM",
                "FINE",
                "SUSPENSION",
                "BAN",
                name="penaltykind",
                native_enum=False,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column("subject_type", SUBJECT_TYPE, nullable=False),
        sa.Column("subject_id", sa.Integer(), nullable=False),
        sa.Column("target_type", sa.String(length=20), nullable=True),
        sa.Column("target_id", sa.Integer(), nullable=True),
        sa.Column("room_id", sa.Integer(), nullable=True),
        sa.Column("rule", sa.String(length=200), nullable=False),
        sa.Column("evidence", sa.JSON(), nullable=False),
        sa.Column("points", sa.Integer(), nullable=False),
        sa.Column("amount", sa.Integer(), nullable=True),
        sa.Column("currency", sa.String(length=3), nullable=True),
        _moment("starts_at"),
        _moment("ends_at", nullable=True),
        _moment("appeal_deadline"),
        sa.Column("imposed_by", sa.Integer(), nullable=True),
        sa.Column("report_id", sa.Integer(), nullable=True),
        sa.Column("ladder_step", sa.Integer(), nullable=True),
        _moment("revoked_at", nullable=True),
        sa.Column("revoked_by", sa.Integer(), nullable=True),
        _moment("created_at"),
        _user_fk("penalties", "imposed_by"),
        sa.ForeignKeyConstraint(
            ["report_id"], ["reports.id"], name=op.f("fk_penalties_report_id_reports")
        ),
        _user_fk("penalties", "revoked_by"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_penalties")),
    )
    with op.batch_alter_table("penalties", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_penalties_room_id"), ["room_id"], unique=False)
        batch_op.create_index(
            "ix_penalties_subject", ["subject_type", "subject_id", "created_at"], unique=False
        )

    op.create_table(
        "appeals",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("penalty_id", sa.Integer(), nullable=False),
        sa.Column("appellant_id", sa.Integer(), nullable=False),
        sa.Column("statement", sa.Text(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "PENDING", "UPHELD", "OVERTURNED", name="appealstatus", native_enum=False, length=12
            ),
            nullable=False,
        ),
        sa.Column("decided_by", sa.Integer(), nullable=True),
        _moment("decided_at", nullable=True),
        sa.Column("decision_note", sa.Text(), nullable=False),
        _moment("created_at"),
        _user_fk("appeals", "appellant_id"),
        _user_fk("appeals", "decided_by"),
        sa.ForeignKeyConstraint(
            ["penalty_id"], ["penalties.id"], name=op.f("fk_appeals_penalty_id_penalties")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_appeals")),
        sa.UniqueConstraint("penalty_id", name=op.f("uq_appeals_penalty_id")),
    )
    with op.batch_alter_table("appeals", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_appeals_appellant_id"), ["appellant_id"], unique=False)

    op.create_table(
        "violation_subjects",
        sa.Column("subject_type", SUBJECT_TYPE, nullable=False),
        sa.Column("subject_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("points", sa.Integer(), nullable=False),
        _moment("updated_at"),
        sa.PrimaryKeyConstraint("subject_type", "subject_id", name=op.f("pk_violation_subjects")),
    )


def _create_inspections() -> None:
    op.create_table(
        "inspections",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column(
            "target_type",
            sa.Enum("PRODUCT", "ORDER", name="inspectiontarget", native_enum=False, length=10),
            nullable=False,
        ),
        sa.Column("target_id", sa.Integer(), nullable=False),
        sa.Column("shop_id", sa.Integer(), nullable=True),
        sa.Column("seed", sa.String(length=64), nullable=False),
        sa.Column("rate", sa.String(length=20), nullable=False),
        sa.Column(
            "result",
            sa.Enum(
                "PENDING", "PASS", "FAIL", name="inspectionresult", native_enum=False, length=10
            ),
            nullable=False,
        ),
        sa.Column("findings", sa.Text(), nullable=False),
        sa.Column("inspector_id", sa.Integer(), nullable=True),
        _moment("sampled_at"),
        _moment("recorded_at", nullable=True),
        _user_fk("inspections", "inspector_id"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_inspections")),
    )
    with op.batch_alter_table("inspections", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_inspections_shop_id"), ["shop_id"], unique=False)
        batch_op.create_index("ix_inspections_target", ["target_type", "target_id"], unique=False)

    op.create_table(
        "product_delistings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("product_id", sa.Integer(), nullable=False),
        sa.Column("shop_id", sa.Integer(), nullable=False),
        sa.Column("inspection_id", sa.Integer(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("withdrawn_stock", sa.JSON(), nullable=False),
        _moment("delisted_at"),
        _moment("relisted_at", nullable=True),
        sa.ForeignKeyConstraint(
            ["inspection_id"],
            ["inspections.id"],
            name=op.f("fk_product_delistings_inspection_id_inspections"),
        ),
        sa.ForeignKeyConstraint(
            ["product_id"], ["products.id"], name=op.f("fk_product_delistings_product_id_products")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_product_delistings")),
    )
    with op.batch_alter_table("product_delistings", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_product_delistings_product_id"), ["product_id"], unique=False
        )


def _create_qualifications() -> None:
    op.create_table(
        "qualifications",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("shop_id", sa.Integer(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "BUSINESS_LICENCE",
                "CATEGORY_LICENCE",
                "PRODUCT_CERTIFICATE",
                name="qualificationkind",
                native_enum=False,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column("category", sa.String(length=40), nullable=True),
        sa.Column("product_id", sa.Integer(), nullable=True),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.Column("documents", sa.JSON(), nullable=False),
        sa.Column("valid_until", sa.Date(), nullable=True),
        sa.Column(
            "status",
            sa.Enum(
                "PENDING",
                "APPROVED",
                "REJECTED",
                name="qualificationstatus",
                native_enum=False,
                length=10,
            ),
            nullable=False,
        ),
        sa.Column("submitted_by", sa.Integer(), nullable=False),
        _moment("submitted_at"),
        sa.Column("reviewed_by", sa.Integer(), nullable=True),
        _moment("reviewed_at", nullable=True),
        sa.Column("review_note", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["product_id"], ["products.id"], name=op.f("fk_qualifications_product_id_products")
        ),
        _user_fk("qualifications", "reviewed_by"),
        sa.ForeignKeyConstraint(
            ["shop_id"], ["shops.id"], name=op.f("fk_qualifications_shop_id_shops")
        ),
        _user_fk("qualifications", "submitted_by"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_qualifications")),
    )
    with op.batch_alter_table("qualifications", schema=None) as batch_op:
        batch_op.create_index(
            "ix_qualifications_shop_kind", ["shop_id", "kind", "status"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_qualifications_status"), ["status"], unique=False)

    op.create_table(
        "identity_verifications",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("real_name", sa.String(length=60), nullable=False),
        sa.Column("id_number_masked", sa.String(length=40), nullable=False),
        sa.Column("id_number_hash", sa.String(length=64), nullable=False),
        sa.Column("birth_date", sa.Date(), nullable=False),
        sa.Column("guardian_consent", sa.Boolean(), nullable=False),
        _moment("verified_at"),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_identity_verifications_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_identity_verifications")),
        sa.UniqueConstraint(
            "id_number_hash", name=op.f("uq_identity_verifications_id_number_hash")
        ),
    )


def downgrade() -> None:
    op.drop_table("identity_verifications")
    with op.batch_alter_table("qualifications", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_qualifications_status"))
        batch_op.drop_index("ix_qualifications_shop_kind")
    op.drop_table("qualifications")
    with op.batch_alter_table("product_delistings", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_product_delistings_product_id"))
    op.drop_table("product_delistings")
    with op.batch_alter_table("inspections", schema=None) as batch_op:
        batch_op.drop_index("ix_inspections_target")
        batch_op.drop_index(batch_op.f("ix_inspections_shop_id"))
    op.drop_table("inspections")
    op.drop_table("violation_subjects")
    with op.batch_alter_table("appeals", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_appeals_appellant_id"))
    op.drop_table("appeals")
    with op.batch_alter_table("penalties", schema=None) as batch_op:
        batch_op.drop_index("ix_penalties_subject")
        batch_op.drop_index(batch_op.f("ix_penalties_room_id"))
    op.drop_table("penalties")
    with op.batch_alter_table("reports", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_reports_open",
            sqlite_where=sa.text("resolved_at IS NULL"),
            postgresql_where=sa.text("resolved_at IS NULL"),
        )
        batch_op.drop_index("ix_reports_status_created")
        batch_op.drop_index(batch_op.f("ix_reports_reporter_id"))
    op.drop_table("reports")

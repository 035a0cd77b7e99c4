"""passkeys: WebAuthn credentials, their challenges, and the seamless daily limit

Revision ID: 0026
Revises: 0025
Create Date: 2026-12-06 18:35:00

Paying with a passkey (issue 17 §5): ``passkeys`` holds each buyer's WebAuthn
credentials (public key, sign count, the device it was registered from, whether
that device is trusted); ``webauthn_challenges`` the single-use, short-lived
nonces behind registration and payment challenges; ``seamless_limits`` the
buyer's daily limit for paying from a trusted device without a step-up; and
``payments.seamless`` marks the payments that did.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0026"
down_revision = "0025"
branch_labels = None
depends_on = None


def _at(name: str, *, nullable: bool = False) -> sa.Column[object]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def _user(*, primary_key: bool = False) -> sa.Column[object]:
    return sa.Column(
        "user_id",
        sa.Integer(),
        sa.ForeignKey("users.id", ondelete="CASCADE"),
        primary_key=primary_key,
        nullable=False,
    )


def upgrade() -> None:
    op.create_table(
        "passkeys",
        sa.Column("id", sa.Integer(), primary_key=True),
        _user(),
        sa.Column("credential_id", sa.LargeBinary(length=1024), nullable=False, unique=True),
        sa.Column("public_key", sa.LargeBinary(), nullable=False),
        sa.Column("sign_count", sa.BigInteger(), nullable=False),
        sa.Column("name", sa.String(length=40), nullable=False),
        sa.Column("device_id", sa.String(length=64), nullable=True),
        sa.Column("trusted", sa.Boolean(), nullable=False),
        _at("created_at"),
        _at("last_used_at", nullable=True),
    )
    op.create_index("ix_passkeys_user_id", "passkeys", ["user_id"])
    op.create_table(
        "webauthn_challenges",
        sa.Column("id", sa.Integer(), primary_key=True),
        _user(),
        sa.Column("subject", sa.String(length=64), nullable=False),
        sa.Column("nonce", sa.String(length=64), nullable=False),
        _at("expires_at"),
        _at("used_at", nullable=True),
    )
    op.create_index("ix_webauthn_challenges_user_id", "webauthn_challenges", ["user_id"])
    op.create_table(
        "seamless_limits",
        _user(primary_key=True),
        sa.Column("daily_limit", sa.Integer(), nullable=False),
        _at("updated_at"),
    )
    # recreate="never": SQLite adds the column in place (a recreated table is dropped
    # first, and its ON DELETE CASCADE children with it).
    with op.batch_alter_table("payments", recreate="never") as batch_op:
        batch_op.add_column(
            sa.Column("seamless", sa.Boolean(), nullable=False, server_default=sa.false())
        )


def downgrade() -> None:
    # recreate="never": SQLite drops the column in place; a recreated table would be
    # dropped first, and its ON DELETE CASCADE children with it.
    with op.batch_alter_table("payments", recreate="never") as batch_op:
        batch_op.drop_column("seamless")
    op.drop_table("seamless_limits")
    op.drop_table("webauthn_challenges")
    op.drop_table("passkeys")

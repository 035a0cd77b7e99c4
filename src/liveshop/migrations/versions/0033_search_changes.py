"""search: the log of changed search documents, replayed by the Tantivy index

Revision ID: 0033
Revises: 0032
Create Date: 2026-12-06 21:30:00

``search_changes`` gets a row, in the same transaction, each time a search
document is written or removed (its kind and object id, and a random stamp).
``search_documents`` stays the record; an index derived from it (Tantivy, one
directory per database under the home) replays the rows past its watermark
before it answers, so a committed change is searchable by the next query.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0033"
down_revision = "0032"
branch_labels = None
depends_on = None

KINDS = ("PRODUCT", "ROOM", "SHOP")


def upgrade() -> None:
    op.create_table(
        "search_changes",
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(*KINDS, name="documentkind", native_enum=False, length=10),
            nullable=False,
        ),
        sa.Column("object_id", sa.Integer(), nullable=False),
        sa.Column("stamp", sa.String(length=16), nullable=False),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_search_changes")),
        sqlite_autoincrement=True,
    )


def downgrade() -> None:
    op.drop_table("search_changes")

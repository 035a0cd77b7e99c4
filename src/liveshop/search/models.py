from __future__ import annotations

import enum
import secrets
from datetime import datetime

from sqlalchemy import Enum, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from liveshop.core.clock import utcnow
from liveshop.core.db import Base, UtcDateTime


class DocumentKind(enum.StrEnum):
    PRODUCT = "product"
    ROOM = "room"
    SHOP = "shop"


class SearchDocument(Base):
    """One searchable object with its text already segmented (jieba) and spelled out
    in pinyin, so SQLite's FTS5 and PostgreSQL's ``simple`` text search, which only
    split on spaces, index the same tokens. The full-text index follows this row:
    triggers keep ``search_fts`` in step on SQLite, and a generated ``tsv`` column
    (GIN-indexed) on PostgreSQL; neither is mapped here (migration 0021)."""

    __tablename__ = "search_documents"
    __table_args__ = (
        UniqueConstraint("kind", "object_id"),
        Index("ix_search_documents_kind_price", "kind", "price_min"),
        Index("ix_search_documents_kind_sales", "kind", "sales"),
        Index("ix_search_documents_kind_category", "kind", "category"),
        Index("ix_search_documents_kind_shop", "kind", "shop_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[DocumentKind] = mapped_column(Enum(DocumentKind, native_enum=False, length=10))
    object_id: Mapped[int] = mapped_column(Integer)
    shop_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    title: Mapped[str] = mapped_column(String(200))
    category: Mapped[str] = mapped_column(String(60), default="")
    price_min: Mapped[int | None] = mapped_column(Integer, nullable=True)  # minor units
    sales: Mapped[int] = mapped_column(Integer, default=0)  # units sold, paid orders
    image_url: Mapped[str | None] = mapped_column(String(500), nullable=True)
    tokens: Mapped[str] = mapped_column(Text)  # space-separated words and their pinyin
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class SearchTerm(Base):
    """The index's vocabulary with each word's pinyin: what a misspelt or pinyin
    query is matched against before it reaches the full-text index."""

    __tablename__ = "search_terms"

    term: Mapped[str] = mapped_column(String(64), primary_key=True)
    pinyin: Mapped[str] = mapped_column(String(200), index=True)


def new_stamp() -> str:
    return secrets.token_hex(8)


class SearchChange(Base):
    """The log of changed documents, one row per write or removal, in the same
    transaction: what a derived index (Tantivy, :mod:`liveshop.search.tantivy_index`)
    replays past its watermark. ``stamp`` is random, so an index can tell that the
    row it stopped at is still the same row (a restored or emptied database numbers
    its changes from 1 again)."""

    __tablename__ = "search_changes"
    __table_args__ = {"sqlite_autoincrement": True}  # noqa: RUF012 - SQLAlchemy's own form

    seq: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[DocumentKind] = mapped_column(Enum(DocumentKind, native_enum=False, length=10))
    object_id: Mapped[int] = mapped_column(Integer)
    stamp: Mapped[str] = mapped_column(String(16), default=new_stamp)

"""Moderation's tables: the hash-chained audit log and its chain head.

Other moderation tables (reports, penalties, inspections) join this module as
they are built.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from liveshop.core.db import Base, UtcDateTime

GENESIS_HASH = "0" * 64  # the "previous hash" of the very first entry


class AuditEntry(Base):
    """One audited action; never updated. ``hash`` is SHA-256 over the previous
    entry's hash and this entry's canonical content (``liveshop.core.audit.log``).

    ``actor`` and ``subject`` name things by id (``user:42``, ``order:7``), never by
    name, so that an entry stays true and harmless after the person is erased.
    """

    __tablename__ = "audit_log"

    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)
    actor: Mapped[str] = mapped_column(String(100), index=True)
    action: Mapped[str] = mapped_column(String(60), index=True)
    subject: Mapped[str] = mapped_column(String(200), index=True)
    details: Mapped[str] = mapped_column(Text)  # canonical JSON, exactly as hashed
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64), unique=True)


class AuditChainHead(Base):
    """The one row (``id`` 1) every writer locks: the last entry's seq and hash.

    It also tells where the log starts once old entries are pruned by retention:
    entries up to ``pruned_through_seq`` are gone, and the first kept entry's
    ``prev_hash`` must equal ``anchor_hash``.
    """

    __tablename__ = "audit_chain_head"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    last_seq: Mapped[int] = mapped_column(Integer, default=0)
    last_hash: Mapped[str] = mapped_column(String(64), default=GENESIS_HASH)
    pruned_through_seq: Mapped[int] = mapped_column(Integer, default=0)
    anchor_hash: Mapped[str] = mapped_column(String(64), default=GENESIS_HASH)

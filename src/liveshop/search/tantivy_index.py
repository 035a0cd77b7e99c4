"""A Tantivy index derived from ``search_documents``, kept in step through ``search_changes``.

``search_documents`` is the record; this index is a copy that answers fast. It
lives in a directory of its own per database (under the home) with a state
file beside it: the last change it holds (``seq`` and the row's random
``stamp``). Before a query, :meth:`TantivyIndex.catch_up` reads the newest row
of the change log (one primary-key lookup); when it is not the one this
process's reader holds, it takes the directory's file lock (one writer across
processes), replays the changes past the watermark (each changed document is
deleted by key and written again as the database has it now, or left out when
it is gone), commits, and every reader reloads. So a change is searchable by
the first query after its transaction commits, in any process.

PostgreSQL hands out ``seq`` values before commit, so a change with a lower
number can commit after a higher one was replayed: numbers skipped over are
kept as gaps and looked for again for GAP_SECONDS. A log whose row at the
watermark is gone or different (an emptied or restored database) rebuilds the
index from ``search_documents``.
"""

from __future__ import annotations

import fcntl
import json
import os
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import tantivy
from sqlalchemy import or_, select, text
from sqlalchemy.orm import Session

from liveshop.search.models import DocumentKind, SearchChange, SearchDocument

SCHEMA_VERSION = 1  # a new schema is a new directory, built from the record
KIND_CODES = {DocumentKind.PRODUCT: 0, DocumentKind.ROOM: 1, DocumentKind.SHOP: 2}
KEY_SPAN = 1 << 40  # key = kind code * KEY_SPAN + object id: one term per document
TOKENIZER = "liveshop_tokens"  # the indexer's words are already cut: split on spaces
GAP_SECONDS = 60.0  # a PostgreSQL transaction commits its change within this long
WRITER_HEAP = 64_000_000  # bytes for replaying changes
BUILD_HEAP = 512_000_000  # bytes for a rebuild: fewer, larger segments
BUILD_BATCH = 20_000  # documents read per round trip in a rebuild
KEYS_PER_READ = 500


def document_key(kind: DocumentKind, object_id: int) -> int:
    return KIND_CODES[kind] * KEY_SPAN + object_id


def build_schema() -> tantivy.Schema:
    builder = tantivy.SchemaBuilder()
    builder.add_text_field("tokens", tokenizer_name=TOKENIZER, index_option="freq")
    builder.add_integer_field("key", indexed=True)
    builder.add_integer_field("kind", indexed=True, fast=True)
    builder.add_integer_field("object_id", indexed=True, fast=True)
    builder.add_integer_field("shop_id", indexed=True, fast=True)
    builder.add_text_field("category", tokenizer_name="raw", fast=True)
    builder.add_integer_field("price_min", indexed=True, fast=True)
    builder.add_integer_field("sales", fast=True)
    return builder.build()


def _document(row: Any) -> tantivy.Document:
    document = tantivy.Document(
        tokens=row.tokens,
        key=document_key(row.kind, row.object_id),
        kind=KIND_CODES[row.kind],
        object_id=row.object_id,
        category=row.category,
        sales=row.sales,
    )
    if row.shop_id is not None:
        document.add_integer("shop_id", row.shop_id)
    if row.price_min is not None:
        document.add_integer("price_min", row.price_min)
    return document


DOCUMENT_COLUMNS = (
    SearchDocument.kind,
    SearchDocument.object_id,
    SearchDocument.shop_id,
    SearchDocument.category,
    SearchDocument.price_min,
    SearchDocument.sales,
    SearchDocument.tokens,
)


NEWEST_CHANGE = text("SELECT seq, stamp FROM search_changes ORDER BY seq DESC LIMIT 1")


@dataclass
class IndexState:
    """The last change the index holds, and changes numbered below it not yet seen."""

    watermark: int = 0
    stamp: str = ""
    gaps: dict[int, float] = field(default_factory=dict)  # seq -> when first missed

    def head(self) -> tuple[int, str]:
        return self.watermark, self.stamp


@contextmanager
def _file_lock(path: Path) -> Iterator[None]:
    with path.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


class TantivyIndex:
    """One database's index in ``path``; one instance per process and database."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.schema = build_schema()
        self._lock = threading.Lock()
        self._held: IndexState | None = None  # what this process's reader reflects
        path.mkdir(parents=True, exist_ok=True, mode=0o700)
        with _file_lock(self._lock_path):
            if tantivy.Index.exists(str(path)):
                self.index = tantivy.Index.open(str(path))
            else:
                self.index = tantivy.Index(self.schema, path=str(path))
        analyzer = (
            tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.whitespace())
            .filter(tantivy.Filter.lowercase())
            .build()
        )
        self.index.register_tokenizer(TOKENIZER, analyzer)

    @property
    def _lock_path(self) -> Path:
        return self.path / "liveshop-writer.lock"

    @property
    def _state_path(self) -> Path:
        return self.path / "liveshop-state.json"

    def searcher(self, session: Session) -> tantivy.Searcher:
        """A searcher holding every change committed before this call."""
        self.catch_up(session)
        return self.index.searcher()

    def catch_up(self, session: Session) -> None:
        newest = session.execute(NEWEST_CHANGE).first()
        head = (newest[0], newest[1]) if newest is not None else (0, "")
        held = self._held
        if held is not None and held.head() == head and not held.gaps:
            return
        with self._lock, _file_lock(self._lock_path):
            state = self._read_state()
            if state is None or not self._continues(session, state, head):
                state = self._rebuild(session)
            if state.head() != head or state.gaps:
                state = self._replay(session, state)
            self.index.reload()
            self._held = state

    def rebuild(self, session: Session) -> int:
        """Build the index again from ``search_documents``; the number of documents."""
        with self._lock, _file_lock(self._lock_path):
            state = self._rebuild(session)
            self.index.reload()
            self._held = state
        return self.index.searcher().num_docs

    def _continues(self, session: Session, state: IndexState, head: tuple[int, str]) -> bool:
        """Whether the change log still holds the row the index stopped at."""
        if state.watermark == 0:
            return head[0] >= 0
        if head[0] < state.watermark:
            return False
        stamp = session.scalar(
            select(SearchChange.stamp).where(SearchChange.seq == state.watermark)
        )
        return stamp == state.stamp

    def _replay(self, session: Session, state: IndexState) -> IndexState:
        now = time.time()
        changes = session.execute(
            select(SearchChange.seq, SearchChange.kind, SearchChange.object_id, SearchChange.stamp)
            .where(or_(SearchChange.seq > state.watermark, SearchChange.seq.in_(list(state.gaps))))
            .order_by(SearchChange.seq)
        ).all()
        gaps = {seq: seen for seq, seen in state.gaps.items() if now - seen < GAP_SECONDS}
        watermark, stamp = state.head()
        for change in changes:
            gaps.pop(change.seq, None)
            if change.seq > watermark:
                if session.get_bind().dialect.name == "postgresql":
                    gaps.update(dict.fromkeys(range(watermark + 1, change.seq), now))
                watermark, stamp = change.seq, change.stamp
        keys = {(change.kind, change.object_id) for change in changes}
        if keys:
            writer = self.index.writer(WRITER_HEAP, 1)
            for kind, object_id in keys:
                writer.delete_documents_by_term("key", document_key(kind, object_id))
            for row in _current_documents(session, keys):
                writer.add_document(_document(row))
            writer.commit()
            writer.wait_merging_threads()
        state = IndexState(watermark=watermark, stamp=stamp, gaps=gaps)
        self._write_state(state)
        return state

    def _rebuild(self, session: Session) -> IndexState:
        """Every document again; the watermark is the log's head read first, so a
        change that commits during the build is replayed after it."""
        newest = session.execute(
            select(SearchChange.seq, SearchChange.stamp).order_by(SearchChange.seq.desc()).limit(1)
        ).first()
        state = IndexState(*newest) if newest is not None else IndexState()
        writer = self.index.writer(BUILD_HEAP, 2)
        writer.delete_all_documents()
        rows = session.execute(
            select(*DOCUMENT_COLUMNS)
            .order_by(SearchDocument.id)
            .execution_options(yield_per=BUILD_BATCH)
        )
        for row in rows:
            writer.add_document(_document(row))
        writer.commit()
        writer.wait_merging_threads()
        self._write_state(state)
        return state

    def _read_state(self) -> IndexState | None:
        try:
            data = json.loads(self._state_path.read_text())
        except (FileNotFoundError, ValueError):
            return None
        if data.get("schema") != SCHEMA_VERSION:
            return None
        gaps = {int(seq): float(seen) for seq, seen in data["gaps"].items()}
        return IndexState(watermark=int(data["watermark"]), stamp=str(data["stamp"]), gaps=gaps)

    def _write_state(self, state: IndexState) -> None:
        data = {
            "schema": SCHEMA_VERSION,
            "watermark": state.watermark,
            "stamp": state.stamp,
            "gaps": {str(seq): seen for seq, seen in state.gaps.items()},
        }
        temporary = self._state_path.with_suffix(f".{os.getpid()}.tmp")
        temporary.write_text(json.dumps(data))
        os.replace(temporary, self._state_path)


def _current_documents(session: Session, keys: set[tuple[DocumentKind, int]]) -> Iterator[Any]:
    """The documents of these (kind, object id) pairs that exist now."""
    for kind in DocumentKind:
        object_ids: Sequence[int] = sorted(
            object_id for key_kind, object_id in keys if key_kind is kind
        )
        for start in range(0, len(object_ids), KEYS_PER_READ):
            chunk = object_ids[start : start + KEYS_PER_READ]
            yield from session.execute(
                select(*DOCUMENT_COLUMNS).where(
                    SearchDocument.kind == kind, SearchDocument.object_id.in_(chunk)
                )
            )

"""From what a viewer typed to the terms the full-text index is asked for.

Each word of the query becomes a group of alternatives, any of which may match
(the groups are ANDed): the word itself and its pinyin. Adjacent words whose
joined pinyin is a known word's pinyin are read as that word ('连衣' + '群' ->
'lianyiqun', which 连衣裙 is indexed under), and a word the index has never
seen is matched to its nearest known words (rapidfuzz, over the words and over
their pinyin). A group that matches no known word at all is dropped, so one
stray word does not empty the results.
"""

from __future__ import annotations

import threading
import time
from collections import defaultdict
from dataclasses import dataclass, field

from rapidfuzz import fuzz, process
from sqlalchemy import func, select
from sqlalchemy import text as sql
from sqlalchemy.orm import Session

from liveshop.search import text
from liveshop.search.models import SearchTerm

VOCABULARY_CHECK_SECONDS = 2.0  # how stale the in-memory vocabulary may be
MAX_SPAN = 4  # words joined when looking for a known pinyin
FUZZY_CHOICES = 3
HAN_SIMILARITY = 66.0  # one wrong character in three ('连衣裾' for 连衣裙)
PINYIN_SIMILARITY = 85.0  # a letter or two off in a long pinyin ('lianyiqum')
MIN_FUZZY_LENGTH = {True: 3, False: 5}  # shorter words have too many neighbours


@dataclass
class Vocabulary:
    """The index's words and which words sound like each pinyin."""

    terms: set[str] = field(default_factory=set)
    by_pinyin: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    han_terms: list[str] = field(default_factory=list)
    pinyins: list[str] = field(default_factory=list)
    size: int = -1
    checked_at: float = 0.0
    changes_head: int = -1  # the change log's newest seq when last checked

    def load(self, rows: list[tuple[str, str]]) -> None:
        self.terms = {term for term, _ in rows}
        self.by_pinyin = defaultdict(set)
        for term, pinyin in rows:
            self.by_pinyin[pinyin].add(term)
        self.han_terms = sorted(term for term in self.terms if text.has_han(term))
        self.pinyins = sorted(pinyin for pinyin in self.by_pinyin if pinyin.isascii())
        self.size = len(rows)

    def knows(self, word: str) -> bool:
        return word in self.terms or word in self.by_pinyin


NEWEST_CHANGE = sql("SELECT max(seq) FROM search_changes")  # asked by every query
_vocabularies: dict[str, Vocabulary] = {}
_vocabulary_lock = threading.Lock()


def vocabulary(session: Session) -> Vocabulary:
    """This database's vocabulary, reloaded when words were added, shared by the
    process's requests. Checked when the change log moved (words come with a
    document's change, in its transaction: a query after the commit knows them),
    and every VOCABULARY_CHECK_SECONDS."""
    key = str(session.get_bind().engine.url)
    head = session.scalar(NEWEST_CHANGE) or 0
    with _vocabulary_lock:
        known = _vocabularies.setdefault(key, Vocabulary())
        now = time.monotonic()
        if head == known.changes_head and now - known.checked_at < VOCABULARY_CHECK_SECONDS:
            return known
        known.checked_at, known.changes_head = now, head
        size = session.scalar(select(func.count()).select_from(SearchTerm)) or 0
        if size != known.size:
            rows = session.execute(select(SearchTerm.term, SearchTerm.pinyin)).all()
            known.load([(term, pinyin) for term, pinyin in rows])
        return known


def forget_vocabularies() -> None:
    with _vocabulary_lock:
        _vocabularies.clear()


def _similar(word: str, known: Vocabulary) -> list[str]:
    han = text.has_han(word)
    if len(word) < MIN_FUZZY_LENGTH[han]:
        return []
    choices = known.han_terms if han else known.pinyins
    cutoff = HAN_SIMILARITY if han else PINYIN_SIMILARITY
    found = process.extract(
        word, choices, scorer=fuzz.ratio, score_cutoff=cutoff, limit=FUZZY_CHOICES
    )
    if han and not found:  # a wrong character that sounds different: try the pinyin
        found = process.extract(
            text.pinyin_of(word),
            known.pinyins,
            scorer=fuzz.ratio,
            score_cutoff=PINYIN_SIMILARITY,
            limit=FUZZY_CHOICES,
        )
    return [choice for choice, _score, _index in found]


def _span_at(words: list[str], start: int, known: Vocabulary) -> tuple[int, str, str]:
    """The longest run of words from ``start`` read as one known word (by its
    spelling or its pinyin); one word when none is."""
    for span in range(min(MAX_SPAN, len(words) - start), 1, -1):
        piece = "".join(words[start : start + span])
        spelled = "".join(text.pinyin_of(word) for word in words[start : start + span])
        if piece in known.terms or spelled in known.by_pinyin:
            return span, piece, spelled
    word = words[start]
    return 1, word, text.pinyin_of(word)


def term_groups(query: str, known: Vocabulary) -> list[list[str]]:
    """The query as groups of alternative index tokens (see the module docstring)."""
    words = text.words(query)
    groups: list[list[str]] = []
    start = 0
    while start < len(words):
        span, piece, spelled = _span_at(words, start, known)
        start += span
        alternatives = [token for token in dict.fromkeys([piece, spelled]) if known.knows(token)]
        if not alternatives:
            alternatives = _similar(piece, known)
        if alternatives:
            groups.append(alternatives)
    return groups

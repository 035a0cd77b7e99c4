"""Aho-Corasick phrase index over normalised text (pyahocorasick), typed."""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Generic, TypeVar, cast

import ahocorasick  # type: ignore[import-not-found]  # the C extension ships no stubs

from liveshop.moderation.normalise import (
    FULL_WIDTH_OFFSET,
    NormalisedText,
    spread,
    width_folded,
)

PayloadT = TypeVar("PayloadT")
PayloadT_co = TypeVar("PayloadT_co", covariant=True)


@dataclass(frozen=True, slots=True)
class Hit(Generic[PayloadT_co]):
    """Phrases found at ``start:end`` of the searched string (end exclusive)."""

    start: int
    end: int
    payloads: tuple[PayloadT_co, ...]


class PhraseIndex(Generic[PayloadT]):
    """Finds every occurrence of a set of keys in one pass, whatever their number.

    Keys are already normalised; several payloads may share one key (a term
    listed in two categories). Overlapping occurrences are all reported.

    pyahocorasick finds a node's child by a linear scan of its children, so a
    root with one child per distinct first character (thousands, for a
    Chinese list) would cost thousands of comparisons per character of text.
    Each character is therefore spelled as two symbols, a bucket
    (code point modulo ``ROOT_BUCKETS``) and the character itself (see
    ``normalise.spread``): the root then has about ``ROOT_BUCKETS`` children
    (a few more for keys that start with a number, whose buckets are apart)
    and each bucket a few dozen. With B buckets and D distinct first
    characters, a character that starts no key costs about B/2 comparisons to
    find its bucket at the root, D/B to miss among the bucket's first
    characters, and B more when the character itself is then looked up at the
    root in vain. The best B is the square root of 2D/3; B = 32 stays within
    a fifth of it for D from 500 to 2,500.
    """

    def __init__(self, entries: Iterable[tuple[str, PayloadT]]) -> None:
        grouped: dict[str, list[PayloadT]] = defaultdict(list)
        for key, payload in entries:
            if key:
                grouped[key].append(payload)
        self._automaton = ahocorasick.Automaton()
        for key, payloads in grouped.items():
            self._automaton.add_word(spread(key), (len(key), tuple(payloads)))
        self.size = len(grouped)
        if self.size:
            self._automaton.make_automaton()

    def search(self, text: NormalisedText) -> list[Hit[PayloadT]]:
        """Keys in ``text.compact``, by compact positions (a list: most texts have none)."""
        if not self.size:
            return []
        return [
            Hit((last + 1) // 2 - length, (last + 1) // 2, cast(tuple[PayloadT, ...], payloads))
            for last, (length, payloads) in self._automaton.iter(text.spread)
        ]


# Symbols the compact view drops but that carry a term's meaning: "100%" is a
# claim, "100" is a quantity. Terms holding one are matched literally instead.
MEANINGFUL_SYMBOLS = frozenset("%‰")


def needs_literal_match(term: str) -> bool:
    return any(symbol in width_folded(term) for symbol in MEANINGFUL_SYMBOLS)


class LiteralIndex(Generic[PayloadT]):
    """Terms matched as written (case, width and spacing aside), on the original text."""

    def __init__(self, entries: Iterable[tuple[str, PayloadT]]) -> None:
        self._payloads: dict[str, list[PayloadT]] = defaultdict(list)
        for term, payload in entries:
            self._payloads[_literal_key(term)].append(payload)
        alternatives = sorted(self._payloads, key=len, reverse=True)
        spaced = (r"\s*".join(map(_either_width, key)) for key in alternatives)
        self._pattern = re.compile("|".join(spaced), re.IGNORECASE) if alternatives else None
        # Every literal term holds a meaningful symbol: a text without one is skipped
        # (a few ``in`` tests, each a C scan, cost a quarter of one regex search).
        self._symbols = tuple({*MEANINGFUL_SYMBOLS, *map(_full_width, MEANINGFUL_SYMBOLS)})

    def search(self, text: str) -> list[Hit[PayloadT]]:
        if self._pattern is None or not any(map(text.__contains__, self._symbols)):
            return []
        return [
            Hit(found.start(), found.end(), tuple(self._payloads[_literal_key(found.group())]))
            for found in self._pattern.finditer(text)
        ]


def _full_width(character: str) -> str:
    return chr(ord(character) + FULL_WIDTH_OFFSET) if "!" <= character <= "~" else character


def _either_width(character: str) -> str:
    """A pattern for an ASCII character or its full-width form (no translation per text)."""
    if not "!" <= character <= "~":
        return re.escape(character)
    return f"[{re.escape(character)}{_full_width(character)}]"


def _literal_key(term: str) -> str:
    return "".join(width_folded(term).split()).casefold()

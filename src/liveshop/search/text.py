"""Chinese text as the index sees it: jieba words, their pinyin, and normalisation.

jieba loads its dictionary (about a second) on first use; :func:`warm_up` does it
once, quietly, off the request path (the app calls it in a thread at start-up).
Everything here is pure and thread-safe after that.
"""

from __future__ import annotations

import logging
import re
import threading
import unicodedata
from collections.abc import Iterable
from functools import lru_cache

import jieba  # type: ignore[import-untyped]
from pypinyin import Style, lazy_pinyin

_TOKENIZER: jieba.Tokenizer | None = None
_TOKENIZER_LOCK = threading.Lock()
_WORD_CHARACTERS = re.compile(r"[^\W_]+", re.UNICODE)
_HAN = re.compile(r"[\u3400-\u9fff]")
_LATIN_WORD = re.compile(r"^[a-z]+$")
MAX_TERM_LENGTH = 64  # longer "words" are noise (a pasted link), not vocabulary


def tokenizer() -> jieba.Tokenizer:
    """The one jieba tokenizer of the process, its dictionary loaded once, quietly."""
    global _TOKENIZER
    if _TOKENIZER is None:
        with _TOKENIZER_LOCK:
            if _TOKENIZER is None:
                jieba.setLogLevel(logging.WARNING)
                loaded = jieba.Tokenizer()
                loaded.initialize()
                _TOKENIZER = loaded
    return _TOKENIZER


def warm_up() -> None:
    """Load jieba's dictionary and pypinyin's tables now (call in a thread)."""
    tokenizer()
    pinyin_of("连衣裙")


def normalise(text: str) -> str:
    """Full-width to half-width, lower case: 'ＸＬ码' and 'xl码' read the same."""
    return unicodedata.normalize("NFKC", text).casefold()


def has_han(text: str) -> bool:
    return _HAN.search(text) is not None


def is_latin_word(text: str) -> bool:
    return _LATIN_WORD.match(text) is not None


@lru_cache(maxsize=65536)
def pinyin_of(word: str) -> str:
    """The word's pinyin without tones or spaces ('连衣裙' -> 'lianyiqun'); latin stays."""
    return "".join(lazy_pinyin(word, style=Style.NORMAL, errors="default")).casefold()


def _clean(pieces: Iterable[str]) -> list[str]:
    words: list[str] = []
    for piece in pieces:
        for word in _WORD_CHARACTERS.findall(piece):
            if len(word) <= MAX_TERM_LENGTH:
                words.append(word)
    return words


def words(text: str) -> list[str]:
    """The words of a query, in order (jieba's precise mode)."""
    return _clean(tokenizer().cut(normalise(text)))


def index_words(text: str) -> list[str]:
    """The words a document is found by: jieba's search mode gives the long words and
    their parts ('连衣裙' -> '连衣', '衣裙', '连衣裙'), without repeats, in order."""
    seen: dict[str, None] = {}
    for word in _clean(tokenizer().cut_for_search(normalise(text))):
        seen.setdefault(word, None)
    return list(seen)


def index_tokens(*texts: str) -> tuple[str, dict[str, str]]:
    """The document's token string (words, then the pinyin of each Chinese word) and
    its vocabulary (word -> pinyin) for :class:`~liveshop.search.models.SearchTerm`."""
    vocabulary: dict[str, str] = {}
    for text in texts:
        for word in index_words(text):
            vocabulary.setdefault(word, pinyin_of(word))
    spelled = [pinyin for word, pinyin in vocabulary.items() if has_han(word)]
    tokens = list(dict.fromkeys([*vocabulary, *spelled]))
    return " ".join(tokens), vocabulary

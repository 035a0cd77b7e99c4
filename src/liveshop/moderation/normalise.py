"""The one normaliser, applied to dictionary terms and to input text alike.

Text is reduced to a *compact* view: letters and digits only, folded (NFKC,
accents and combining marks dropped, casefolded, traditional to simplified,
digit variants to ASCII, homoglyphs to Latin), with runs of one repeated
character collapsed and digits inside Latin words read as letters (``s3x``).
Separators, zero-width and format characters vanish, so ``最 佳``, ``不@当``
and ``微\u200b信`` all become their plain form.

Speed matters more than elegance here (every chat comment goes through it):
the per-character work is done once, at import, into a translation table,
so a comment costs one ``str.translate`` and a few regex scans in C. The
offset map back to the original text is built only when a caller asks for
it, which the engine does only for texts that matched something.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass

import opencc

# Letters that render as nothing (Hangul fillers) are used to split words invisibly.
INVISIBLE_LETTERS = frozenset("\u115f\u1160\u3164\uffa0")
# Categories that render as nothing or only decorate a neighbour: format (zero-width
# joiners, soft hyphen, BOM), combining marks (strike-through evasion), controls.
DROPPED_CATEGORIES = frozenset({"Cf", "Mn", "Me", "Cc", "Cs"})
# Unassigned and private-use code points have no compatibility form and are no
# letters: they contribute nothing, which saves a third of the tables' build.
NEVER_FOLDED_CATEGORIES = frozenset({"Cn", "Co"})
# Lowercase Cyrillic and Greek letters and small capitals drawn like Latin ones
# (after casefolding).
HOMOGLYPHS = {
    "а": "a", "в": "b", "е": "e", "ё": "e", "з": "3", "и": "u", "к": "k", "м": "m",
    "н": "h", "о": "o", "р": "p", "с": "c", "т": "t", "у": "y", "х": "x", "ѕ": "s",
    "і": "i", "ј": "j", "ԁ": "d", "ɡ": "g", "ı": "i",
    "α": "a", "β": "b", "ε": "e", "η": "n", "ι": "i", "κ": "k", "ν": "v", "ο": "o",
    "ρ": "p", "τ": "t", "υ": "u", "χ": "x", "ω": "w", "σ": "o", "ς": "c",
} | dict(zip("ᴀʙᴄᴅᴇꜰɢʜɪᴊᴋʟᴍɴᴏᴘʀꜱᴛᴜᴠᴡʏᴢ", "abcdefghijklmnoprstuvwyz", strict=True))  # fmt: skip
CHINESE_NUMERALS = "零〇一二三四五六七八九壹贰叁肆伍陆柒捌玖幺"
# One or two digits between Latin letters are letters in disguise (p0rn, s3x);
# longer runs are numbers (a phone number glued to letters stays a number).
DIGITS_INSIDE_WORD = re.compile(r"(?<=[a-z])[0134578]{1,2}(?=[a-z])")
DIGITS_IN_WORD_HINT = re.compile(r"[a-z][0134578]{1,2}[a-z]")
LEET_DIGITS = str.maketrans("0134578", "oieastb")
# Full-width ASCII (U+FF01..FF5E) to ASCII, one character for one, so positions hold.
FULL_WIDTH_OFFSET = 0xFEE0
FULL_WIDTH_TO_ASCII = {code: code - FULL_WIDTH_OFFSET for code in range(0xFF01, 0xFF5F)} | {
    ord("。"): ord("."),
    ord("\u3000"): ord(" "),
}

_TRADITIONAL_TO_SIMPLIFIED = opencc.OpenCC("t2s")
CJK_BMP_RANGES = (range(0x3400, 0xA000), range(0xF900, 0xFB00))


def is_cjk(character: str) -> bool:
    """Whether a character is a CJK ideograph (the unified blocks and extensions)."""
    return (
        "\u3400" <= character <= "\u9fff"
        or "\uf900" <= character <= "\ufaff"
        or "\U00020000" <= character <= "\U0003134f"
    )


def _simplified_bmp() -> dict[str, str]:
    """Traditional to simplified for every BMP ideograph, in one OpenCC call."""
    ideographs = [chr(code) for block in CJK_BMP_RANGES for code in block]
    converted = str(_TRADITIONAL_TO_SIMPLIFIED.convert("\n".join(ideographs))).split("\n")
    return {
        source: target
        for source, target in zip(ideographs, converted, strict=True)
        if source != target and len(target) == 1
    }


_SIMPLIFIED_BMP = _simplified_bmp()


def fold_character(character: str) -> str:
    """What one character folds to before separators are dropped (possibly several)."""
    if character in INVISIBLE_LETTERS or unicodedata.category(character) in DROPPED_CATEGORIES:
        return ""
    decomposed = unicodedata.normalize("NFD", unicodedata.normalize("NFKC", character))
    if len(decomposed) == 1:  # most characters: no generator (the tables fold 128k at import)
        without_marks = "" if unicodedata.combining(decomposed) else decomposed
    else:
        without_marks = "".join(part for part in decomposed if not unicodedata.combining(part))
    return "".join(map(_fold_letter, without_marks.casefold()))


def _fold_letter(character: str) -> str:
    if character.isascii():
        return character
    digit = unicodedata.digit(character, None)
    if digit is not None:
        return str(digit)
    if is_cjk(character):
        if character < "\U00010000":
            return _SIMPLIFIED_BMP.get(character, character)
        return str(_TRADITIONAL_TO_SIMPLIFIED.convert(character))
    return HOMOGLYPHS.get(character, character)


def compact_piece(character: str) -> str:
    """The letters and digits one character contributes to the compact view."""
    if unicodedata.category(character) in NEVER_FOLDED_CATEGORIES:
        return ""
    folded = fold_character(character)
    return folded if folded.isalnum() else "".join(filter(str.isalnum, folded))


class LazyTable(dict[int, str]):
    """A ``str.translate`` table for characters beyond the listed ones, filled on first sight."""

    def __init__(self, listed: list[str], fold: Callable[[str], str]) -> None:
        super().__init__()
        self._listed = listed
        self._fold = fold

    def __missing__(self, code: int) -> str:
        folded = self._listed[code] if code < len(self._listed) else self._fold(chr(code))
        self[code] = folded
        return folded


# Tables are lists indexed by code point (the fastest mapping ``str.translate``
# accepts, but one that leaves characters past its end untouched), built once at
# import. They cover the BMP and the SMP, where emoji and mathematical letters
# live: half of all comments hold an emoji. A text with a character beyond (a
# rare ideograph, a tag character) is translated through a ``LazyTable``.
LISTED_CODE_POINTS = 0x20000
BEYOND_LISTS = re.compile("[\U00020000-\U0010ffff]")
COMPACT_PIECES = [compact_piece(chr(code)) for code in range(LISTED_CODE_POINTS)]
COMPACT_TABLE = LazyTable(COMPACT_PIECES, compact_piece)

# The compact view "spread" for the Aho-Corasick automaton (see matcher.PhraseIndex):
# every character preceded by a bucket symbol, code point modulo ROOT_BUCKETS.
# Numbers take their buckets from a second range: they never collapse (a phone
# number keeps its 00), so the repeat pattern below needs only the first range.
ROOT_BUCKETS = 32  # see matcher.PhraseIndex for the choice
BUCKET_SYMBOLS = 0xE000  # private use: never in a compact text, which keeps letters and digits
NUMBER_BUCKET_SYMBOLS = BUCKET_SYMBOLS + ROOT_BUCKETS
NUMBERS = frozenset("0123456789" + CHINESE_NUMERALS)


def spread_character(character: str) -> str:
    first = NUMBER_BUCKET_SYMBOLS if character in NUMBERS else BUCKET_SYMBOLS
    return chr(first + ord(character) % ROOT_BUCKETS) + character


SPREAD_PIECES = [spread_character(chr(code)) for code in range(LISTED_CODE_POINTS)]
SPREAD_TABLE = LazyTable(SPREAD_PIECES, spread_character)


def spread(compact: str) -> str:
    """A compact text spelled for the automaton: each character after its bucket."""
    return compact.translate(SPREAD_TABLE if BEYOND_LISTS.search(compact) else SPREAD_PIECES)


def spread_compact_piece(character: str) -> str:
    return spread(compact_piece(character))


def _shared_spread(piece: str) -> str:
    """``spread(piece)``, the very string ``SPREAD_PIECES`` holds when the piece is one
    character (most are): the tables then cost a few megabytes less."""
    if len(piece) == 1 and ord(piece) < LISTED_CODE_POINTS:
        return SPREAD_PIECES[ord(piece)]
    return spread(piece)


# Straight from an original character to its spread compact piece, in one translation.
SPREAD_COMPACT_PIECES = list(map(_shared_spread, COMPACT_PIECES))
SPREAD_COMPACT_TABLE = LazyTable(SPREAD_COMPACT_PIECES, spread_compact_piece)

# Repeats collapse on the spread view: a bucket and its character followed by both
# are deleted (all but the last of a run remain); numbers' buckets are outside the
# range, so they never collapse. Replacing with "" keeps re.sub in C; a "\1"
# template would cost a Python call a match.
REPEATED_SPREAD_CHARACTER = re.compile(
    f"([{chr(BUCKET_SYMBOLS)}-{chr(NUMBER_BUCKET_SYMBOLS - 1)}](?s:.))(?=\\1)"
)


def _unleet(match: re.Match[str]) -> str:
    return match.group().translate(LEET_DIGITS)


@dataclass(frozen=True, slots=True)
class Layout:
    """Where each compact character came from in the original text.

    ``starts[k]`` and ``ends[k]`` bound the original characters folded into
    compact character ``k`` (collapsed repeats included); ``separated[k]`` says
    whether a separator or invisible character stood just before it.
    """

    starts: list[int]
    ends: list[int]
    separated: list[bool]


class NormalisedText:
    """A text with its compact view; the offset layout is built on first use.

    A comment costs one translation, straight to the spread view, and a slice
    for the compact one (a second translation only to un-leet "p0rn").
    """

    __slots__ = ("_layout", "_spread", "collapsed", "compact", "original")

    def __init__(self, original: str) -> None:
        self.original = original
        self._layout: Layout | None = None
        beyond_lists = BEYOND_LISTS.search(original) is not None
        table = SPREAD_COMPACT_TABLE if beyond_lists else SPREAD_COMPACT_PIECES
        spread_view = original.translate(table)
        spread_view = REPEATED_SPREAD_CHARACTER.sub("", spread_view)
        self.collapsed = spread_view[1::2]
        self.compact = self.collapsed
        self._spread: str | None = spread_view
        if DIGITS_IN_WORD_HINT.search(self.collapsed):
            self.compact = DIGITS_INSIDE_WORD.sub(_unleet, self.collapsed)
            self._spread = None

    @property
    def spread(self) -> str:
        """The compact view spelled for the automaton (see ``spread``)."""
        if self._spread is None:
            self._spread = spread(self.compact)
        return self._spread

    @property
    def layout(self) -> Layout:
        if self._layout is None:
            self._layout = build_layout(self.original)
        return self._layout

    def original_span(self, start: int, end: int) -> tuple[int, int]:
        """The original characters behind compact characters ``start`` to ``end``."""
        layout = self.layout
        return layout.starts[start], layout.ends[end - 1]

    def is_word(self, start: int, end: int) -> bool:
        """Whether compact ``start:end`` is not glued to Latin letters on either side.

        Chinese has no word boundaries, but a Latin term (``sex``) must not
        match inside another word (``has ex`` compacts to ``hasex``): the match
        stands alone if each Latin edge meets a non-letter or a separator.
        """
        compact = self.compact
        glued_before = start > 0 and _latin(compact[start - 1]) and _latin(compact[start])
        glued_after = end < len(compact) and _latin(compact[end]) and _latin(compact[end - 1])
        if not (glued_before or glued_after):
            return True
        separated = self.layout.separated
        return (not glued_before or separated[start]) and (not glued_after or separated[end])


def _latin(character: str) -> bool:
    return "a" <= character <= "z"


def build_layout(original: str) -> Layout:
    """Replay the compaction character by character, recording original offsets.

    Must produce exactly ``NormalisedText.collapsed`` (a property test checks it).
    """
    starts: list[int] = []
    ends: list[int] = []
    separated: list[bool] = []
    separator_pending = False
    last_kept = ""
    for index, character in enumerate(original):
        folded = COMPACT_TABLE[ord(character)]
        if not folded:
            separator_pending = True
            continue
        for part in folded:
            if part == last_kept and _collapsible(part):
                ends[-1] = index + 1
                continue
            starts.append(index)
            ends.append(index + 1)
            separated.append(separator_pending)
            separator_pending = False
            last_kept = part
    return Layout(starts, ends, separated)


def _collapsible(character: str) -> bool:
    return not ("0" <= character <= "9" or character in CHINESE_NUMERALS)


def normalise_term(term: str) -> str:
    """The compact form of a dictionary term (the same folding as any input)."""
    return NormalisedText(term).compact


def width_folded(text: str) -> str:
    """The text with full-width ASCII made ASCII, same length (for URL-like patterns)."""
    return text if text.isascii() else text.translate(FULL_WIDTH_TO_ASCII)

"""The normaliser's fast path against a plain, character-by-character one.

A comment is normalised by one ``str.translate`` through tables built at import
(lists for the BMP and the SMP, a lazily filled dict beyond) and a few regex
passes; matches are mapped back to the original by a replay of the compaction.
Here every step is redone the slow, obvious way (fold each character with
``unicodedata`` and OpenCC, collapse and un-leet in Python loops, find offsets
from the compact views of prefixes) and the two must agree exactly.
"""

from __future__ import annotations

import itertools
import re
import unicodedata

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from liveshop.moderation.engine import default_moderator
from liveshop.moderation.lists import Surface, load_term_lists
from liveshop.moderation.matcher import needs_literal_match
from liveshop.moderation.normalise import (
    CHINESE_NUMERALS,
    COMPACT_PIECES,
    COMPACT_TABLE,
    DROPPED_CATEGORIES,
    INVISIBLE_LETTERS,
    LISTED_CODE_POINTS,
    SPREAD_COMPACT_PIECES,
    SPREAD_COMPACT_TABLE,
    Layout,
    NormalisedText,
    _fold_letter,
    build_layout,
    spread,
)

LEET = str.maketrans("0134578", "oieastb")
# Characters the tricks are made of, so that generated texts hit them often.
TRICKY = (
    "微信薇vVｖＶxX后後發发0１①⓪¹₀一二〇零幺o0Ooａ13457８ss ßﬁ㎏ǅİé\u0301\u0336"
    " -@._~·，。！？%％\u200b\u200d\ufeff\u00ad\u3164🌹𝐩𝐯Ⓟᴘѕеρ\U000e0041\U00020000𠀀\U0001d7d9"
)
TEXTS = st.text(
    alphabet=st.one_of(st.sampled_from(TRICKY), st.characters(codec="utf-8")), max_size=40
)


def reference_piece(character: str) -> str:
    """What one character contributes, folded step by step with no table."""
    if character in INVISIBLE_LETTERS or unicodedata.category(character) in DROPPED_CATEGORIES:
        return ""
    compatible = unicodedata.normalize("NFKC", character)
    decomposed = unicodedata.normalize("NFD", compatible)
    without_marks = "".join(part for part in decomposed if not unicodedata.combining(part))
    folded = "".join(_fold_letter(part) for part in without_marks.casefold())
    return "".join(part for part in folded if part.isalnum())


def reference_collapsed(text: str) -> str:
    """Fold each character, then keep one of each run of a repeated non-number."""
    kept: list[str] = []
    for part in "".join(map(reference_piece, text)):
        if kept and _repeats(kept[-1], part):
            continue
        kept.append(part)
    return "".join(kept)


def _repeats(last_kept: str, part: str) -> bool:
    return part == last_kept and not ("0" <= part <= "9" or part in CHINESE_NUMERALS)


def reference_compact(collapsed: str) -> str:
    """One or two leet digits with a Latin letter on each side are letters (p0rn)."""
    pieces = []
    for is_digit, group in itertools.groupby(enumerate(collapsed), lambda item: item[1].isdigit()):
        run = list(group)
        digits = "".join(character for _, character in run)
        first, last = run[0][0], run[-1][0]
        inside_word = (
            is_digit
            and len(run) <= 2
            and set(digits) <= set("0134578")
            and first > 0
            and "a" <= collapsed[first - 1] <= "z"
            and last + 1 < len(collapsed)
            and "a" <= collapsed[last + 1] <= "z"
        )
        pieces.append(digits.translate(LEET) if inside_word else digits)
    return "".join(pieces)


def reference_layout(text: str) -> Layout:
    """Offsets read off the compact views of the text's prefixes (quadratic, obvious).

    Character ``i`` adds compact characters ``lengths[i]`` to ``lengths[i + 1]``,
    and also lands on the one before when its first part repeats that one. A
    compact character is separated when a character folding to nothing stands
    between the one that started it and the one that started the previous.
    """
    collapsed = reference_collapsed(text)
    lengths = [len(reference_collapsed(text[:index])) for index in range(len(text) + 1)]
    starts = [len(text)] * len(collapsed)
    ends = [0] * len(collapsed)
    for index, character in enumerate(text):
        piece = reference_piece(character)
        if not piece:
            continue
        first = lengths[index]
        if first and _repeats(collapsed[first - 1], piece[0]):
            first -= 1
        for position in range(first, lengths[index + 1]):
            starts[position] = min(starts[position], index)
            ends[position] = index + 1
    separated = [
        any(not reference_piece(text[gap]) for gap in range(starts[k - 1] + 1 if k else 0, start))
        for k, start in enumerate(starts)
    ]
    return Layout(starts, ends, separated)


def test_every_listed_table_entry_is_the_character_folded() -> None:
    """The lists cover the BMP and the SMP (emoji, mathematical letters): all of it."""
    for code in range(LISTED_CODE_POINTS):
        piece = reference_piece(chr(code))
        assert COMPACT_PIECES[code] == piece, hex(code)
        assert SPREAD_COMPACT_PIECES[code] == spread(piece), hex(code)


@settings(max_examples=300, deadline=None)
@given(st.integers(min_value=LISTED_CODE_POINTS, max_value=0x10FFFF))
def test_characters_beyond_the_lists_fold_on_first_sight(code: int) -> None:
    piece = reference_piece(chr(code))
    assert COMPACT_TABLE[code] == piece
    assert SPREAD_COMPACT_TABLE[code] == spread(piece)


@settings(max_examples=400, deadline=None)
@given(TEXTS)
def test_the_one_translation_gives_the_views_of_a_character_by_character_fold(text: str) -> None:
    normalised = NormalisedText(text)
    assert normalised.collapsed == reference_collapsed(text)
    assert normalised.compact == reference_compact(normalised.collapsed)
    assert normalised.spread == spread(normalised.compact)
    assert normalised.spread[1::2] == normalised.compact


@settings(max_examples=300, deadline=None)
@given(TEXTS)
def test_offsets_agree_with_the_compact_views_of_prefixes(text: str) -> None:
    assert build_layout(text) == reference_layout(text)


@settings(max_examples=200, deadline=None)
@given(TEXTS, st.sampled_from(["\U000e0041", "\U000e007f", "\U0002a6df"]))
def test_a_character_beyond_the_lists_changes_nothing_before_it(text: str, beyond: str) -> None:
    """Such a character sends the whole text through the dict table: same result."""
    alone, followed = NormalisedText(text), NormalisedText(text + beyond)
    assert followed.collapsed.startswith(alone.collapsed)
    assert followed.layout.starts[: len(alone.collapsed)] == alone.layout.starts


@pytest.mark.parametrize(
    ("text", "collapsed"),
    [
        ("哈哈哈一一一零零〇〇0000１１", "哈一一一零零〇〇000011"),  # numbers never collapse
        ("ｖｖｖＸＸ", "vx"),  # full width and case fold first, then collapse
        ("🌹好🌹好🌹", "好"),  # emoji (beyond the BMP) are separators
        ("s\U000e0041e\U000e0078x", "sex"),  # tag characters (beyond the SMP) too
    ],
)
def test_repeats_collapse_except_numbers(text: str, collapsed: str) -> None:
    assert NormalisedText(text).collapsed == collapsed


TAGS = [chr(code) for code in range(0xE0020, 0xE007F)]  # invisible "ASCII smuggling"


@settings(max_examples=150, deadline=None)
@given(st.data())
def test_terms_hidden_with_tag_characters_and_emoji_match_at_their_offsets(
    data: st.DataObject,
) -> None:
    """Characters beyond the lists take the slow path; a match still lands right."""
    terms = [term for term in load_term_lists().terms if not needs_literal_match(term.text)]
    term = data.draw(st.sampled_from(terms))
    fillers = st.lists(st.sampled_from([*TAGS[:8], "🌹", "💪", "\U0001f3fb"]), max_size=2)
    disguised = "".join(character + "".join(data.draw(fillers)) for character in term.text)
    verdict = default_moderator().moderate("看" + disguised, surface=Surface.PRODUCT_TITLE)
    covering = [match for match in verdict.matches if match.category == term.category]
    assert covering, disguised
    assert covering[0].start == 1
    assert re.fullmatch(r"看\*+.*", verdict.masked, re.DOTALL)

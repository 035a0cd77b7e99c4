"""The normaliser: every evasion trick folds to the plain form, and offsets stay right."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from liveshop.moderation.homophones import sound_alike_spellings, typed_pinyin
from liveshop.moderation.normalise import (
    COMPACT_TABLE,
    NormalisedText,
    build_layout,
    normalise_term,
    spread,
)


@pytest.mark.parametrize(
    ("text", "compact"),
    [
        ("最 佳", "最佳"),  # a space between characters
        ("不@当", "不当"),  # a symbol between characters
        ("微-信", "微信"),
        ("微\u200b信", "微信"),  # zero-width space (Cf)
        ("微\u200d\ufeff信", "微信"),  # zero-width joiner, BOM
        ("傻\u3164逼", "傻逼"),  # Hangul filler: a letter that renders as nothing
        ("ＶＸ：ａｂｃ", "vxabc"),  # full width to half width, casefold
        ("PoRn", "porn"),
        ("後髮臺灣", "后发台湾"),  # traditional to simplified
        ("①③⑧", "138"),  # circled digits
        ("❶❸❽", "138"),  # negative circled digits (no NFKC decomposition)
        ("¹³⁸₀₀", "13800"),  # superscript and subscript digits
        ("１３８", "138"),  # full-width digits
        ("一三八", "一三八"),  # Chinese numerals stay (第一 is a word); digit runs read them
        ("微微微信信", "微信"),  # repeated characters collapsed
        ("fuuuuck", "fuck"),
        ("13800", "13800"),  # digits are never collapsed
        ("ѕех", "sex"),  # Cyrillic lookalikes
        ("ρоrn", "porn"),  # Greek rho, Cyrillic o
        ("ᴘᴏʀɴ", "porn"),  # small capitals
        ("𝐩𝐨𝐫𝐧", "porn"),  # mathematical bold (beyond the BMP)
        ("Ⓟⓞⓡⓝ", "porn"),  # circled letters
        ("s̶e̶x̶", "sex"),  # combining strike-through
        ("café", "cafe"),
        ("p0rn s3x", "pornsex"),  # one or two digits inside a Latin word are letters
        ("abc13800138000", "abc13800138000"),  # a long run stays a number
        ("微🌹信", "微信"),  # an emoji between characters
    ],
)
def test_tricks_fold_to_the_plain_form(text: str, compact: str) -> None:
    assert NormalisedText(text).compact == compact


def test_dictionary_terms_go_through_the_same_normaliser() -> None:
    assert normalise_term("微 信") == NormalisedText("微\u200b信").compact == "微信"


def test_sound_alike_spellings_keep_the_tones() -> None:
    spellings = sound_alike_spellings("微信")
    assert {"薇信", "威信", "危信"} <= set(spellings)
    assert "微信" not in spellings
    assert "大码" not in sound_alike_spellings("大麻")  # dà mǎ is not dà má
    assert typed_pinyin("微信") == "weixin"
    assert typed_pinyin("绿色") == "lvse"


def test_original_span_covers_separators_and_collapsed_repeats() -> None:
    text = NormalisedText("加我微 - 信信信!")
    assert text.compact == "加我微信"
    assert text.original_span(2, 4) == (2, 9)  # 微 through the last 信, not the "!"


def test_original_span_of_an_expanded_character() -> None:
    text = NormalisedText("x㎏y")  # ㎏ folds to two letters, "kg"
    assert text.compact == "xkgy"
    assert text.original_span(1, 3) == (1, 2)


def test_latin_terms_need_word_edges() -> None:
    glued = NormalisedText("hasex")
    spaced = NormalisedText("has ex")
    alone = NormalisedText("s e x!")
    assert not glued.is_word(2, 5)
    assert spaced.is_word(3, 5)
    assert not spaced.is_word(2, 5)  # "sex" would start inside "has"
    assert alone.is_word(0, 3)


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.characters(codec="utf-8"), max_size=40))
def test_layout_replays_the_fast_path_exactly(text: str) -> None:
    """The offset map is built by a per-character replay; it must agree with the
    C-speed path character for character."""
    normalised = NormalisedText(text)
    layout = build_layout(text)
    assert len(layout.starts) == len(normalised.collapsed)
    for index, start in enumerate(layout.starts):
        assert normalised.collapsed[index] in COMPACT_TABLE[ord(text[start])]
        assert start < layout.ends[index] <= len(text)
    assert layout.starts == sorted(layout.starts)


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.characters(codec="utf-8"), max_size=40))
def test_the_one_translation_fast_path_spreads_the_compact_view(text: str) -> None:
    normalised = NormalisedText(text)
    assert normalised.spread == spread(normalised.compact)
    assert normalised.spread[1::2] == normalised.compact

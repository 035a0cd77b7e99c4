"""The language of what people typed, read from its script (core.languages.written_language):
marked only where the characters tell, never guessed (issue 18 §2)."""

from __future__ import annotations

import pytest

from liveshop.core.languages import written_language

MARKED = {
    "Linen shirt": "en",
    "Does it come in blue": "en",
    "Light.": "en",
    "Yes, cold wash only": "en",
    "包邮吗": "zh",
    "iPhone 15 壳": "zh",  # a brand in a Chinese sentence: the sentence is Chinese
    "限时秒杀！": "zh",
    "東京タワー": "ja",  # kana: Japanese, whatever Han it has too
    "こんにちは": "ja",
    "안녕하세요": "ko",
}
NOT_MARKED = (
    None,
    "",
    "15",
    "¥39.00",
    "👍🎉",
    "!!! ...",
    "（）：，。",  # punctuation alone, full-width included
    "café",  # Latin with diacritics: French, pinyin, Vietnamese... the script does not say
    "nǐ hǎo",
    "Привет",  # Cyrillic: Russian, Ukrainian, Bulgarian...
    "مرحبا",
)


@pytest.mark.parametrize(("text", "tag"), MARKED.items())
def test_a_text_whose_script_names_its_language_is_marked(text: str, tag: str) -> None:
    assert written_language(text) == tag


@pytest.mark.parametrize("text", NOT_MARKED)
def test_a_text_whose_characters_do_not_tell_is_not_marked(text: str | None) -> None:
    assert written_language(text) is None

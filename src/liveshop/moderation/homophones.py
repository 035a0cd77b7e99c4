"""Sound-alike spellings of a term, for the pinyin pass.

Rather than converting every comment to pinyin (a second pass over every
text), each term that opts in is expanded once, when the engine is built,
into the spellings that sound exactly like it (same syllables, same tones)
using common characters (GB2312), plus the toneless pinyin as typed on a
Latin keyboard. 微信 gives 薇信, 威信, 危信..., and ``weixin``; all of them go
into the one automaton, so the pinyin pass costs nothing per comment.

Tones matter: toneless, 大码 (a large size, said every minute in a clothes
room) would sound like 大麻 (cannabis).
"""

from __future__ import annotations

import functools
import itertools
import math
import unicodedata
from collections import defaultdict

from pypinyin.pinyin_dict import pinyin_dict as PINYIN_DICT

from liveshop.moderation.normalise import CJK_BMP_RANGES, is_cjk

# A four-syllable term of common sounds has a few thousand spellings; beyond
# this, a term is matched as written and as typed in pinyin only.
MAX_SPELLINGS_PER_TERM = 10_000


def toned_pinyin(character: str) -> str:
    """An ideograph's most common reading with its tone mark (薇 -> wēi), else itself."""
    readings = PINYIN_DICT.get(ord(character))
    return unicodedata.normalize("NFC", readings.split(",")[0]) if readings else character


def strip_tones(pinyin: str) -> str:
    """Pinyin as typed on a Latin keyboard: no tone marks, ü as v."""
    decomposed = unicodedata.normalize("NFD", pinyin).replace("u\u0308", "v")
    return "".join(part for part in decomposed if not unicodedata.combining(part))


def typed_pinyin(word: str) -> str:
    """``微信`` -> ``weixin``."""
    return strip_tones("".join(toned_pinyin(character) for character in word))


@functools.cache
def _common_characters_by_sound() -> dict[str, tuple[str, ...]]:
    by_sound: defaultdict[str, list[str]] = defaultdict(list)
    for block in CJK_BMP_RANGES:
        for code in block:
            character = chr(code)
            if _is_common(character):
                by_sound[toned_pinyin(character)].append(character)
    return {sound: tuple(characters) for sound, characters in by_sound.items()}


def _is_common(character: str) -> bool:
    try:
        character.encode("gb2312")
    except UnicodeEncodeError:
        return False
    return True


def sound_alike_spellings(word: str) -> list[str]:
    """Every spelling of ``word`` (ideographs only) in common characters that sounds
    the same, ``word`` itself excluded; empty when there would be too many."""
    if not word or not all(is_cjk(character) for character in word):
        return []
    by_sound = _common_characters_by_sound()
    choices = [by_sound.get(toned_pinyin(character), ()) or (character,) for character in word]
    choices = [
        alternatives if character in alternatives else (character, *alternatives)
        for character, alternatives in zip(word, choices, strict=True)
    ]
    if math.prod(map(len, choices)) > MAX_SPELLINGS_PER_TERM:
        return []
    return [
        "".join(spelling) for spelling in itertools.product(*choices) if "".join(spelling) != word
    ]

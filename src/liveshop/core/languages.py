"""The reader's words for what a domain keeps as a kind and its parameters.

A notice, a parcel's scan: the domains store the fact (its kind, the names and figures
it speaks of) and word it when it is read, in the reader's language, so that an English
page, and the API a page calls, never show a sentence stored in Chinese. The words come
from the pages' gettext catalogues (Chinese is the msgid: docs/architecture.md,
"Languages"), and the request's language from the pages' one rule (cookie, then
Accept-Language, then Chinese); both are ``web``'s, so ``liveshop.wiring`` registers
them here and a domain's API answers in the language its page is in.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request

SOURCE_LOCALE = "zh_CN"  # the msgids' language: what is said when nobody asks otherwise


def N_(message: str) -> str:
    """Marks ``message`` for extraction; it is translated where it is shown."""
    return message


@dataclass(frozen=True)
class Words:
    """One language's words: its gettext, and money as that language writes it."""

    locale: str  # "zh_CN", "en"
    tag: str  # BCP 47, as <html lang> says it: "zh-CN", "en"
    gettext: Callable[[str], str]
    ngettext: Callable[[str, str, int], str]
    money: Callable[[int], str]  # integer minor units of CNY: "¥39.00", "CN¥39.00"


RequestLocale = Callable[[Request], str]
WordsFor = Callable[[str], Words]
_languages: list[tuple[RequestLocale, WordsFor]] = []


def register_languages(request_locale: RequestLocale, words: WordsFor) -> None:
    """The request's language rule and each language's words (web's catalogues)."""
    _languages[:] = [(request_locale, words)]


def registered_languages() -> tuple[RequestLocale, WordsFor] | None:
    return _languages[0] if _languages else None


def _registered() -> tuple[RequestLocale, WordsFor]:
    if not _languages:
        raise RuntimeError("liveshop.wiring.connect_domains() was not called: no languages")
    return _languages[0]


def words_for(locale: str) -> Words:
    """``locale``'s words (one of the pages' locales)."""
    return _registered()[1](locale)


def source_words() -> Words:
    """The source language's: for what is written with no reader to ask (an email)."""
    return words_for(SOURCE_LOCALE)


def request_words(request: Request) -> Words:
    """The words of the request's language, as its page would choose it."""
    request_locale, words = _registered()
    return words(request_locale(request))


ReaderWords = Annotated[Words, Depends(request_words)]


# What people typed (a room's title, a chat line, a review, a shop's name...) is shown as it
# was written, never translated; the element that holds it says its language with ``lang``
# (docs/architecture.md, "Languages"). The language is read from the text's script, which
# a short text shows as surely as a long one: a detector's guess on "Linen shirt" or
# "iPhone 15 壳" is a coin toss (lingua, tried: German for both). The first row whose
# characters the text has names its language; a row with no tag means "not known" (Latin
# with diacritics: French, pinyin with tones; Cyrillic, Greek, Arabic...). Plain ASCII
# letters are English, the pages' one Latin-script language; text with no letters at all
# (a price, a number, emoji) has none. The pages' scripts read the same table
# (``static/written_language.js``, from the data block base.html writes).
WRITTEN_SCRIPTS: tuple[tuple[str | None, str], ...] = (
    ("ja", r"\u3040-\u30ff\u31f0-\u31ff"),  # kana: Japanese, whatever Han it has too
    ("ko", r"\u1100-\u11ff\u3130-\u318f\uac00-\ud7af"),  # Hangul
    ("zh", r"\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"),  # Han: Chinese, "iPhone 15 壳" too
    (
        None,  # letters of a script, or of a Latin alphabet, that says no language by itself
        r"\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u024f\u0370-\u052f\u0590-\u06ff\u0900-\u0dff"
        r"\u0e00-\u0eff\u1e00-\u1fff",
    ),
    ("en", r"A-Za-z"),
)
_WRITTEN_SCRIPTS = tuple((tag, re.compile(f"[{chars}]")) for tag, chars in WRITTEN_SCRIPTS)


def written_language(text: str | None) -> str | None:
    """The BCP 47 tag of the language ``text`` is written in, or None when its characters do
    not tell (no letters, or letters of a script several languages share)."""
    if not text:
        return None
    for tag, characters in _WRITTEN_SCRIPTS:
        if characters.search(text):
            return tag
    return None

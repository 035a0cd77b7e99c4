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

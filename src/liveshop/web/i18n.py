"""The pages' languages: which one a request gets, its catalogue, and locale formatting.

Simplified Chinese is the source language: templates and scripts are written in it and
their Chinese text is the msgid; English is a translation kept in
``locale/en/LC_MESSAGES/messages.po`` (docs/architecture.md, "Languages"). The ``.po``
files are the only form committed: each is compiled in memory the first time a page
needs it, so a fresh checkout serves translated pages with no build step and a
compiled catalogue can never lag behind its source.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from functools import cache, partial
from io import BytesIO
from pathlib import Path
from types import MappingProxyType

from babel import negotiate_locale
from babel.dates import format_date, format_skeleton, format_time
from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_currency, format_decimal, get_currency_precision
from babel.support import Translations

from liveshop.core.languages import SOURCE_LOCALE, Words

LOCALES = ("zh_CN", "en")
LOCALE_COOKIE = "liveshop_locale"  # the visitor's own choice, set by the footer's switch
LOCALE_COOKIE_SECONDS = 365 * 86400
# BCP 47 tags, as <html lang> and Accept-Language spell them.
HTML_LANG = MappingProxyType({"zh_CN": "zh-CN", "en": "en"})
# Each language named in itself, as a language switch shows it.
LOCALE_NAMES = MappingProxyType({"zh_CN": "中文", "en": "English"})
LOCALE_DIR = Path(__file__).parent / "locale"
DOMAIN = "messages"
# A bare "zh" (or zh-TW, zh-HK, read by its language) gets Simplified Chinese.
_ALIASES = {"zh": "zh-CN"}
_LOCALE_BY_TAG = {tag.lower(): locale for locale, tag in HTML_LANG.items()}
MAX_ACCEPT_LANGUAGE_TAGS = 20  # a header is a short list; a longer one is cut, not parsed


def N_(message: str) -> str:
    """Marks ``message`` for extraction; it is translated where it is shown."""
    return message


def parse_accept_language(header: str) -> list[str]:
    """The header's language tags, most wanted first (``q`` descending, ties in order);
    ``q=0`` (not acceptable), ``*`` and malformed weights are dropped."""
    weighted: list[tuple[float, int, str]] = []
    for position, item in enumerate(header.split(",")[:MAX_ACCEPT_LANGUAGE_TAGS]):
        tag, _, parameters = item.strip().partition(";")
        tag = tag.strip()
        if not tag or tag == "*":
            continue
        quality = 1.0
        name, _, value = parameters.strip().partition("=")
        if name.strip() == "q":
            try:
                quality = float(value)
            except ValueError:
                continue
        if 0 < quality <= 1:
            weighted.append((-quality, position, tag))
    return [tag for _, _, tag in sorted(weighted)]


def negotiate(accept_language: str | None) -> str | None:
    """The supported locale the browser prefers most, or None when it names none.

    Each tag is tried as written, then by its language alone ("en-GB" -> "en",
    "zh-TW" -> "zh" -> zh_CN), before the next tag of lower weight."""
    preferred: list[str] = []
    for tag in parse_accept_language(accept_language or ""):
        preferred += [tag, tag.split("-")[0]]
    available = list(HTML_LANG.values())
    match = negotiate_locale(preferred, available, sep="-", aliases=_ALIASES)
    return _LOCALE_BY_TAG.get(match.lower()) if match else None


def choose_locale(cookie: str | None, accept_language: str | None) -> str:
    """The one rule for a request's language: the visitor's own choice (the cookie),
    else the browser's Accept-Language, else Simplified Chinese."""
    if cookie in LOCALES:
        return str(cookie)
    return negotiate(accept_language) or SOURCE_LOCALE


def catalogue_path(locale: str) -> Path:
    return LOCALE_DIR / locale / "LC_MESSAGES" / f"{DOMAIN}.po"


@cache
def read_catalogue(locale: str) -> Catalog:
    with catalogue_path(locale).open("rb") as source:
        return read_po(source, locale=locale, domain=DOMAIN)


@cache
def translations(locale: str) -> Translations:
    """The locale's gettext translations (fuzzy entries are left out, as msgfmt does)."""
    compiled = BytesIO()
    write_mo(compiled, read_catalogue(locale))
    compiled.seek(0)
    return Translations(compiled, domain=DOMAIN)


@cache
def words(locale: str) -> Words:
    """``locale``'s words for the domains' stored facts (core.languages, registered by
    liveshop.wiring): the same catalogue and money as the pages."""
    catalogue = translations(locale)
    return Words(
        locale=locale,
        tag=HTML_LANG[locale],
        gettext=catalogue.gettext,
        ngettext=catalogue.ngettext,
        money=partial(format_money, currency="CNY", locale=locale),
    )


@cache
def script_messages(locale: str) -> MappingProxyType[str, str]:
    """The translated messages the pages' scripts use (those extracted from ``.js``
    files), msgid -> text; empty for the source language, whose msgids are its text."""
    if locale == SOURCE_LOCALE:
        return MappingProxyType({})
    messages = {
        str(message.id): str(message.string)
        for message in read_catalogue(locale)
        if isinstance(message.id, str)
        and message.string
        and not message.fuzzy
        and any(path.endswith(".js") for path, _ in message.locations)
    }
    return MappingProxyType(messages)


def format_money(minor: int, currency: str, locale: str) -> str:
    """Integer minor units as the locale writes the amount: 3900 CNY -> "¥39.00" in
    Chinese, "CN¥39.00" in English. Decimal arithmetic only: money is never a float."""
    amount = Decimal(minor).scaleb(-get_currency_precision(currency))
    return format_currency(amount, currency, locale=locale)


def format_number(value: int | float, locale: str) -> str:
    return format_decimal(value, locale=locale)


def format_day(moment: datetime, locale: str) -> str:
    """A calendar day: "2026年12月6日", "Dec 6, 2026"."""
    return format_date(moment, "medium", locale=locale)


def format_moment(moment: datetime, locale: str) -> str:
    """A day and time within the year: "12月6日 21:05", "Dec 6 9:05 PM"."""
    day = format_skeleton("MMMd", moment, locale=locale)
    return f"{day} {format_time(moment, 'short', locale=locale)}"

"""The pages' Jinja environments, one per locale.

Each locale has its own Environment with Jinja's i18n extension and that locale's
translations installed, and its own formatting filters; a request picks the one its
language names. Nothing about a request's language is kept in shared state, so two
requests in different languages rendering at once cannot see each other's.
"""

from __future__ import annotations

from datetime import datetime
from functools import cache
from pathlib import Path

from fastapi import Request
from fastapi.templating import Jinja2Templates
from jinja2 import Environment, FileSystemLoader
from markupsafe import Markup, escape

from liveshop.core.languages import WRITTEN_SCRIPTS, written_language
from liveshop.web import i18n

TEMPLATE_DIR = Path(__file__).parent / "templates"


def request_locale(request: Request) -> str:
    """The request's language (i18n.choose_locale: cookie, Accept-Language, Chinese)."""
    return i18n.choose_locale(
        request.cookies.get(i18n.LOCALE_COOKIE), request.headers.get("accept-language")
    )


@cache
def templates_for(locale: str) -> Jinja2Templates:
    """The templates in ``locale`` (one of i18n.LOCALES)."""
    if locale not in i18n.LOCALES:
        raise ValueError(f"unsupported locale {locale!r}")
    environment = Environment(
        loader=FileSystemLoader(TEMPLATE_DIR),
        autoescape=True,
        extensions=["jinja2.ext.i18n"],
    )
    # newstyle: _("%(n)s 人在看", n=3) formats and escapes like any other expression.
    environment.install_gettext_translations(i18n.translations(locale), newstyle=True)  # type: ignore[attr-defined]

    def money(minor: int | None, currency: str = "CNY") -> str:
        return "" if minor is None else i18n.format_money(minor, currency, locale)

    def number(value: int | float) -> str:
        return i18n.format_number(value, locale)

    def day(moment: datetime) -> str:
        return i18n.format_day(moment, locale)

    def moment(value: datetime) -> str:
        return i18n.format_moment(value, locale)

    environment.filters |= {
        "money": money,
        "number": number,
        "day": day,
        "moment": moment,
        "lang_of": lang_of,
        "typed": typed,
    }
    environment.globals |= {
        "locale": locale,
        "html_lang": i18n.HTML_LANG[locale],
        "locale_names": i18n.LOCALE_NAMES,
        "script_messages": dict(i18n.script_messages(locale)),
        # For a msgid held in a variable (marked with i18n.N_ where it is written): the
        # translation as it stands, with no %-formatting, unlike _().
        "translated": i18n.translations(locale).gettext,
        # The rule lang_of and typed follow, for the scripts (static/written_language.js).
        "written_scripts": WRITTEN_SCRIPTS,
    }
    return Jinja2Templates(env=environment)


def lang_of(text: str | None) -> Markup:
    """`` lang="en"`` for an element that holds only ``text``, something a person typed,
    when its language is known (core.languages.written_language); else nothing."""
    tag = written_language(text)
    return Markup(' lang="{}"').format(tag) if tag else Markup("")


def typed(text: str | None) -> Markup:
    """``text``, something a person typed, shown as written, in an element that says its
    language when it is known: ``<span lang="en">Linen shirt</span>``."""
    if text is None:
        return Markup("")
    tag = written_language(str(text))
    return Markup('<span lang="{}">{}</span>').format(tag, text) if tag else escape(text)

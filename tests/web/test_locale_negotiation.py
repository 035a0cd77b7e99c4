"""Which language a request gets (issue 18 §2): the visitor's cookie, else the browser's
Accept-Language negotiated with Babel, else Simplified Chinese; and the locale formats."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from liveshop.web import i18n


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("en-US,en;q=0.9", "en"),
        ("en-GB", "en"),
        ("EN", "en"),
        ("zh-CN,zh;q=0.9,en;q=0.8", "zh_CN"),
        ("zh", "zh_CN"),
        ("zh-TW,en;q=0.5", "zh_CN"),  # the language alone outranks a lower-weighted tag
        ("zh-Hant-HK", "zh_CN"),
        ("fr-FR,en;q=0.3", "en"),  # French is not offered: the next acceptable one
        ("en;q=0.2,zh-CN;q=0.8", "zh_CN"),  # weights, not order
        ("zh-CN;q=0,en", "en"),  # q=0: not acceptable
        ("fr-FR,de", None),
        ("*", None),
        ("", None),
        ("en;q=abc,zh", "zh_CN"),  # a malformed weight drops that tag only
    ],
)
def test_negotiation_follows_the_browsers_weights(header: str, expected: str | None) -> None:
    assert i18n.negotiate(header) == expected


def test_the_cookie_outranks_the_browser_and_chinese_is_the_default() -> None:
    assert i18n.choose_locale("en", "zh-CN") == "en"
    assert i18n.choose_locale("zh_CN", "en-US") == "zh_CN"
    assert i18n.choose_locale("xx", "en-US") == "en"  # an unknown cookie value is ignored
    assert i18n.choose_locale(None, None) == "zh_CN"
    assert i18n.choose_locale(None, "fr") == "zh_CN"


def test_accept_language_parsing_orders_by_weight_and_keeps_ties_in_order() -> None:
    header = "da, en-gb;q=0.8, en;q=0.7, fr;q=0.8, *;q=0.1"
    assert i18n.parse_accept_language(header) == ["da", "en-gb", "fr", "en"]


def test_money_is_formatted_from_minor_units_by_locale() -> None:
    assert i18n.format_money(3900, "CNY", "zh_CN") == "¥39.00"
    assert i18n.format_money(3900, "CNY", "en") == "CN¥39.00"
    assert i18n.format_money(123456789, "CNY", "en") == "CN¥1,234,567.89"
    assert i18n.format_money(-5, "CNY", "zh_CN") == "-¥0.05"
    assert i18n.format_money(500, "JPY", "en") == "¥500"  # no minor unit in yen


def test_dates_and_numbers_are_formatted_by_locale() -> None:
    moment = datetime(2026, 12, 6, 21, 5, tzinfo=UTC)
    assert i18n.format_day(moment, "zh_CN") == "2026年12月6日"
    assert i18n.format_day(moment, "en") == "Dec 6, 2026"
    assert i18n.format_moment(moment, "zh_CN") == "12月6日 21:05"
    assert i18n.format_moment(moment, "en").replace("\u202f", " ") == "Dec 6 9:05 PM"
    assert i18n.format_number(1234567, "en") == "1,234,567"
    assert i18n.format_number(1234567, "zh_CN") == "1,234,567"


def test_the_english_catalogue_translates_and_chinese_answers_with_the_msgid() -> None:
    assert i18n.translations("en").gettext("我的订单") == "My orders"
    assert i18n.translations("zh_CN").gettext("我的订单") == "我的订单"
    scripts = i18n.script_messages("en")
    assert scripts["连接中…"] == "Connecting…"  # used by live.js
    assert "我的订单" not in scripts  # a template's message stays out of the scripts' catalogue
    assert i18n.script_messages("zh_CN") == {}

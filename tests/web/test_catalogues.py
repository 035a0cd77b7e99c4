"""The catalogues follow the code (issue 18 §2): every message the pages' Python, templates
and scripts mark (extracted with babel.cfg, as ``make messages`` does) is in each
catalogue, translated in English, with its placeholders; nothing stale is left behind.
A new ``_("…")`` without its English fails here until ``make messages`` and a translation."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog, Message
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg

from liveshop.web import i18n

ROOT = Path(__file__).parents[2]
WEB = ROOT / "src" / "liveshop" / "web"
# Domains that word what they keep when it is read (core.languages), as messages.sh lists.
WORDING_DOMAINS = [
    ROOT / "src" / "liveshop" / name for name in ("notifications", "tracking", "accounts")
]
PERCENT_NAMES = re.compile(r"%\((\w+)\)s")
BRACE_NAMES = re.compile(r"\{(\w+)\}")
# Script messages whose English needs a different figure than the Chinese: 八五折 is
# "15% off", so the scripts pass both (commerce.js, room_perks.js).
OTHER_FIGURES = {"{discount}折": {"percent"}}

MessageId = str | tuple[str, ...]


def _extracted() -> dict[MessageId, set[str]]:
    """msgid -> the files it comes from, as pybabel extract reads babel.cfg."""
    with (ROOT / "babel.cfg").open() as config:
        method_map, options_map = parse_mapping_cfg(config)  # type: ignore[no-untyped-call]
    messages: dict[MessageId, set[str]] = {}
    for directory in [WEB, *WORDING_DOMAINS]:
        for filename, _line, message, _comments, _context in extract_from_dir(
            directory, method_map, options_map
        ):
            key: MessageId = message if isinstance(message, str) else tuple(message[:2])
            messages.setdefault(key, set()).add(filename)
    return messages


def _entries(catalogue: Catalog) -> dict[MessageId, Message]:
    return {_key(message.id): message for message in catalogue if message.id}


def _key(msgid: str | tuple[str, ...] | list[str]) -> MessageId:
    return msgid if isinstance(msgid, str) else tuple(msgid)


def _strings(message: Message) -> tuple[str, ...]:
    string = message.string
    return (string,) if isinstance(string, str) else tuple(string or ())


@pytest.fixture(scope="module")
def extracted() -> dict[MessageId, set[str]]:
    return _extracted()


def test_extraction_finds_the_converted_pages(extracted: dict[MessageId, set[str]]) -> None:
    assert "我的订单" in extracted  # base.html
    assert "连接中…" in extracted  # room.html and live.js
    assert ("共 %(num)s 个结果", "共 %(num)s 个结果") in extracted  # search.html, a plural
    assert len(extracted) > 400


@pytest.mark.parametrize("locale", i18n.LOCALES)
def test_each_catalogue_holds_exactly_the_extracted_messages(
    locale: str, extracted: dict[MessageId, set[str]]
) -> None:
    entries = _entries(i18n.read_catalogue(locale))
    missing = sorted(map(str, extracted.keys() - entries.keys()))
    stale = sorted(map(str, entries.keys() - extracted.keys()))
    assert missing == [], f"not in {locale}'s catalogue: run make messages"
    assert stale == [], f"no longer in the code, still in {locale}'s catalogue: make messages"


def test_every_message_has_its_english(extracted: dict[MessageId, set[str]]) -> None:
    entries = _entries(i18n.read_catalogue("en"))
    untranslated = [
        str(msgid)
        for msgid in extracted
        if msgid in entries and (entries[msgid].fuzzy or not all(_strings(entries[msgid])))
    ]
    assert untranslated == []


def test_translations_keep_the_placeholders() -> None:
    wrong = []
    for message in i18n.read_catalogue("en"):
        if not message.id:
            continue
        source = message.id if isinstance(message.id, str) else message.id[0]
        for string in _strings(message):
            for pattern in (PERCENT_NAMES, BRACE_NAMES):
                wanted = set(pattern.findall(source))
                if pattern is BRACE_NAMES:
                    wanted |= OTHER_FIGURES.get(source, set())
                found = set(pattern.findall(str(string)))
                if found - wanted or (pattern is PERCENT_NAMES and found != wanted):
                    wrong.append((source, string))
    assert wrong == []


def test_the_source_catalogue_leaves_the_chinese_as_it_is() -> None:
    translated = [message.id for message in i18n.read_catalogue("zh_CN") if any(_strings(message))]
    assert translated == [""]  # the header only

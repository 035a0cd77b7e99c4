"""Off-platform trading beyond the word lists: digit runs, URLs, contact ids."""

from __future__ import annotations

import re

from liveshop.moderation.lists import Action, Severity
from liveshop.moderation.normalise import CHINESE_NUMERALS, NormalisedText, width_folded
from liveshop.moderation.verdict import Match, MatchSource

OFF_PLATFORM = "off_platform"
# A run of 8+ digits is a phone (11 in China) or an account; shorter runs are prices.
MIN_ACCOUNT_DIGITS = 8
DIGIT = f"[0-9o{CHINESE_NUMERALS}]"
# Spelled "one digit, then 7 or more" rather than "8 or more": a pattern that opens
# with a character class lets the regex engine skip to the next digit in C, which
# halves the cost of the search on a comment without one.
DIGIT_RUN = re.compile(f"{DIGIT}{DIGIT}{{{MIN_ACCOUNT_DIGITS - 1},}}")
DIGIT_RUN_CHARACTERS = re.compile(rf"[^0-9o{CHINESE_NUMERALS}]")  # to delete
SENTENCE_BREAK = re.compile(r"[?？!！。；;\n]")
DIGIT_VALUES = str.maketrans(
    "o零〇一二三四五六七八九壹贰叁肆伍陆柒捌玖幺", "0001234567891234567891"
)
# Dates and times (2024-06-18, 20:00-22:00) compact to long digit runs too.
DATE_OR_TIME = re.compile(
    r"(?:\d{4}\s*[-/.年]\s*\d{1,2}\s*[-/.月]\s*\d{1,2}\s*日?|\d{1,2}\s*[:：]\s*\d{2}|[\s~～至到-])+"
)
URL = re.compile(
    r"(?:https?://|www[.。点])[^\s，。！？、“”]+"
    r"|\b[a-z0-9][a-z0-9-]*(?:\.|点|dot)(?:com|cn|net|org|top|xyz|vip|cc|io|me|shop|link|ly)\b",
    re.IGNORECASE | re.ASCII,
)
# Cheap to test on every comment (one leading character class, no IGNORECASE: the
# regex engine then skips ahead in C); only a text with a dot before a letter, or
# the word "dot", gets the URL pattern.
URL_HINT = re.compile(r"[.．点]\s*[a-zA-Zａ-ｚＡ-Ｚ]")
# What follows a contact word: an id of WeChat's shape or a QQ number.
CONTACT_ID = re.compile(
    r"[\s:：=＝~～\-号是为\u200b-\u200f\u2060\ufeff]{0,4}(?:[a-z][a-z0-9_-]{5,19}|\d{5,12})",
    re.IGNORECASE | re.ASCII,
)


def digit_runs(normalised: NormalisedText) -> list[Match]:
    """Runs of 8+ digits in any style, except dates, times and numbers in two sentences."""
    matches = []
    for run in DIGIT_RUN.finditer(normalised.collapsed):
        if run.group().count("o") * 2 > len(run.group()):
            continue  # "goooood" is not a number
        start, end = normalised.original_span(run.start(), run.end())
        original = normalised.original[start:end]
        if DATE_OR_TIME.fullmatch(width_folded(original)) or _split_by_sentences(original):
            continue
        digits = run.group().translate(DIGIT_VALUES)
        matches.append(
            Match(digits, OFF_PLATFORM, Severity.MEDIUM, Action.MASK, start, end, original,
                  MatchSource.DIGIT_RUN)
        )  # fmt: skip
    return matches


def _split_by_sentences(digits: str) -> bool:
    """Whether a run only reaches 8 digits across a sentence break ("299？175")."""
    parts = SENTENCE_BREAK.split(digits)
    return len(parts) > 1 and all(
        len(DIGIT_RUN_CHARACTERS.sub("", NormalisedText(part).collapsed)) < MIN_ACCOUNT_DIGITS
        for part in parts
    )


def urls(text: str) -> list[Match]:
    spelled_dot = "dot" in text or "DOT" in text or "Dot" in text
    if not (spelled_dot or URL_HINT.search(text)):
        return []
    return [
        Match(url.group(), OFF_PLATFORM, Severity.MEDIUM, Action.MASK, url.start(), url.end(),
              text[url.start() : url.end()], MatchSource.URL)
        for url in URL.finditer(width_folded(text))
    ]  # fmt: skip


def contact_id_end(original: str, end: int) -> int:
    """Where the id written after a contact word (微信: abc123) ends, or ``end``."""
    follower = CONTACT_ID.match(width_folded(original), end)
    return follower.end() if follower else end

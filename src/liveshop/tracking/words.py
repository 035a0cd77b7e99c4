"""A parcel's scans and carriers in the reader's words (core.languages).

A scan is kept as what happened, a code, and worded when it is read, so the timeline
reads in the page's language; the place stays as the carrier wrote it. Scans kept
before they had a code show the words they were stored with, in Chinese.
"""

from __future__ import annotations

from liveshop.core.languages import N_, SOURCE_LOCALE, Words, words_for
from liveshop.tracking.config import CARRIER_NAMES

SCAN_WORDS = {
    # the sandbox's route
    "picked_up": N_("快递员已揽收"),
    "at_sorting_centre": N_("已到达分拨中心"),
    "at_transit_centre": N_("运输中，已到达转运中心"),
    "out_for_delivery": N_("快递员正在派送"),
    "delivered": N_("已签收，感谢使用"),
    "damaged": N_("包裹破损，已联系发件人"),
    # a pushing carrier's statuses (their own notes say more, in their words)
    "in_transit": N_("运输中"),
    "exception": N_("包裹运输异常"),
}


def scan_words(scan: str | None, stored: str, words: Words) -> tuple[str, str]:
    """(the scan's words, their language tag): ``stored`` for a scan kept without a code."""
    if scan is None:
        return stored, words_for(SOURCE_LOCALE).tag  # stored as written, in Chinese
    return words.gettext(SCAN_WORDS[scan]), words.tag


def carrier_name(code: str, words: Words) -> str:
    """The carrier's name in the reader's language; an unknown carrier by its code."""
    return words.gettext(CARRIER_NAMES[code]) if code in CARRIER_NAMES else code

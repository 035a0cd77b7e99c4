"""Masking at the serialiser: what an API response or a log line may show of a
phone, an ID number or a card, and a scanner that finds the full forms.

Policy (PIPL minimisation): a buyer's phone is shown in full only to its owner,
in their own address book (``AddressOut``), where they check and correct it.
Every other view masks it: an order's copy of the address, whoever reads it
(the buyer, the shop that ships it, the room's host, admins, moderators,
regulators), as Chinese platforms print privacy waybills (隐私面单), and the
data export. ID numbers keep their first and last character; cards are shown
as brand and last four.
"""

from __future__ import annotations

import logging
import re
from typing import Annotated, Any

from pydantic import PlainSerializer

PHONE_KEEP_START = 3  # 138****1234: the carrier prefix and the last four, as SMS receipts show
PHONE_KEEP_END = 4
PHONE_STARS = "****"  # a fixed width, so the mask does not tell the length either
MASKED_PHONE_PATTERN = re.compile(r"\d{0,3}\*{4}\d{0,4}")  # what mask_phone returns

# A mainland mobile number standing alone (not inside a longer run of letters or
# digits, such as a hash).
MOBILE_PATTERN = re.compile(r"(?<![0-9A-Za-z])1[3-9]\d{9}(?![0-9A-Za-z])")
# A resident identity card number: 17 digits and a check character.
ID_NUMBER_PATTERN = re.compile(r"(?<![0-9A-Za-z])\d{17}[\dXx](?![0-9A-Za-z])")
# A card number as typed: 13 to 19 digits, maybe in groups; confirmed by Luhn.
CARD_CANDIDATE_PATTERN = re.compile(r"(?<![0-9A-Za-z])(?:\d[ \-]?){12,18}\d(?![0-9A-Za-z])")


def mask_phone(phone: str) -> str:
    """``13812341234`` -> ``138****1234``; a short number keeps only its last two.

    A phone masked already is returned as it is, so masking twice (a serialiser,
    then an export) does not eat the digits the first mask kept.
    """
    if MASKED_PHONE_PATTERN.fullmatch(phone):
        return phone
    digits = re.sub(r"\D", "", phone)
    if len(digits) >= PHONE_KEEP_START + PHONE_KEEP_END + 4:
        return digits[:PHONE_KEEP_START] + PHONE_STARS + digits[-PHONE_KEEP_END:]
    if len(digits) > 4:
        return PHONE_STARS + digits[-2:]
    return PHONE_STARS


def mask_id_number(number: str) -> str:
    """An ID number with its first and last character kept: ``1****************X``."""
    value = number.strip()
    if len(value) <= 2:
        return "*" * len(value)
    return value[0] + "*" * (len(value) - 2) + value[-1]


def mask_card(brand: str, last4: str) -> str:
    """A card as anyone but the vault may see it: ``visa ****4242``."""
    return f"{brand} ****{last4[-4:]}"


def mask_username(name: str) -> str:
    """A buyer as other viewers see them: the first character of the name people know
    them by (``User.public_name``: their display name, 昵称, when they chose one, else the
    username) and a fixed ``**`` (张三丰 -> 张**, alice -> a**), so that someone bought
    shows, not who. The one place for it: the room's purchase lines, a flash sale's
    admission log, auction bids and results, lucky-draw winners and review authors all
    call it."""
    return name[:1] + "**"


def mask_address_snapshot(address: dict[str, Any] | None) -> dict[str, Any] | None:
    """An order's address copy with its phone masked (every view of it masks it)."""
    if address is None:
        return None
    masked = dict(address)
    if isinstance(masked.get("phone"), str):
        masked["phone"] = mask_phone(masked["phone"])
    return masked


MaskedPhone = Annotated[str, PlainSerializer(mask_phone, return_type=str)]
MaskedIdNumber = Annotated[str, PlainSerializer(mask_id_number, return_type=str)]


def passes_luhn(digits: str) -> bool:
    total = 0
    for index, char in enumerate(reversed(digits)):
        value = int(char)
        if index % 2:
            value = value * 2 - 9 if value > 4 else value * 2
        total += value
    return total % 10 == 0


def _card_digits(candidate: str) -> str | None:
    digits = re.sub(r"\D", "", candidate)
    return digits if 13 <= len(digits) <= 19 and passes_luhn(digits) else None


def find_card_numbers(text: str) -> list[str]:
    found = (_card_digits(match.group()) for match in CARD_CANDIDATE_PATTERN.finditer(text))
    return [digits for digits in found if digits is not None]


def _mask_card_match(match: re.Match[str]) -> str:
    digits = _card_digits(match.group())
    return match.group() if digits is None else f"****{digits[-4:]}"


def find_personal_data(text: str) -> dict[str, list[str]]:
    """Full phones, ID numbers and card numbers in ``text``, by kind (empty if none)."""
    found = {
        "phone": MOBILE_PATTERN.findall(text),
        "id_number": ID_NUMBER_PATTERN.findall(text),
        "card": find_card_numbers(text),
    }
    return {kind: values for kind, values in found.items() if values}


def redact_personal_data(text: str) -> str:
    """``text`` with every full card number, ID number and phone masked."""
    text = CARD_CANDIDATE_PATTERN.sub(_mask_card_match, text)
    text = ID_NUMBER_PATTERN.sub(lambda match: mask_id_number(match.group()), text)
    return MOBILE_PATTERN.sub(lambda match: mask_phone(match.group()), text)


class RedactingLogFilter(logging.Filter):
    """A log filter that masks phones, ID and card numbers in each record's message,
    so a careless ``logger.info("%s", body)`` does not write them to disk."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        redacted = redact_personal_data(message)
        if redacted != message:
            record.msg, record.args = redacted, None
        return True

"""Card number checks: Luhn, brand from the number, expiry, CVC format.

Nothing here keeps, logs or echoes a number: errors say what is wrong, not what was sent.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from liveshop.core.errors import InvalidInput

MAX_YEARS_AHEAD = 25  # issuers print at most about 20 years ahead


@dataclass(frozen=True)
class Brand:
    name: str
    lengths: frozenset[int]
    prefixes: tuple[tuple[int, int], ...]  # inclusive ranges of leading digits
    cvc_length: int = 3


# Checked in order: Discover's 6011/644-649/65 before UnionPay's wider 62.
BRANDS = (
    Brand("amex", frozenset({15}), ((34, 34), (37, 37)), cvc_length=4),
    Brand("visa", frozenset({13, 16, 19}), ((4, 4),)),
    Brand("mastercard", frozenset({16}), ((51, 55), (2221, 2720))),
    Brand("discover", frozenset({16, 17, 18, 19}), ((6011, 6011), (644, 649), (65, 65))),
    Brand("jcb", frozenset({16, 17, 18, 19}), ((3528, 3589),)),
    Brand("unionpay", frozenset({16, 17, 18, 19}), ((62, 62),)),
)


@dataclass(frozen=True)
class CheckedCard:
    number: str
    brand: str
    exp_month: int
    exp_year: int

    def __repr__(self) -> str:  # a stray log line never shows the number
        return f"CheckedCard(brand={self.brand!r}, last4={self.number[-4:]!r})"


def luhn_valid(digits: str) -> bool:
    total = 0
    for index, char in enumerate(reversed(digits)):
        value = int(char)
        if index % 2 == 1:
            value = value * 2 - 9 if value > 4 else value * 2
        total += value
    return total % 10 == 0


def brand_of(digits: str) -> Brand | None:
    for brand in BRANDS:
        for low, high in brand.prefixes:
            width = len(str(low))
            if low <= int(digits[:width]) <= high:
                return brand if len(digits) in brand.lengths else None
    return None


def normalised_number(card_number: str) -> str:
    """Digits only (spaces and dashes as printed on cards are allowed)."""
    digits = re.sub(r"[ \-]", "", card_number)
    if not re.fullmatch(r"[0-9]{12,19}", digits):
        raise InvalidInput("the card number must be 12-19 digits", code="bad_card_number")
    return digits


def check_expiry(exp_month: int, exp_year: int, *, now: datetime) -> int:
    """The four-digit expiry year; a card is valid to the end of its expiry month."""
    if not 1 <= exp_month <= 12:
        raise InvalidInput("exp_month must be 1-12", code="bad_expiry")
    year = exp_year + 2000 if 0 <= exp_year < 100 else exp_year
    if (year, exp_month) < (now.year, now.month):
        raise InvalidInput("the card has expired", code="card_expired")
    if year > now.year + MAX_YEARS_AHEAD:
        raise InvalidInput("the expiry year is too far ahead", code="bad_expiry")
    return year


def check_card(
    *, card_number: str, exp_month: int, exp_year: int, cvc: str, now: datetime
) -> CheckedCard:
    """Validate a card as typed; the CVC is checked for format and then forgotten."""
    digits = normalised_number(card_number)
    if not luhn_valid(digits):
        raise InvalidInput("the card number is not valid (checksum)", code="bad_card_number")
    brand = brand_of(digits)
    if brand is None:
        raise InvalidInput(
            "unsupported card: visa, mastercard, amex, unionpay, jcb or discover",
            code="unsupported_card",
        )
    if not re.fullmatch(rf"[0-9]{{{brand.cvc_length}}}", cvc):
        raise InvalidInput(f"the CVC is {brand.cvc_length} digits for {brand.name}", code="bad_cvc")
    year = check_expiry(exp_month, exp_year, now=now)
    return CheckedCard(number=digits, brand=brand.name, exp_month=exp_month, exp_year=year)

"""Masking helpers and the scanner that finds full phones, ID and card numbers."""

from __future__ import annotations

import logging

import pytest
from pydantic import BaseModel

from liveshop.privacy.masking import (
    MaskedIdNumber,
    MaskedPhone,
    RedactingLogFilter,
    find_personal_data,
    mask_address_snapshot,
    mask_card,
    mask_id_number,
    mask_phone,
    mask_username,
    redact_personal_data,
)

ID_NUMBER = "11010519491231002X"


@pytest.mark.parametrize(
    ("phone", "masked"),
    [
        ("13812341234", "138****1234"),
        ("138 1234 1234", "138****1234"),
        ("+86 138-1234-1234", "861****1234"),
        ("021-6212345", "****45"),
        ("1234", "****"),
    ],
)
def test_phones_keep_the_prefix_and_last_four(phone: str, masked: str) -> None:
    assert mask_phone(phone) == masked


def test_id_numbers_keep_the_first_and_last_character() -> None:
    assert mask_id_number(ID_NUMBER) == "1****************X"
    assert mask_id_number("AB") == "**"


def test_cards_are_brand_and_last_four() -> None:
    assert mask_card("visa", "4242") == "visa ****4242"


def test_the_serialiser_masks_but_the_model_keeps_the_value() -> None:
    class Contact(BaseModel):
        phone: MaskedPhone
        id_number: MaskedIdNumber

    contact = Contact(phone="13812341234", id_number=ID_NUMBER)
    assert contact.phone == "13812341234"
    assert contact.model_dump() == {"phone": "138****1234", "id_number": "1****************X"}
    assert contact.model_dump_json() == '{"phone":"138****1234","id_number":"1****************X"}'


def test_an_order_address_copy_is_masked_without_changing_the_original() -> None:
    original = {"recipient": "李雷", "phone": "13912345678", "line": "2号"}
    assert mask_address_snapshot(original) == {
        "recipient": "李雷",
        "phone": "139****5678",
        "line": "2号",
    }
    assert original["phone"] == "13912345678"
    assert mask_address_snapshot(None) is None


def test_the_scanner_finds_full_forms_and_not_masked_ones_or_hashes() -> None:
    text = (
        f"tel 13812341234, id {ID_NUMBER}, card 4242 4242 4242 4242, "
        "masked 138****1234 visa ****4242, hash a13812341234b, not luhn 4242424242424241"
    )
    assert find_personal_data(text) == {
        "phone": ["13812341234"],
        "id_number": [ID_NUMBER],
        "card": ["4242424242424242"],
    }
    assert find_personal_data(redact_personal_data(text)) == {}
    assert redact_personal_data("电话13812341234") == "电话138****1234"


def test_the_log_filter_redacts_messages(caplog: pytest.LogCaptureFixture) -> None:
    logger = logging.getLogger("liveshop.test.redaction")
    logger.addFilter(RedactingLogFilter())
    with caplog.at_level(logging.INFO, logger="liveshop.test.redaction"):
        logger.info("paid with %s by %s", "4242424242424242", "13812341234")
    assert caplog.messages == ["paid with ****4242 by 138****1234"]


@pytest.mark.parametrize(
    ("name", "masked"), [("张三丰", "张**"), ("alice", "a**"), ("李", "李**"), ("🐼panda", "🐼**")]
)
def test_a_buyer_shows_as_the_first_character_of_their_name(name: str, masked: str) -> None:
    assert mask_username(name) == masked  # the length is not told either

"""Notices and parcel scans are worded when read, in the reader's language (issue 18 §2):
every kind of notice, with its parameters, and every scan and carrier read in English
with no Chinese and in Chinese with no English of the platform's; the API answers in the
request's language (cookie, then Accept-Language), with the kind and parameters beside
the words, as the pages do."""

from __future__ import annotations

import json
import re
import time
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from liveshop.accounts.models import Role
from liveshop.core.db import unit_of_work
from liveshop.core.languages import words_for
from liveshop.core.settings import Settings
from liveshop.notifications.centre import posted_out
from liveshop.notifications.listeners import NotifyOnDomainEvents
from liveshop.notifications.models import NotificationKind
from liveshop.notifications.words import word_notice
from liveshop.orders.events import AfterSaleRefunded
from liveshop.tracking.carriers import SANDBOX, sign_push
from liveshop.tracking.config import CARRIER_NAMES, carriers_for, webhook_secret
from liveshop.tracking.models import Shipment
from liveshop.tracking.receiving import advance_sandbox_parcels
from liveshop.tracking.words import SCAN_WORDS, carrier_name, scan_words
from tests.conftest import MakeAccount
from tests.notifications.notice_examples import EXAMPLES, TYPED
from tests.reviews.helpers import make_product, order_line

CJK = re.compile(r"[\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uff00-\uffef]")
ENGLISH_WORD = re.compile(r"[A-Za-z]{2,}")
LOCALE_COOKIE = "liveshop_locale"


def _english_left(text: str) -> list[str]:
    for typed in TYPED:
        text = text.replace(typed, " ")
    return ENGLISH_WORD.findall(text)


def test_every_kind_has_an_example() -> None:
    assert {kind for kind, _ in EXAMPLES} == set(NotificationKind)


@pytest.mark.parametrize(("kind", "params"), EXAMPLES)
def test_each_notice_reads_in_either_language(
    kind: NotificationKind, params: dict[str, object]
) -> None:
    english = word_notice(kind, params, stored=("", ""), words=words_for("en"))
    chinese = word_notice(kind, params, stored=("", ""), words=words_for("zh_CN"))
    assert (english.lang, chinese.lang) == ("en", "zh-CN")
    assert not CJK.search(f"{english.title} {english.body}"), english
    assert _english_left(f"{chinese.title} {chinese.body}") == [], chinese
    assert CJK.search(chinese.title), chinese
    assert english.title != chinese.title


def test_the_parameters_are_in_the_words() -> None:
    english = words_for("en")
    refund = {"decision": "approved", "order": 40, "amount": 1234}
    approved = word_notice(NotificationKind.REFUND_DECIDED, refund, stored=("", ""), words=english)
    assert approved.body == "Order 40: CN¥12.34 will be refunded to how you paid."
    chinese = word_notice(
        NotificationKind.REFUND_DECIDED, refund, stored=("", ""), words=words_for("zh_CN")
    )
    assert chinese.body == "订单 40 退款 ¥12.34，将原路退回。"
    minutes = {"host": "anna", "room": "Evening sale", "minutes": 1}
    starting = word_notice(NotificationKind.ROOM_STARTING, minutes, stored=("", ""), words=english)
    assert (starting.title, starting.body) == (
        "A live room you booked starts in 1 minute",
        "anna: Evening sale",
    )


def test_a_notice_kept_without_parameters_shows_its_stored_words() -> None:
    kept = word_notice(
        NotificationKind.ORDER_SHIPPED, None, stored=("旧标题", "旧正文"), words=words_for("en")
    )
    assert (kept.title, kept.body, kept.lang) == ("旧标题", "旧正文", "zh-CN")


@pytest.mark.parametrize("scan", sorted(SCAN_WORDS))
def test_each_scan_reads_in_either_language(scan: str) -> None:
    english, lang = scan_words(scan, "", words_for("en"))
    chinese, _ = scan_words(scan, "", words_for("zh_CN"))
    assert lang == "en"
    assert english
    assert not CJK.search(english)
    assert CJK.search(chinese)
    assert _english_left(chinese) == []


def test_each_carrier_has_a_name_in_either_language() -> None:
    for code in CARRIER_NAMES:
        assert not CJK.search(carrier_name(code, words_for("en")))
        assert CJK.search(carrier_name(code, words_for("zh_CN")))
    assert carrier_name("dhl", words_for("en")) == "dhl"  # unknown: by its code


def test_a_notice_posted_to_open_pages_is_worded_for_each() -> None:
    posted = {
        "id": 1,
        "kind": "auction_outbid",
        "params": {"item": "Jade bangle", "price": 88000},
        "title": "",
        "body": "",
        "link": "/rooms/1",
        "created_at": "2026-12-07T10:00:00+00:00",
    }
    english = posted_out(posted, words_for("en"))
    assert (english["title"], english["body"], english["lang"]) == (
        "You have been outbid",
        "Jade bangle is now at CN¥880.00",
        "en",
    )
    assert posted_out(posted, words_for("zh_CN"))["title"] == "你的出价已被超过"


def _page(client: TestClient, headers: dict[str, str]) -> list[dict[str, object]]:
    answer = client.get("/api/notifications", headers=headers)
    assert answer.status_code == 200, answer.text
    items: list[dict[str, object]] = answer.json()["items"]
    return items


def test_the_api_answers_in_the_requests_language(
    client: TestClient, database_url: str, make_account: MakeAccount, settings: Settings
) -> None:
    buyer = make_account()
    NotifyOnDomainEvents(settings).refund_approved(
        AfterSaleRefunded(after_sale_id=3, order_id=40, buyer_id=buyer.id, amount=1234)
    )
    english = {"Accept-Language": "en-GB,en;q=0.9"}
    (item,) = _page(client, buyer.headers | english)
    assert (item["kind"], item["params"], item["lang"]) == (
        "refund_decided",
        {"decision": "approved", "order": 40, "amount": 1234},
        "en",
    )
    assert (item["title"], item["body"]) == (
        "Your refund request was approved",
        "Order 40: CN¥12.34 will be refunded to how you paid.",
    )
    (chinese,) = _page(client, buyer.headers | {"Accept-Language": "zh-CN"})
    assert (chinese["title"], chinese["lang"]) == ("退款申请已同意", "zh-CN")
    client.cookies.set(LOCALE_COOKIE, "zh_CN")  # the visitor's choice outranks the browser
    try:
        (chosen,) = _page(client, buyer.headers | english)
    finally:
        client.cookies.delete(LOCALE_COOKIE)
    assert chosen["title"] == "退款申请已同意"


def test_the_tracking_api_answers_in_the_requests_language(
    client: TestClient, database_url: str, make_account: MakeAccount, settings: Settings
) -> None:
    merchant, buyer = make_account(Role.MERCHANT), make_account()
    product_id, _ = make_product(database_url, merchant)
    order_id = order_line(
        database_url, buyer=buyer, merchant=merchant, product_id=product_id, state="paid"
    ).order_id
    shipped = client.post(
        f"/api/orders/{order_id}/shipment",
        json={"carrier": "sandbox", "tracking_number": "SB5002X"},
        headers=merchant.headers | {"Accept-Language": "en"},
    )
    assert (shipped.status_code, shipped.json()["carrier_name"]) == (201, "Sandbox Express")
    with unit_of_work(database_url) as session:
        sent = session.scalars(select(Shipment.created_at).where(Shipment.order_id == order_id))
        at = sent.one() + timedelta(hours=1)
    carrier = carriers_for(settings)[SANDBOX]
    assert advance_sandbox_parcels(database_url, carrier=carrier, now=at) == 4
    path = f"/api/orders/{order_id}/tracking"
    english = client.get(path, headers=buyer.headers | {"Accept-Language": "en"}).json()
    assert [(e["scan"], e["description"], e["lang"]) for e in english["events"]] == [
        ("damaged", "The parcel was damaged; the sender has been contacted", "en"),
        ("at_transit_centre", "In transit: arrived at the transit centre", "en"),
        ("at_sorting_centre", "Arrived at the sorting centre", "en"),
        ("picked_up", "Picked up by the courier", "en"),
    ]
    assert english["events"][0]["location"] == "上海 转运中心"  # as the carrier wrote it
    chinese = client.get(path, headers=buyer.headers | {"Accept-Language": "zh-CN"}).json()
    assert chinese["carrier_name"] == "沙箱快递"
    assert [e["description"] for e in chinese["events"]][:2] == [
        "包裹破损，已联系发件人",
        "运输中，已到达转运中心",
    ]
    (notice,) = _page(client, merchant.headers | {"Accept-Language": "en"})  # the shop's
    assert (notice["kind"], notice["title"], notice["body"]) == (
        "parcel_exception",
        "Problem with the parcel in transit",
        f"Order {order_id}: The parcel was damaged; the sender has been contacted",
    )


def test_a_pushing_carriers_scan_is_worded_by_its_status_and_keeps_its_note(
    client: TestClient, database_url: str, make_account: MakeAccount, settings: Settings
) -> None:
    merchant, buyer = make_account(Role.MERCHANT), make_account()
    product_id, _ = make_product(database_url, merchant)
    order_id = order_line(
        database_url, buyer=buyer, merchant=merchant, product_id=product_id, state="paid"
    ).order_id
    shipment = {"carrier": "zto", "tracking_number": "ZT900001"}
    shipped = client.post(
        f"/api/orders/{order_id}/shipment", json=shipment, headers=merchant.headers
    )
    assert shipped.status_code == 201, shipped.text
    event = {
        "id": "z1",
        "tracking_number": "ZT900001",
        "status": "SIGNED",
        "location": "北京 朝阳区",
        "description": "本人签收",
        "occurred_at": "2026-12-07T09:30:00+08:00",
    }
    body = json.dumps({"events": [event]}).encode()
    signature = sign_push(webhook_secret(settings), body, int(time.time()))
    pushed = client.post(
        "/api/carriers/zto/webhook", content=body, headers={"X-Carrier-Signature": signature}
    )
    assert pushed.json() == {"recorded": 1, "duplicates": 0}

    path = f"/api/orders/{order_id}/tracking"
    english = client.get(path, headers=buyer.headers | {"Accept-Language": "en"}).json()
    (scan,) = english["events"]
    assert (scan["scan"], scan["description"], scan["carrier_note"], scan["location"]) == (
        "delivered",
        "Delivered and signed for. Thank you",
        "本人签收",
        "北京 朝阳区",
    )
    page = f"/orders/{order_id}/tracking"
    english_page = client.get(page, headers=buyer.headers | {"Accept-Language": "en"}).text
    chinese_page = client.get(page, headers=buyer.headers | {"Accept-Language": "zh-CN"}).text
    assert '<span class="step-place" lang="zh-CN">北京 朝阳区</span>' in english_page
    assert "本人签收" not in english_page  # the carrier's note, where it speaks the page's language
    assert '<span class="step-note">本人签收</span>' in chinese_page

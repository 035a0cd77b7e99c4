"""Parcel tracking: shipping with a carrier, the sandbox carrier's schedule, a real
carrier's signed push (idempotent), delivery starting the after-sales clock, and
exceptions told to the buyer and the shop."""

from __future__ import annotations

import json
import time
from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import select

from liveshop.accounts.models import Role
from liveshop.core.db import unit_of_work
from liveshop.core.settings import Settings
from liveshop.notifications.models import Notification
from liveshop.orders import after_sales
from liveshop.orders.models import Order, OrderStatus
from liveshop.tracking.carriers import SANDBOX, sign_push
from liveshop.tracking.config import carriers_for, webhook_secret
from liveshop.tracking.models import CarrierEvent, Shipment
from liveshop.tracking.receiving import advance_sandbox_parcels
from tests.conftest import Account, MakeAccount
from tests.reviews.helpers import make_product, order_line

STEP = 60.0  # the settings' default sandbox step


def _paid_order(database_url: str, make_account: MakeAccount) -> tuple[Account, Account, int]:
    merchant, buyer = make_account(Role.MERCHANT), make_account()
    product_id, _ = make_product(database_url, merchant)
    line = order_line(
        database_url, buyer=buyer, merchant=merchant, product_id=product_id, state="paid"
    )
    return merchant, buyer, line.order_id


def _ship(client: TestClient, merchant: Account, order_id: int, carrier: str, number: str) -> dict:
    answer = client.post(
        f"/api/orders/{order_id}/shipment",
        json={"carrier": carrier, "tracking_number": number},
        headers=merchant.headers,
    )
    assert answer.status_code == 201, answer.text
    return answer.json()


def _kinds(database_url: str, user_id: int) -> list[str]:
    with unit_of_work(database_url) as session:
        return [
            kind.value
            for kind in session.scalars(
                select(Notification.kind)
                .where(Notification.user_id == user_id)
                .order_by(Notification.id)
            )
        ]


def _advance(settings: Settings, order_id: int, steps: float) -> int:
    with unit_of_work(settings.resolved_database_url()) as session:
        shipped = session.scalars(
            select(Shipment.created_at).where(Shipment.order_id == order_id)
        ).one()
    return advance_sandbox_parcels(
        settings.resolved_database_url(),
        carrier=carriers_for(settings)[SANDBOX],
        now=shipped + timedelta(seconds=STEP * steps + 1),
    )


def test_a_sandbox_parcel_moves_on_schedule_and_delivery_starts_after_sales(
    client: TestClient, database_url: str, make_account: MakeAccount, settings: Settings
) -> None:
    merchant, buyer, order_id = _paid_order(database_url, make_account)
    shipped = _ship(client, merchant, order_id, "sandbox", "SB10001")
    assert (shipped["status"], shipped["events"]) == ("registered", [])
    assert _kinds(database_url, buyer.id) == ["order_shipped"]

    assert _advance(settings, order_id, 3) == 3
    timeline = client.get(f"/api/orders/{order_id}/tracking", headers=buyer.headers).json()
    assert timeline["status"] == "in_transit"
    assert [event["status"] for event in timeline["events"]] == [
        "in_transit",
        "in_transit",
        "picked_up",
    ]
    assert timeline["events"][0]["location"] == "上海 转运中心"
    assert _advance(settings, order_id, 3) == 0  # nothing new: recorded once

    assert _advance(settings, order_id, 5) == 2
    timeline = client.get(f"/api/orders/{order_id}/tracking", headers=merchant.headers).json()
    assert timeline["status"] == "delivered"
    assert timeline["delivered_at"] is not None
    with unit_of_work(database_url) as session:
        assert session.get_one(Order, order_id).status is OrderStatus.DELIVERED
        assert after_sales.delivered_at(session, order_id=order_id) is not None
    assert _kinds(database_url, buyer.id) == ["order_shipped", "order_delivered"]
    page = client.get(f"/orders/{order_id}/tracking", headers=buyer.headers)
    assert page.status_code == 200
    assert "已签收" in page.text
    assert "上海 徐汇区" in page.text


def test_an_exception_tells_the_buyer_and_the_shop(
    client: TestClient, database_url: str, make_account: MakeAccount, settings: Settings
) -> None:
    merchant, buyer, order_id = _paid_order(database_url, make_account)
    _ship(client, merchant, order_id, "sandbox", "SB2002X")
    assert _advance(settings, order_id, 10) == 4
    timeline = client.get(f"/api/orders/{order_id}/tracking", headers=buyer.headers).json()
    assert timeline["status"] == "exception"
    assert timeline["events"][0]["description"] == "包裹破损，已联系发件人"
    assert _kinds(database_url, buyer.id)[-1] == "parcel_exception"
    assert _kinds(database_url, merchant.id) == ["parcel_exception"]
    with unit_of_work(database_url) as session:
        assert session.get_one(Order, order_id).status is OrderStatus.SHIPPED


def test_a_carriers_signed_push_is_recorded_once(
    client: TestClient, database_url: str, make_account: MakeAccount, settings: Settings
) -> None:
    merchant, buyer, order_id = _paid_order(database_url, make_account)
    _ship(client, merchant, order_id, "sf", "SF900001")
    now = int(time.time())
    events = [
        {
            "id": "e1",
            "tracking_number": "SF900001",
            "status": "PICKUP",
            "location": "深圳",
            "description": "已揽收",
            "occurred_at": "2026-12-06T08:00:00+08:00",
        },
        {
            "id": "e2",
            "tracking_number": "SF900001",
            "status": "SIGNED",
            "location": "北京",
            "description": "已签收",
            "occurred_at": "2026-12-07T09:30:00+08:00",
        },
        {
            "id": "x9",
            "tracking_number": "SF-NOT-OURS",
            "status": "TRANSIT",
            "occurred_at": "2026-12-07T09:30:00+08:00",
        },
    ]
    body = json.dumps({"events": events}).encode()
    secret = webhook_secret(settings)

    def push(payload: bytes, signature: str, carrier: str = "sf") -> object:
        return client.post(
            f"/api/carriers/{carrier}/webhook",
            content=payload,
            headers={"X-Carrier-Signature": signature, "Content-Type": "application/json"},
        )

    forged = push(body, sign_push("wrong-secret", body, now))
    assert (forged.status_code, forged.json()["code"]) == (403, "bad_signature")
    stale = push(body, sign_push(secret, body, now - 3_600))
    assert (stale.status_code, stale.json()["code"]) == (403, "stale_signature")
    assert push(body, "").status_code == 403
    assert push(body, sign_push(secret, body, now), carrier="sandbox").status_code == 404
    assert push(body, sign_push(secret, body, now), carrier="nope").status_code == 404
    garbage = b'{"events": [{"id": 1}]}'
    assert push(garbage, sign_push(secret, garbage, now)).status_code == 422
    with unit_of_work(database_url) as session:
        assert session.scalars(select(CarrierEvent)).all() == []

    first = push(body, sign_push(secret, body, now))
    assert first.json() == {"recorded": 2, "duplicates": 0}
    again = push(body, sign_push(secret, body, now))
    assert again.json() == {"recorded": 0, "duplicates": 2}
    timeline = client.get(f"/api/orders/{order_id}/tracking", headers=buyer.headers).json()
    assert [event["status"] for event in timeline["events"]] == ["delivered", "picked_up"]
    assert timeline["carrier_name"] == "顺丰速运"
    with unit_of_work(database_url) as session:
        assert session.get_one(Order, order_id).status is OrderStatus.DELIVERED
    assert _kinds(database_url, buyer.id) == ["order_shipped", "order_delivered"]


def test_who_ships_and_who_reads_the_timeline(
    client: TestClient, database_url: str, make_account: MakeAccount
) -> None:
    merchant, buyer, order_id = _paid_order(database_url, make_account)
    stranger, rival = make_account(), make_account(Role.MERCHANT)
    body = {"carrier": "sandbox", "tracking_number": "SB30003"}
    assert (
        client.post(
            f"/api/orders/{order_id}/shipment", json=body, headers=buyer.headers
        ).status_code
        == 403
    )
    assert (
        client.post(
            f"/api/orders/{order_id}/shipment", json=body, headers=rival.headers
        ).status_code
        == 404
    )
    unknown = client.post(
        f"/api/orders/{order_id}/shipment",
        json={"carrier": "pigeon", "tracking_number": "SB30003"},
        headers=merchant.headers,
    )
    assert (unknown.status_code, unknown.json()["code"]) == (422, "unknown_carrier")
    with unit_of_work(database_url) as session:
        assert session.get_one(Order, order_id).status is OrderStatus.PAID
        assert session.scalars(select(Shipment)).all() == []
    _ship(client, merchant, order_id, "sandbox", "SB30003")
    assert (
        client.get(f"/api/orders/{order_id}/tracking", headers=stranger.headers).status_code == 404
    )
    assert client.get(f"/orders/{order_id}/tracking", headers=stranger.headers).status_code == 404
    assert client.get(f"/orders/{order_id}/tracking").status_code in (303, 200)

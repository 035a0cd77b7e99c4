"""Helpers for the campaigns tests: a campaign, links, paying orders, flushing touches."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from fastapi.testclient import TestClient

from liveshop.core.clock import utcnow
from tests.conftest import Account

OK_CARD = "4242424242424242"
Json = dict[str, Any]


def new_campaign(
    client: TestClient,
    merchant: Account,
    *,
    channels: tuple[str, ...] = ("douyin", "wechat"),
    commission_bps: int = 0,
) -> Json:
    now = utcnow()
    response = client.post(
        "/api/campaigns",
        json={
            "name": "双十二预热",
            "channels": list(channels),
            "budget": 5_000_00,
            "starts_at": (now - timedelta(days=1)).isoformat(),
            "ends_at": (now + timedelta(days=30)).isoformat(),
            "goal": "sales",
            "commission_bps": commission_bps,
        },
        headers=merchant.headers,
    )
    assert response.status_code == 201, response.text
    campaign: Json = response.json()
    return campaign


def new_link(
    client: TestClient, merchant: Account, campaign_id: int, target: str, channel: str, **more: Any
) -> Json:
    response = client.post(
        f"/api/campaigns/{campaign_id}/links",
        json={"target": target, "channel": channel, **more},
        headers=merchant.headers,
    )
    assert response.status_code == 201, response.text
    link: Json = response.json()
    return link


def flush_touches(client: TestClient) -> int:
    app: Any = client.app
    written: int = client.portal.call(app.state.touches.flush)  # type: ignore[union-attr]
    return written


def order_and_pay(
    client: TestClient,
    buyer: Account,
    sku_id: int,
    key: str,
    coupon_codes: tuple[str, ...] = (),
    **headers: str,
) -> Json:
    """Place and pay an order by card, with these coupons; ``headers`` go with both calls
    (X-Attribution)."""
    placed = client.post(
        "/api/orders",
        json={"items": [{"sku_id": sku_id, "quantity": 1}], "coupon_codes": list(coupon_codes)},
        headers=buyer.headers | {"Idempotency-Key": key} | headers,
    )
    assert placed.status_code == 201, placed.text
    order: Json = placed.json()
    card = client.post(
        "/api/payment-methods",
        json={
            "card_number": OK_CARD,
            "exp_month": 12,
            "exp_year": utcnow().year + 2,
            "cvc": "123",
            "save_consent": True,
        },
        headers=buyer.headers,
    )
    assert card.status_code in (200, 201), card.text
    paid = client.post(
        "/api/payments",
        json={"order_id": order["id"], "payment_method_id": card.json()["id"]},
        headers=buyer.headers | {"Idempotency-Key": f"pay-{key}"} | headers,
    )
    assert paid.status_code in (200, 201), paid.text
    assert paid.json()["status"] == "succeeded", paid.text
    return order

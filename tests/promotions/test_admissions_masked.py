"""The public admission log of a flash sale names buyers as the room's purchase
lines do (``b**``); who they are is for the sale's own people.

It once listed every buyer's user id to anyone, without a token.
"""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient

from liveshop.accounts.models import Role
from liveshop.core.clock import utcnow
from tests.catalog.staffing import hire
from tests.conftest import Account, MakeAccount


def test_admissions_show_masked_names_to_the_public(
    client: TestClient, make_account: MakeAccount, host: Account
) -> None:
    merchant = make_account(Role.MERCHANT)
    buyers = [make_account(Role.VIEWER, name) for name in ("bo_lin", "zhao_wei")]
    stranger, regulator = make_account(Role.VIEWER), make_account(Role.REGULATOR)
    product = client.post(
        "/api/products",
        json={"title": "羽绒服", "price": 29_900, "stock": 5},
        headers=merchant.headers,
    ).json()
    hire(client, merchant, host)
    room = client.post("/api/rooms", json={"title": "秒杀"}, headers=host.headers).json()
    now = utcnow()
    sale = client.post(
        "/api/flash-sales",
        json={
            "room_id": room["id"],
            "sku_id": product["skus"][0]["id"],
            "price": 9_900,
            "quantity": 3,
            "starts_at": (now - timedelta(seconds=1)).isoformat(),
            "ends_at": (now + timedelta(hours=1)).isoformat(),
        },
        headers=host.headers,
    ).json()
    orders = []
    for buyer in buyers:
        bought = client.post(f"/api/flash-sales/{sale['id']}/buy", json={}, headers=buyer.headers)
        assert bought.status_code == 201, bought.text
        orders.append(bought.json()["id"])
    path = f"/api/flash-sales/{sale['id']}/admissions"

    public = client.get(path).json()

    assert [(a["position"], a["buyer"], a["quantity"]) for a in public] == [
        (1, "b**", 1),
        (2, "z**", 1),
    ]
    assert [(a["user_id"], a["order_id"]) for a in public] == [(None, None), (None, None)]
    assert client.get(path, headers=stranger.headers).json() == public
    assert client.get(path, headers=buyers[0].headers).json() == public
    for insider in (host, merchant, regulator):
        seen = client.get(path, headers=insider.headers).json()
        assert [(a["buyer"], a["user_id"], a["order_id"]) for a in seen] == [
            ("b**", buyers[0].id, orders[0]),
            ("z**", buyers[1].id, orders[1]),
        ]

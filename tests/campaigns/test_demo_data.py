"""The demo's campaign and A/B test, driven through the API: shoppers offered the deeper
coupon (the only thing their variant changes) buy more often, a significant difference
from the orders they paid, and the campaign's two channels get the orders."""

from __future__ import annotations

import asyncio

import httpx
import pytest
from fastapi.testclient import TestClient

from liveshop.accounts import service as accounts
from liveshop.accounts.models import Role, User
from liveshop.campaigns import demo_data
from liveshop.campaigns.demo_data import drive_shoppers, seed_campaign_demo
from liveshop.core.db import unit_of_work
from tests.conftest import MakeAccount


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)  # a slow journey
def test_the_demo_experiment_shows_a_real_difference(
    client: TestClient,
    make_account: MakeAccount,
    database_url: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    merchant, kol = make_account(Role.MERCHANT), make_account(Role.HOST)
    created = client.post(
        "/api/products",
        json={"title": "羊毛围巾", "price": 12_800, "stock": 500},
        headers=merchant.headers,
    )
    product = created.json()
    with unit_of_work(database_url) as session:
        demo = seed_campaign_demo(
            session,
            merchant=session.get_one(User, merchant.id),
            kol=session.get_one(User, kol.id),
            product_id=product["id"],
            sku_id=product["skus"][0]["id"],
        )
        tokens = [
            accounts.issue_token(session, user=session.get_one(User, user_id))
            for user_id in demo.shopper_ids
        ]
    transport = httpx.ASGITransport(app=client.app)
    paid = asyncio.run(
        drive_shoppers("http://testserver", demo, tokens, asyncio.Event(), transport=transport)
    )

    results = client.get(f"/api/experiments/{demo.experiment_id}/results", headers=merchant.headers)
    assert results.status_code == 200, results.text
    answer = results.json()
    control, treated = answer["variants"]
    assert control["users"] + treated["users"] == demo_data.SHOPPERS
    assert control["conversions"] + treated["conversions"] == paid > 0
    print(
        "demo experiment:",
        [(v["name"], v["users"], v["conversions"]) for v in answer["variants"]],
        answer["p_value"],
        answer["always_valid_p_value"],
    )
    assert treated["rate"] > control["rate"]
    assert answer["p_value"] < 0.01
    depths = {  # each buyer paid the price less their variant's depth
        (control["name"], control["gmv"] // max(control["conversions"], 1)),
        (treated["name"], treated["gmv"] // max(treated["conversions"], 1)),
    }
    assert depths == {(name, 12_800 - depth) for name, depth in demo_data.DEPTHS.items()}
    metrics = client.get(f"/api/campaigns/{demo.campaign_id}/metrics", headers=merchant.headers)
    rows = {row["channel"]: row for row in metrics.json()["rows"]}
    assert set(rows) == {"douyin", "xiaohongshu"}
    assert sum(row["orders"] for row in rows.values()) == paid
    assert all(row["clicks"] > 0 and row["spend"] > 0 for row in rows.values())

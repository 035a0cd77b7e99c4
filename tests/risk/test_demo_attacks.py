"""The demo's card tester and coupon bot, through the app: both are stopped."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import httpx
from fastapi import FastAPI
from fastapi.testclient import TestClient

from liveshop.accounts.models import Role
from liveshop.core.clock import utcnow
from liveshop.risk.demo_attacks import BOT_ACCOUNTS, CARD_TESTER_TRIES, run_attackers
from tests.conftest import MakeAccount


def test_the_card_tester_is_stepped_up_and_the_coupon_bot_refused(
    app: FastAPI, client: TestClient, make_account: MakeAccount
) -> None:
    admin = make_account(Role.ADMIN)
    now = utcnow()
    coupon = client.post(
        "/api/coupons",
        json={
            "code": "BOTBAIT",
            "name": "券",
            "kind": "fixed",
            "amount": 500,
            "total_quantity": 100,
            "platform": True,
            "starts_at": (now - timedelta(minutes=1)).isoformat(),
            "ends_at": (now + timedelta(days=1)).isoformat(),
        },
        headers=admin.headers,
    )
    assert coupon.status_code == 201, coupon.text

    async def attack() -> list[str]:
        transport = httpx.ASGITransport(app=app)
        report = await run_attackers(
            "http://testserver", coupon_id=coupon.json()["id"], transport=transport
        )
        return report.lines()

    lines = asyncio.run(attack())

    assert lines == [
        # Two declines, then a third card in a day: a second factor, never the network.
        f"card tester: 2 failed, {CARD_TESTER_TRIES - 2} requires_action",
        # The sixth account on one phone and every one after it are refused.
        f"coupon bot: 5 grabbed, {BOT_ACCOUNTS - 5} risk_refused",
    ]

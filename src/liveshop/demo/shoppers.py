"""The demo's paying fans: they save a card, buy coins, grab the coupon drop, rush the
flash sale, send gifts, buy with one click and grab the host's red packets."""

from __future__ import annotations

import asyncio
import contextlib
import random
import uuid

import httpx

from liveshop.core.clock import utcnow
from liveshop.demo.world import DemoRoom

DEMO_CARD = {
    "card_number": "4242 4242 4242 4242",
    "exp_month": 12,
    "cvc": "123",
    "save_consent": True,  # the demo's fans ticked 保存此卡
}  # sandbox
FAN_COINS_TOP_UP = 5_000  # 分: 500 coins each
HOST_WALLET_TOP_UP = 100_000  # 分: for red packets
DEMO_GIFTS = ["heart", "rose", "lightstick", "cake"]
RED_PACKET_EVERY_TICKS = 15
ONE_CLICK_EVERY_TICKS = 7


def _auth(token: str, key: str | None = None) -> dict[str, str]:
    headers = {"Authorization": f"Bearer {token}"}
    return headers | {"Idempotency-Key": key} if key else headers


async def _prepare_fan(client: httpx.AsyncClient, token: str, index: int) -> int:
    """A saved test card, an address and some coins; returns the card's method id."""
    card = await client.post(
        "/api/payment-methods",
        json=DEMO_CARD | {"exp_year": utcnow().year + 3},
        headers=_auth(token),
    )
    method_id = int(card.json()["id"])
    await client.post(
        "/api/addresses",
        json={
            "recipient": f"粉丝{index}",
            "phone": "13800000000",
            "region": "杭州市",
            "line": "1号",
        },
        headers=_auth(token),
    )
    await client.post(
        "/api/top-ups",
        json={"kind": "coins", "amount": FAN_COINS_TOP_UP, "payment_method_id": method_id},
        headers=_auth(token, f"demo-coins-{token[:16]}"),
    )
    return method_id


async def shop(
    base_url: str, demo: DemoRoom, stop: asyncio.Event, cards: dict[str, int], ready: asyncio.Event
) -> None:
    """Fans save a card and buy coins, grab the coupon drop at once, rush the flash sale
    when it opens and pay for what they got."""
    rng = random.Random(11)
    async with httpx.AsyncClient(base_url=base_url, timeout=10) as client:
        for index, token in enumerate(demo.chatter_tokens):
            with contextlib.suppress(httpx.HTTPError, KeyError, ValueError):
                cards[token] = await _prepare_fan(client, token, index)
        ready.set()
        for token in demo.chatter_tokens[: len(demo.chatter_tokens) // 2]:
            await client.post(f"/api/coupons/{demo.coupon_id}/grab", headers=_auth(token))
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=demo.flash_sale_starts_in + 0.5)
        rushers = [t for t in rng.sample(demo.chatter_tokens, len(demo.chatter_tokens))]
        rush = [
            client.post(
                f"/api/flash-sales/{demo.flash_sale_id}/buy",
                json={"quantity": 1},
                headers=_auth(token),
            )
            for token in rushers
            if not stop.is_set()
        ]
        answers = await asyncio.gather(*rush, return_exceptions=True)
        for token, answer in zip(rushers, answers, strict=False):
            if isinstance(answer, httpx.Response) and answer.status_code == 201 and token in cards:
                order_id = answer.json()["id"]
                await client.post(
                    "/api/payments",
                    json={"order_id": order_id, "payment_method_id": cards[token]},
                    headers=_auth(token, f"demo-pay-{order_id}"),
                )


async def spend(
    base_url: str, demo: DemoRoom, stop: asyncio.Event, cards: dict[str, int], ready: asyncio.Event
) -> None:
    """Gifts every few seconds, a red packet from the host now and then that fans grab,
    and now and then a fan buys the pinned product with one click."""
    rng = random.Random(13)
    await ready.wait()
    spenders = [token for token in demo.chatter_tokens if token in cards]
    async with httpx.AsyncClient(base_url=base_url, timeout=10) as client:
        host_card = await client.post(
            "/api/payment-methods",
            json=DEMO_CARD | {"exp_year": utcnow().year + 3},
            headers=_auth(demo.host_token),
        )
        await client.post(
            "/api/top-ups",
            json={
                "kind": "wallet",
                "amount": HOST_WALLET_TOP_UP,
                "payment_method_id": host_card.json()["id"],
            },
            headers=_auth(demo.host_token, f"demo-wallet-{demo.host_token[:16]}"),
        )
        tick = 0
        while not stop.is_set() and spenders:
            tick += 1
            token = rng.choice(spenders)
            gift = rng.choices(DEMO_GIFTS, weights=[60, 30, 8, 2])[0]
            await client.post(
                f"/api/rooms/{demo.room_id}/gifts",
                json={"gift": gift, "count": rng.choice([1, 1, 1, 3, 10])},
                headers=_auth(token, uuid.uuid4().hex),
            )
            if tick % RED_PACKET_EVERY_TICKS == 1:
                await _red_packet_round(client, demo, rng.sample(spenders, min(15, len(spenders))))
            if tick % ONE_CLICK_EVERY_TICKS == 0:
                await client.post(
                    f"/api/rooms/{demo.room_id}/buy-now/pay",
                    json={},
                    headers=_auth(token, uuid.uuid4().hex),
                )
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=rng.uniform(1.0, 4.0))


async def _red_packet_round(client: httpx.AsyncClient, demo: DemoRoom, grabbers: list[str]) -> None:
    dropped = await client.post(
        f"/api/rooms/{demo.room_id}/red-packets",
        json={"total": 8_888, "shares": 10, "greeting": "感谢大家支持!", "minutes": 2},
        headers=_auth(demo.host_token, uuid.uuid4().hex),
    )
    if dropped.status_code != 201:
        return
    packet_id = dropped.json()["id"]
    await asyncio.sleep(1.0)  # fans see the packet, then everyone grabs at once
    await asyncio.gather(
        *(client.post(f"/api/red-packets/{packet_id}/grab", headers=_auth(t)) for t in grabbers),
        return_exceptions=True,
    )

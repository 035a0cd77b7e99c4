"""The demo's two attackers, over HTTP like everyone else, and what stopped them.

- A card tester on one phone tries stolen card numbers with small top-ups: the
  declines are counted as they happen, so after the third the platform asks for
  a second factor the tester cannot give (nothing more reaches the card network).
- A coupon bot registers accounts on one phone and grabs the room's coupon drop
  with each: from the sixth account on one device the grab is refused.
"""

from __future__ import annotations

import secrets
from collections import Counter
from dataclasses import dataclass, field

import httpx

STOLEN_CARDS = ("4000000000000002", "4000000000009995", "4000000000000069")  # sandbox declines
CARD_TESTER_TRIES = 6
BOT_ACCOUNTS = 8
PASSWORD = "attacker-pass-2026"


@dataclass
class AttackReport:
    card_tester: Counter[str] = field(default_factory=Counter)  # payment status -> count
    coupon_bot: Counter[str] = field(default_factory=Counter)  # answer -> count

    def lines(self) -> list[str]:
        return [
            "card tester: "
            + ", ".join(f"{count} {what}" for what, count in self.card_tester.items()),
            "coupon bot: "
            + ", ".join(f"{count} {what}" for what, count in self.coupon_bot.items()),
        ]


async def _account(client: httpx.AsyncClient, device: str) -> dict[str, str]:
    """A fresh account signed in from ``device`` ("" sends no device id at all)."""
    name = f"attacker-{secrets.token_hex(4)}"
    credentials = {"username": name, "password": PASSWORD}
    device_header = {"X-Device-Id": device} if device else {}
    await client.post("/api/auth/register", json=credentials)
    login = await client.post("/api/auth/login", json=credentials, headers=device_header)
    return {"Authorization": f"Bearer {login.json()['token']}"} | device_header


async def card_tester(client: httpx.AsyncClient, report: AttackReport) -> None:
    # A script names no device (a new one would be challenged at once by payments).
    headers = await _account(client, "")
    cards = []
    for number in STOLEN_CARDS:
        saved = await client.post(
            "/api/payment-methods",
            json={
                "card_number": number,
                "exp_month": 12,
                "exp_year": 2031,
                "cvc": "123",
                "save_consent": True,
            },
            headers=headers,
        )
        if saved.status_code in (200, 201):
            cards.append(saved.json()["id"])
    for attempt in range(CARD_TESTER_TRIES):
        if not cards:
            break
        answer = await client.post(
            "/api/top-ups",
            json={
                "kind": "wallet",
                "amount": 100,
                "payment_method_id": cards[attempt % len(cards)],
            },
            headers=headers | {"Idempotency-Key": secrets.token_hex(8)},
        )
        status = answer.json().get("status", f"http {answer.status_code}")
        report.card_tester[status] += 1


async def coupon_bot(client: httpx.AsyncClient, coupon_id: int, report: AttackReport) -> None:
    device = f"bot-phone-{secrets.token_hex(3)}"
    for _ in range(BOT_ACCOUNTS):
        headers = await _account(client, device)
        grabbed = await client.post(f"/api/coupons/{coupon_id}/grab", headers=headers)
        what = "grabbed" if grabbed.status_code < 300 else grabbed.json().get("code", "refused")
        report.coupon_bot[what] += 1


async def run_attackers(
    base_url: str, *, coupon_id: int, transport: httpx.AsyncBaseTransport | None = None
) -> AttackReport:
    report = AttackReport()
    async with httpx.AsyncClient(base_url=base_url, timeout=30, transport=transport) as client:
        await card_tester(client, report)
        await coupon_bot(client, coupon_id, report)
    return report

"""The demo's campaign and A/B test: seeded with the services, then driven by shoppers
through the HTTP API (assignment, a click on a tracking link, an attributed order paid
by card), so the campaign's dashboard and the experiment's results page show figures
the platform measured, not made-up ones.

The experiment compares a 10-yuan coupon banner (control) with a 20-yuan one; the
simulated shoppers of the second variant buy more often (``BUY_PROBABILITY``), so the
results page shows a real difference with a few hundred users.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
from dataclasses import dataclass
from datetime import date, timedelta

import httpx
from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from liveshop.accounts.models import Role, User
from liveshop.campaigns import experiments, links, service
from liveshop.campaigns.experiment_schemas import ExperimentIn, VariantIn
from liveshop.campaigns.models import Campaign, Experiment, SpendRow, TrackingLink
from liveshop.campaigns.schemas import CampaignIn, LinkIn
from liveshop.core.clock import utcnow
from liveshop.core.security import hash_password

CAMPAIGN_NAME = "双12 预热"
EXPERIMENT_NAME = "优惠券横幅: 10 元 vs 20 元"
SHOPPERS = 300
BUY_PROBABILITY = {"coupon_10": 0.08, "coupon_20": 0.30}
CHANNEL_SHARE = {"douyin": 0.65, "xiaohongshu": 0.35}
DEMO_CARD = {
    "card_number": "4242 4242 4242 4242",
    "exp_month": 12,
    "cvc": "123",
    "save_consent": True,  # the demo's fans ticked 保存此卡
}


@dataclass(frozen=True)
class CampaignDemo:
    campaign_id: int
    experiment_id: int
    link_codes: dict[str, str]  # channel -> code
    shopper_ids: list[int]
    sku_id: int


def seed_campaign_demo(
    session: Session, *, merchant: User, kol: User, product_id: int, sku_id: int
) -> CampaignDemo:
    """A two-channel campaign with links and a week of spend, an experiment, and
    shopper accounts. Safe to run again (finds what it made before)."""
    campaign = session.scalars(
        select(Campaign).where(Campaign.name == CAMPAIGN_NAME, Campaign.created_by == merchant.id)
    ).first() or _new_campaign(session, merchant=merchant, kol=kol, product_id=product_id)
    codes = {
        link.channel: link.code
        for link in session.scalars(
            select(TrackingLink).where(TrackingLink.campaign_id == campaign.id)
        )
    }
    experiment = session.scalars(
        select(Experiment).where(Experiment.name == EXPERIMENT_NAME)
    ).first() or experiments.create_experiment(
        session,
        actor=merchant,
        body=ExperimentIn(
            name=EXPERIMENT_NAME,
            variants=[VariantIn(name="coupon_10", weight=1), VariantIn(name="coupon_20", weight=1)],
            planned_users_per_variant=100,
        ),
    )
    return CampaignDemo(campaign.id, experiment.id, codes, _shoppers(session), sku_id)


def _new_campaign(session: Session, *, merchant: User, kol: User, product_id: int) -> Campaign:
    now = utcnow()
    campaign = service.create_campaign(
        session,
        actor=merchant,
        body=CampaignIn(
            name=CAMPAIGN_NAME,
            channels=list(CHANNEL_SHARE),
            budget=2_000_000,
            starts_at=now - timedelta(days=6),
            ends_at=now + timedelta(days=14),
            goal="sales",
            commission_bps=500,
        ),
    )
    target = f"product:{product_id}"
    links.create_link(
        session,
        actor=merchant,
        campaign_id=campaign.id,
        body=LinkIn(
            target=target, channel="douyin", creative="短视频 A", kol="小美", kol_user_id=kol.id
        ),
    )
    links.create_link(
        session,
        actor=merchant,
        campaign_id=campaign.id,
        body=LinkIn(target=target, channel="xiaohongshu", creative="种草笔记"),
    )
    _spend_week(session, campaign_id=campaign.id, today=now.date())
    return campaign


def _spend_week(session: Session, *, campaign_id: int, today: date) -> None:
    rng = random.Random(15)
    for days_ago in range(6, -1, -1):
        day = today - timedelta(days=days_ago)
        for channel, scale in (("douyin", 1.0), ("xiaohongshu", 0.45)):
            impressions = int(rng.uniform(18_000, 26_000) * scale)
            session.add(
                SpendRow(
                    campaign_id=campaign_id,
                    day=day,
                    channel=channel,
                    creative="",
                    impressions=impressions,
                    spend=impressions * 3,  # ¥30 CPM
                )
            )
    session.flush()


def _shoppers(session: Session) -> list[int]:
    existing = list(
        session.scalars(select(User.id).where(User.username.like("shopper_%")).order_by(User.id))
    )
    if existing:
        return existing
    shared = hash_password("demo-shopper-pass")  # one hash: 300 argon2 runs would take a minute
    session.execute(
        insert(User),
        [
            {"username": f"shopper_{index:03d}", "password_hash": shared, "role": Role.VIEWER}
            for index in range(SHOPPERS)
        ],
    )
    return list(
        session.scalars(select(User.id).where(User.username.like("shopper_%")).order_by(User.id))
    )


async def drive_shoppers(
    base_url: str,
    demo: CampaignDemo,
    tokens: list[str],
    stop: asyncio.Event,
    *,
    transport: httpx.AsyncBaseTransport | None = None,
) -> int:
    """Each shopper: their variant, a click on one channel's link, and maybe an order
    carrying that link's attribution, paid by card. Returns how many paid."""
    rng = random.Random(1212)
    paid = 0
    async with httpx.AsyncClient(base_url=base_url, timeout=15, transport=transport) as client:
        for index, token in enumerate(tokens):
            if stop.is_set():
                break
            with contextlib.suppress(httpx.HTTPError, KeyError, ValueError):
                paid += await _one_shopper(client, demo, token, index, rng)
    return paid


async def _one_shopper(
    client: httpx.AsyncClient, demo: CampaignDemo, token: str, index: int, rng: random.Random
) -> int:
    client.cookies.clear()  # each shopper is a browser of their own: their own visitor id
    auth = {"Authorization": f"Bearer {token}"}
    variant = (
        await client.get(f"/api/experiments/{demo.experiment_id}/assignment", headers=auth)
    ).json()["variant"]
    channel = rng.choices(list(CHANNEL_SHARE), weights=list(CHANNEL_SHARE.values()))[0]
    code = demo.link_codes[channel]
    await client.get(f"/l/{code}", headers=auth)  # the click, signed in
    if rng.random() >= BUY_PROBABILITY.get(variant, 0.0):
        return 0
    tagged = auth | {"X-Attribution": code}
    order = await client.post(
        "/api/orders",
        json={"items": [{"sku_id": demo.sku_id, "quantity": 1}]},
        headers=tagged | {"Idempotency-Key": f"demo-campaign-{index}"},
    )
    if order.status_code != 201:
        return 0
    card = await client.post(
        "/api/payment-methods", json=DEMO_CARD | {"exp_year": utcnow().year + 3}, headers=auth
    )
    payment = await client.post(
        "/api/payments",
        json={"order_id": order.json()["id"], "payment_method_id": card.json()["id"]},
        headers=tagged | {"Idempotency-Key": f"demo-campaign-pay-{index}"},
    )
    answer = payment.json()
    challenge = answer.get("challenge") or {}
    if answer.get("status") == "requires_action" and challenge.get("sandbox_code"):
        # the sandbox's second factor (the risk check may ask new accounts for one)
        payment = await client.post(
            f"/api/payments/{answer['id']}/challenge",
            json={"code": challenge["sandbox_code"]},
            headers=auth,
        )
        answer = payment.json()
    return 1 if answer.get("status") == "succeeded" else 0

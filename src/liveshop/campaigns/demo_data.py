"""The demo's campaign and A/B test: seeded with the services, then driven by shoppers
through the HTTP API (assignment, a click on a tracking link, an attributed order paid
by card), so the campaign's dashboard and the experiment's results page show figures
the platform measured, not made-up ones.

The experiment is the depth of the shop's coupon for the product (promotions'
``coupon_experiments``): 10 yuan off (control) or 20 yuan off. A shopper is offered
the coupon (``GET /api/coupons/{id}/offer``: the exposure, at their variant's depth),
and buys, with the coupon, when the price after it is within what they would pay (a
reservation price drawn the same way for everyone, ``RESERVATION_PRICE``). The
shoppers never learn their variant: the difference on the results page comes from the
depth the platform gave them.
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
from liveshop.catalog import service as catalog
from liveshop.core.clock import utcnow
from liveshop.core.security import hash_password
from liveshop.promotions import coupon_experiments, coupons
from liveshop.promotions.models import Coupon, CouponKind
from liveshop.promotions.schemas import CouponExperimentIn, CouponIn

CAMPAIGN_NAME = "双12 预热"
EXPERIMENT_NAME = "商品券深度: 立减 10 元 vs 20 元"
DEPTHS = {"coupon_10": 1_000, "coupon_20": 2_000}  # the coupon's face is the deeper one
SHOPPERS = 300
# The most a shopper would pay for the product, in minor units, uniform on this range:
# for the ¥128 scarf, about 8% pay ¥118 (10 off) and 30% pay ¥108 (20 off).
RESERVATION_PRICE = (7_600, 12_150)
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
    coupon_id: int  # its depth is the experiment's
    coupon_code: str
    price: int  # the SKU's


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
            variants=[VariantIn(name=name, weight=1) for name in DEPTHS],
            planned_users_per_variant=100,
        ),
    )
    coupon = _tested_coupon(
        session, merchant=merchant, product_id=product_id, experiment_id=experiment.id
    )
    price = catalog.get_sku(session, sku_id=sku_id).price
    return CampaignDemo(
        campaign.id,
        experiment.id,
        codes,
        _shoppers(session),
        sku_id,
        coupon.id,
        coupon.code,
        price,
    )


def _tested_coupon(
    session: Session, *, merchant: User, product_id: int, experiment_id: int
) -> Coupon:
    """The product's coupon whose depth the experiment varies (made once)."""
    code = f"DEPTH{experiment_id:04d}"
    found = session.scalars(select(Coupon).where(Coupon.code == code)).first()
    if found is not None:
        return found
    now = utcnow()
    coupon = coupons.create_coupon(
        session,
        actor=merchant,
        body=CouponIn(
            code=code,
            name="围巾立减券",
            kind=CouponKind.FIXED,
            amount=max(DEPTHS.values()),
            product_id=product_id,
            starts_at=now - timedelta(minutes=1),
            ends_at=now + timedelta(days=14),
            total_quantity=SHOPPERS,
        ),
    )
    coupon_experiments.attach_experiment(
        session,
        actor=merchant,
        coupon=coupon,
        body=CouponExperimentIn(experiment_id=experiment_id, depths=DEPTHS),
    )
    return coupon


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
    """Each shopper: the coupon's offer at their depth, a click on one channel's link,
    and, when the price after the coupon is within their reservation price, the coupon
    grabbed and an order with it carrying that link's attribution, paid by card.
    Returns how many paid."""
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
    offer = (await client.get(f"/api/coupons/{demo.coupon_id}/offer", headers=auth)).json()
    channel = rng.choices(list(CHANNEL_SHARE), weights=list(CHANNEL_SHARE.values()))[0]
    code = demo.link_codes[channel]
    await client.get(f"/l/{code}", headers=auth)  # the click, signed in
    if demo.price - offer["amount"] > rng.uniform(*RESERVATION_PRICE):
        return 0
    grabbed = await client.post(f"/api/coupons/{demo.coupon_id}/grab", headers=auth)
    if grabbed.status_code != 201:
        return 0
    tagged = auth | {"X-Attribution": code}
    order = await client.post(
        "/api/orders",
        json={
            "items": [{"sku_id": demo.sku_id, "quantity": 1}],
            "coupon_codes": [demo.coupon_code],
        },
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

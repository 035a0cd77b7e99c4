"""The demo's campaign: seeded for the shop's scarf with the host as its KOL, and the
shoppers who arrive through its links while the demo runs."""

from __future__ import annotations

import asyncio

from sqlalchemy import update
from sqlalchemy.orm import Session

from liveshop.accounts.models import User
from liveshop.campaigns.demo_data import CampaignDemo, drive_shoppers, seed_campaign_demo
from liveshop.catalog import service as catalog
from liveshop.demo.names import fan_name


def seed_campaign(
    session: Session, *, host: User, merchant: User, product_title: str
) -> CampaignDemo:
    """The campaign promotes the product of that title; the host is its KOL on Douyin."""
    shop = catalog.shop_of(session, user=merchant)
    assert shop is not None  # the merchant's products made it
    product = next(
        found
        for found in catalog.list_shop_products(session, shop_id=shop.id, limit=50)
        if found.title == product_title
    )
    sku_id = catalog.skus_of(session, product_id=product.id)[0].id
    campaign = seed_campaign_demo(
        session, merchant=merchant, kol=host, product_id=product.id, sku_id=sku_id
    )
    names = [
        {"id": user_id, "display_name": fan_name(index)}
        for index, user_id in enumerate(campaign.shopper_ids)
    ]
    session.execute(update(User), names)  # their purchase lines read 小**, not s**
    return campaign


async def campaign_shoppers(
    base_url: str, campaign: CampaignDemo, shopper_tokens: list[str], stop: asyncio.Event
) -> None:
    """The campaign's shoppers: their A/B variants, clicks and attributed orders."""
    await drive_shoppers(base_url, campaign, shopper_tokens, stop)

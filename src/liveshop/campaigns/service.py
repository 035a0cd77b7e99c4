"""Campaigns: created by a shop's merchants, listed and read by that shop only."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from liveshop.accounts.models import User
from liveshop.campaigns import access
from liveshop.campaigns.models import Campaign
from liveshop.campaigns.schemas import CampaignIn, CampaignOut
from liveshop.catalog.access import is_admin
from liveshop.core.errors import NotFound

MAX_LISTED = 500


def create_campaign(session: Session, *, actor: User, body: CampaignIn) -> Campaign:
    shop_id = access.shop_to_run_campaigns(session, actor=actor)
    campaign = Campaign(
        shop_id=shop_id,
        name=body.name,
        channels=body.channels,
        budget=body.budget,
        currency="CNY",
        starts_at=body.starts_at,
        ends_at=body.ends_at,
        goal=body.goal,
        commission_bps=body.commission_bps,
        created_by=actor.id,
    )
    session.add(campaign)
    session.flush()
    return campaign


def get_campaign(session: Session, *, campaign_id: int) -> Campaign:
    campaign = session.get(Campaign, campaign_id)
    if campaign is None:
        raise NotFound(f"campaign {campaign_id} not found", code="campaign_not_found")
    return campaign


def managed_campaign(session: Session, *, actor: User, campaign_id: int) -> Campaign:
    """The campaign, if ``actor`` acts for its shop (else 404, as if it did not exist)."""
    campaign = get_campaign(session, campaign_id=campaign_id)
    access.require_campaign_manager(session, actor=actor, campaign=campaign)
    return campaign


def list_campaigns(session: Session, *, actor: User) -> list[Campaign]:
    """The caller's shop's campaigns, newest first (an admin sees every shop's)."""
    query = select(Campaign).order_by(Campaign.id.desc()).limit(MAX_LISTED)
    if not is_admin(actor):
        query = query.where(Campaign.shop_id == access.shop_to_run_campaigns(session, actor=actor))
    return list(session.scalars(query))


def campaign_out(campaign: Campaign) -> CampaignOut:
    return CampaignOut(
        id=campaign.id,
        shop_id=campaign.shop_id,
        name=campaign.name,
        channels=list(campaign.channels),
        budget=campaign.budget,
        currency=campaign.currency,
        starts_at=campaign.starts_at,
        ends_at=campaign.ends_at,
        goal=campaign.goal,
        commission_bps=campaign.commission_bps,
        created_at=campaign.created_at,
    )

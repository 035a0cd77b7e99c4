"""Campaign metrics per channel, creative, KOL or day.

Clicks, visits and viewers come from the touches on the campaign's links;
impressions and spend from the imported spend rows; orders and GMV from the paid
orders credited to the campaign's links (``attribution``), and net of what was
refunded on them since (``refunds``, ``net_gmv``). Money is in minor
units; a ratio whose denominator is zero is None.
"""

from __future__ import annotations

import enum
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from liveshop.accounts.models import User
from liveshop.campaigns.attribution import (
    AttributionModel,
    conversions_touching,
    credits_for,
)
from liveshop.campaigns.models import Campaign, SpendRow, Touch, TouchKind, TrackingLink
from liveshop.campaigns.schemas import MetricsOut
from liveshop.campaigns.service import managed_campaign

NONE_LABEL = "(none)"

DEFINITIONS = {
    "impressions": "times the ads were shown, from the imported spend rows",
    "clicks": "times a tracking link was opened",
    "ctr": "click-through rate: clicks / impressions",
    "visits": "room page or room reads that carried the link's attribution",
    "viewers": "distinct visitors who clicked or visited",
    "orders": "paid orders credited to the links (linear credit splits an order)",
    "conversion_rate": "orders / viewers",
    "gmv": "amount paid for the credited orders, minor units (分)",
    "refunds": "amount refunded on the credited orders so far, minor units",
    "net_gmv": "gmv - refunds, minor units",
    "spend": "ad spend from the imported rows, minor units (分)",
    "cpc": "cost per click: spend / clicks, minor units",
    "cpa": "cost per acquisition: spend / orders, minor units",
    "roas": "return on ad spend: gmv / spend",
    "roi": "return on investment: (gmv - spend) / spend",
}


class Dimension(enum.StrEnum):
    CHANNEL = "channel"
    CREATIVE = "creative"
    KOL = "kol"
    DAY = "day"


@dataclass
class Tally:
    impressions: int = 0
    spend: int = 0
    clicks: int = 0
    visits: int = 0
    viewers: set[str] = field(default_factory=set)
    orders: float = 0.0
    gmv: float = 0.0
    refunds: float = 0.0
    has_spend: bool = False


def _link_key(link: TrackingLink, by: Dimension) -> str:
    if by is Dimension.CHANNEL:
        return link.channel
    if by is Dimension.CREATIVE:
        return link.creative or NONE_LABEL
    return link.kol or NONE_LABEL


def _ratio(numerator: float, denominator: float, digits: int = 4) -> float | None:
    return round(numerator / denominator, digits) if denominator else None


def _money_ratio(numerator: float, denominator: float) -> int | None:
    return round(numerator / denominator) if denominator else None


def _count(value: float) -> int | float:
    rounded = round(value, 4)
    return int(rounded) if rounded == int(rounded) else rounded


def row_of(tally: Tally) -> dict[str, object]:
    spend = tally.spend if tally.has_spend else None
    impressions = tally.impressions if tally.has_spend else None
    gmv = round(tally.gmv)
    refunds = round(tally.refunds)
    viewers = len(tally.viewers)
    return {
        "impressions": impressions,
        "clicks": tally.clicks,
        "ctr": _ratio(tally.clicks, impressions or 0),
        "visits": tally.visits,
        "viewers": viewers,
        "orders": _count(tally.orders),
        "conversion_rate": _ratio(tally.orders, viewers),
        "gmv": gmv,
        "refunds": refunds,
        "net_gmv": gmv - refunds,
        "spend": spend,
        "cpc": _money_ratio(spend or 0, tally.clicks),
        "cpa": _money_ratio(spend or 0, tally.orders),
        "roas": _ratio(gmv, spend or 0),
        "roi": _ratio(gmv - (spend or 0), spend or 0),
    }


def campaign_metrics(
    session: Session,
    *,
    actor: User,
    campaign_id: int,
    by: Dimension,
    model: AttributionModel = AttributionModel.LAST_TOUCH,
    window_days: int = 7,
) -> MetricsOut:
    campaign = managed_campaign(session, actor=actor, campaign_id=campaign_id)
    tallies, total = tally_campaign(
        session, campaign=campaign, by=by, model=model, window=timedelta(days=window_days)
    )
    rows = [{by.value: key, **row_of(tally)} for key, tally in sorted(tallies.items())]
    return MetricsOut(
        campaign_id=campaign.id,
        by=by.value,
        model=model.value,
        window_days=window_days,
        rows=rows,
        totals=row_of(total),
        definitions=DEFINITIONS,
    )


def tally_campaign(
    session: Session,
    *,
    campaign: Campaign,
    by: Dimension,
    model: AttributionModel,
    window: timedelta,
) -> tuple[dict[str, Tally], Tally]:
    links = {
        link.id: link
        for link in session.scalars(
            select(TrackingLink).where(TrackingLink.campaign_id == campaign.id)
        )
    }
    tallies: dict[str, Tally] = defaultdict(Tally)
    total = Tally()
    _tally_touches(session, links=links, by=by, tallies=tallies, total=total)
    _tally_spend(session, campaign=campaign, by=by, tallies=tallies, total=total)
    if links:
        conversions = conversions_touching(session, link_ids=list(links))
        for credit in credits_for(session, conversions=conversions, model=model, window=window):
            if credit.link.id not in links:
                continue  # another campaign's (or a viewer's) link got this order
            key = (
                credit.conversion.paid_at.date().isoformat()
                if by is Dimension.DAY
                else _link_key(credit.link, by)
            )
            for tally in (tallies[key], total):
                tally.orders += credit.weight
                tally.gmv += credit.weight * credit.conversion.total
                tally.refunds += credit.weight * min(
                    credit.conversion.refunded, credit.conversion.total
                )
    return dict(tallies), total


def _tally_touches(
    session: Session,
    *,
    links: dict[int, TrackingLink],
    by: Dimension,
    tallies: dict[str, Tally],
    total: Tally,
) -> None:
    if not links:
        return
    rows = session.execute(
        select(Touch.link_id, Touch.kind, Touch.visitor, Touch.at).where(
            Touch.link_id.in_(list(links)), Touch.kind.in_([TouchKind.CLICK, TouchKind.VISIT])
        )
    ).tuples()
    for link_id, kind, visitor, at in rows:
        key = at.date().isoformat() if by is Dimension.DAY else _link_key(links[link_id], by)
        for tally in (tallies[key], total):
            if kind is TouchKind.CLICK:
                tally.clicks += 1
            else:
                tally.visits += 1
            tally.viewers.add(visitor)


def _tally_spend(
    session: Session,
    *,
    campaign: Campaign,
    by: Dimension,
    tallies: dict[str, Tally],
    total: Tally,
) -> None:
    for row in session.scalars(select(SpendRow).where(SpendRow.campaign_id == campaign.id)):
        keys: list[Tally] = [total]
        if by is Dimension.CHANNEL:
            keys.append(tallies[row.channel])
        elif by is Dimension.CREATIVE:
            keys.append(tallies[row.creative or NONE_LABEL])
        elif by is Dimension.DAY:
            keys.append(tallies[row.day.isoformat()])
        for tally in keys:  # KOLs are paid by commission: no ad spend of their own
            tally.impressions += row.impressions
            tally.spend += row.spend
            tally.has_spend = True

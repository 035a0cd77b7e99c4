"""Which mechanics an experiment drives: what its variants change, and where.

The mechanics live below campaigns (a coupon's depth and countdown in promotions, a
shelf's order in live) and here (a link's landing page); each keeps the experiment's id
on its own row, read here.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from liveshop.campaigns import link_experiments, links
from liveshop.campaigns.experiment_schemas import MechanicOut
from liveshop.campaigns.models import TargetKind
from liveshop.catalog.models import Product
from liveshop.live import shelf_experiments
from liveshop.live.models import Room
from liveshop.promotions import coupon_countdowns, coupon_experiments
from liveshop.promotions.models import Coupon, CouponKind


def mechanics_of(session: Session, *, experiment_id: int) -> list[MechanicOut]:
    return [
        *_coupon_depths(session, experiment_id),
        *_coupon_countdowns(session, experiment_id),
        *_shelf_orders(session, experiment_id),
        *_landings(session, experiment_id),
    ]


def _coupon_depths(session: Session, experiment_id: int) -> list[MechanicOut]:
    return [
        MechanicOut(
            kind="coupon_depth",
            target=f"coupon:{coupon.id}",
            target_name=coupon.name,
            values=dict(coupon.experiment_depths or {}),
            percent=coupon.kind is CouponKind.PERCENT,
        )
        for coupon in coupon_experiments.coupons_testing(session, experiment_id=experiment_id)
    ]


def _coupon_countdowns(session: Session, experiment_id: int) -> list[MechanicOut]:
    return [
        MechanicOut(
            kind="coupon_countdown",
            target=f"coupon:{coupon.id}",
            target_name=coupon.name,
            values=dict(coupon.countdown_seconds or {}),
        )
        for coupon in coupon_countdowns.coupons_counting_down(session, experiment_id=experiment_id)
    ]


def _shelf_orders(session: Session, experiment_id: int) -> list[MechanicOut]:
    rooms = shelf_experiments.rooms_testing(session, experiment_id=experiment_id)
    lead_ids = {lead for room in rooms for lead in (room.shelf_experiment_leads or {}).values()}
    query = select(Product.id, Product.title).where(Product.id.in_(lead_ids))
    titles = {product_id: title for product_id, title in session.execute(query).tuples()}
    return [
        MechanicOut(
            kind="shelf_order",
            target=f"room:{room.id}",
            target_name=room.title,
            values=dict(room.shelf_experiment_leads or {}),
            value_names={
                variant: titles.get(lead, f"#{lead}")
                for variant, lead in (room.shelf_experiment_leads or {}).items()
            },
        )
        for room in rooms
    ]


def _landings(session: Session, experiment_id: int) -> list[MechanicOut]:
    found = []
    for link in link_experiments.links_testing(session, experiment_id=experiment_id):
        campaign = links.campaign_of(session, link)
        landings = link.experiment_landings or {}
        found.append(
            MechanicOut(
                kind="landing",
                target=f"link:{link.code}",
                target_name=f"{campaign.name if campaign else ''} · {link.channel}",
                values={},
                value_names={
                    variant: _target_name(session, landing["target"])
                    for variant, landing in landings.items()
                },
                landings={variant: landing["target"] for variant, landing in landings.items()},
                creatives={variant: landing["creative"] for variant, landing in landings.items()},
            )
        )
    return found


def _target_name(session: Session, target: str) -> str:
    """A landing page's title: the room's, the product's, the coupon's name."""
    kind, target_id = links.parse_target(target)
    if kind is TargetKind.COUPON:
        coupon = session.get(Coupon, target_id)
        return coupon.name if coupon is not None else target
    if kind is TargetKind.ROOM:
        room = session.get(Room, target_id)
        return room.title if room is not None else target
    product = session.get(Product, target_id)
    return product.title if product is not None else target

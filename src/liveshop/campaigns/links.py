"""Tracking links, their QR codes, clicks, and viewers' share links.

A link's ``target`` (``room:ID``, ``product:ID``, ``coupon:ID``) must be the
campaign's shop's: a product or coupon of the shop, or a room hosted by someone
acting for the shop or whose shelf carries one of its products. A share link
(channel ``share``) is made by a viewer for a room or product and credits them.
"""

from __future__ import annotations

import io
import secrets

import segno
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from liveshop.accounts.models import User
from liveshop.campaigns import access
from liveshop.campaigns.models import Campaign, TargetKind, Touch, TouchKind, TrackingLink
from liveshop.campaigns.schemas import SHARE_CHANNEL, LinkIn, LinkOut
from liveshop.campaigns.service import managed_campaign
from liveshop.catalog import service as catalog
from liveshop.catalog.access import can_manage_shop
from liveshop.core.errors import InvalidInput, LiveShopError, NotFound
from liveshop.core.rooms import room_facts
from liveshop.promotions import coupons
from liveshop.promotions.access import can_offer_goods_in_room

CODE_ALPHABET = "23456789abcdefghjkmnpqrstuvwxyz"  # no 0/o, 1/l/i: codes are typed from posters
CODE_LENGTH = 8  # 31^8 ~ 8.5e11: guessing a live code is hopeless
CODE_ATTEMPTS = 5
LINK_PATH = "/l/"


def new_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def parse_target(target: str) -> tuple[TargetKind, int]:
    kind, _, raw_id = target.partition(":")
    return TargetKind(kind), int(raw_id)


def require_shop_target(session: Session, *, shop_id: int, actor: User, target: str) -> None:
    kind, target_id = parse_target(target)
    try:
        if kind is TargetKind.PRODUCT:
            owned = catalog.get_product(session, product_id=target_id).shop_id == shop_id
        elif kind is TargetKind.COUPON:
            owned = coupons.get_coupon(session, coupon_id=target_id).shop_id == shop_id
        else:
            room = room_facts(session, target_id)
            host = session.get(User, room.host_id)
            owned = (
                host is not None and can_manage_shop_as_host(session, host=host, shop_id=shop_id)
            ) or can_offer_goods_in_room(
                session, actor=actor, room=room, shop_id=shop_id, product_id=None
            )
    except NotFound:
        owned = False
    if not owned:
        raise InvalidInput(f"{target} is not your shop's", code="target_not_yours")


def can_manage_shop_as_host(session: Session, *, host: User, shop_id: int) -> bool:
    """A room belongs to a shop when its host acts for the shop (owner or staff)."""
    return host.role.value != "admin" and can_manage_shop(session, actor=host, shop_id=shop_id)


def _insert_link(session: Session, **values: object) -> TrackingLink:
    for _attempt in range(CODE_ATTEMPTS):
        link = TrackingLink(code=new_code(), **values)
        try:
            with session.begin_nested():
                session.add(link)
                session.flush()
        except IntegrityError:
            continue
        return link
    raise LiveShopError("could not draw a free link code", code="link_code_exhausted")


def create_link(session: Session, *, actor: User, campaign_id: int, body: LinkIn) -> TrackingLink:
    campaign = managed_campaign(session, actor=actor, campaign_id=campaign_id)
    if body.channel not in campaign.channels:
        raise InvalidInput(
            f"channel {body.channel!r} is not one of the campaign's: "
            + ", ".join(campaign.channels),
            code="channel_not_in_campaign",
        )
    require_shop_target(session, shop_id=campaign.shop_id, actor=actor, target=body.target)
    if body.kol_user_id is not None and session.get(User, body.kol_user_id) is None:
        raise InvalidInput(f"no user {body.kol_user_id} to pay as the KOL", code="kol_not_found")
    return _insert_link(
        session,
        campaign_id=campaign.id,
        shop_id=campaign.shop_id,
        target=body.target,
        channel=body.channel,
        creative=body.creative.strip(),
        kol=body.kol.strip(),
        kol_user_id=body.kol_user_id,
    )


def share_link(session: Session, *, sharer: User, target: str) -> TrackingLink:
    """The viewer's own share link for a room or product (the same one each time)."""
    access.require_sharer(sharer)
    kind, target_id = parse_target(target)
    if kind is TargetKind.PRODUCT:
        shop_id: int | None = catalog.get_product(session, product_id=target_id).shop_id
    else:
        room_facts(session, target_id)  # NotFound for a room that does not exist
        shop_id = None
    existing = session.scalars(
        select(TrackingLink).where(
            TrackingLink.sharer_id == sharer.id,
            TrackingLink.target == target,
            TrackingLink.channel == SHARE_CHANNEL,
        )
    ).first()
    if existing is not None:
        return existing
    return _insert_link(
        session,
        campaign_id=None,
        shop_id=shop_id,
        target=target,
        channel=SHARE_CHANNEL,
        creative="",
        kol=sharer.username,
        kol_user_id=None,
        sharer_id=sharer.id,
    )


def campaign_links(session: Session, *, actor: User, campaign_id: int) -> list[TrackingLink]:
    campaign = managed_campaign(session, actor=actor, campaign_id=campaign_id)
    return list(
        session.scalars(
            select(TrackingLink)
            .where(TrackingLink.campaign_id == campaign.id)
            .order_by(TrackingLink.id)
        )
    )


def link_by_code(session: Session, *, code: str) -> TrackingLink:
    link = session.scalars(select(TrackingLink).where(TrackingLink.code == code)).first()
    if link is None:
        raise NotFound("no such link", code="link_not_found")
    return link


def target_path(link: TrackingLink) -> str:
    """Where the link leads: the room's page, the product's page, the coupon's landing
    page (where it is claimed, after signing in if need be)."""
    return path_of(link.target)


def path_of(target: str) -> str:
    kind, target_id = parse_target(target)
    if kind is TargetKind.ROOM:
        return f"/rooms/{target_id}"
    if kind is TargetKind.PRODUCT:
        return f"/products/{target_id}"
    return f"/coupons/{target_id}"


def record_click(
    session: Session,
    *,
    link: TrackingLink,
    visitor: str,
    user_id: int | None,
    landed_on: str | None = None,
) -> Touch:
    """The click's touch; ``landed_on``: the target a landing test sent it to."""
    kind, target_id = parse_target(landed_on or link.target)
    touch = Touch(
        link_id=link.id,
        visitor=visitor,
        user_id=user_id,
        kind=TouchKind.CLICK,
        room_id=target_id if kind is TargetKind.ROOM else None,
    )
    session.add(touch)
    session.flush()
    return touch


def link_out(link: TrackingLink, *, base_url: str) -> LinkOut:
    base = base_url.rstrip("/")
    return LinkOut(
        code=link.code,
        url=f"{base}{LINK_PATH}{link.code}",
        qr_url=f"{base}/api/links/{link.code}/qr.svg",
        campaign_id=link.campaign_id,
        target=link.target,
        channel=link.channel,
        creative=link.creative,
        kol=link.kol,
        kol_user_id=link.kol_user_id,
        sharer_id=link.sharer_id,
        created_at=link.created_at,
    )


def qr_code(url: str, *, kind: str) -> bytes:
    """The link's QR code as SVG or PNG (error correction M survives a creased poster)."""
    qr = segno.make(url, error="m")
    buffer = io.BytesIO()
    if kind == "svg":
        qr.save(buffer, kind="svg", scale=6, border=2, xmldecl=False)
    else:
        qr.save(buffer, kind="png", scale=6, border=2)
    return buffer.getvalue()


def campaign_of(session: Session, link: TrackingLink) -> Campaign | None:
    return session.get(Campaign, link.campaign_id) if link.campaign_id is not None else None

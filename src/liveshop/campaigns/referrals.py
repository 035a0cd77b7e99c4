"""A sharer's own referrals: their share links, the clicks and attributed orders each
brought, and the commissions those earned (pending, or settled as the ledger posted
them to the sharer's earnings, less what refunds clawed back)."""

from __future__ import annotations

from collections import defaultdict

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from liveshop.accounts.models import User
from liveshop.campaigns import access, links
from liveshop.campaigns.commissions import KOL_COMMISSION
from liveshop.campaigns.models import (
    Commission,
    CommissionStatus,
    Conversion,
    Touch,
    TouchKind,
    TrackingLink,
)
from liveshop.campaigns.schemas import ReferralLinkOut, ReferralsOut
from liveshop.payments.ledger import AccountKind, find_transaction, postings_of
from liveshop.payments.models import OwnerType

MAX_LINKS = 200


def my_referrals(
    session: Session, *, sharer: User, base_url: str, commission_bps: int
) -> ReferralsOut:
    access.require_sharer(sharer)
    shared = list(
        session.scalars(
            select(TrackingLink)
            .where(TrackingLink.sharer_id == sharer.id)
            .order_by(TrackingLink.id.desc())
            .limit(MAX_LINKS)
        )
    )
    ids = [link.id for link in shared]
    counted = session.execute(
        select(Touch.link_id, func.count())
        .where(Touch.link_id.in_(ids), Touch.kind == TouchKind.CLICK)
        .group_by(Touch.link_id)
    ).tuples()
    clicks = {link_id: count for link_id, count in counted}
    earned: dict[int, list[tuple[Commission, int]]] = defaultdict(list)
    for commission, total in session.execute(
        select(Commission, Conversion.total)
        .join(Conversion, Conversion.order_id == Commission.order_id)
        .where(Commission.link_id.in_(ids), Commission.kol_user_id == sharer.id)
    ).tuples():
        earned[commission.link_id].append((commission, total))
    lines = [
        _line(session, link, clicks.get(link.id, 0), earned[link.id], base_url, sharer.id)
        for link in shared
    ]
    return ReferralsOut(
        commission_bps=commission_bps,
        links=lines,
        clicks=sum(line.clicks for line in lines),
        orders=sum(line.orders for line in lines),
        gmv=sum(line.gmv for line in lines),
        commission_pending=sum(line.commission_pending for line in lines),
        commission_settled=sum(line.commission_settled for line in lines),
        clawed_back=sum(line.clawed_back for line in lines),
    )


def _line(
    session: Session,
    link: TrackingLink,
    clicks: int,
    earned: list[tuple[Commission, int]],
    base_url: str,
    sharer_id: int,
) -> ReferralLinkOut:
    live = [(c, total) for c, total in earned if c.status is not CommissionStatus.CANCELLED]
    settled = [c for c, _total in live if c.status is CommissionStatus.SETTLED]
    return ReferralLinkOut(
        code=link.code,
        url=links.link_out(link, base_url=base_url).url,
        target=link.target,
        created_at=link.created_at,
        clicks=clicks,
        orders=len(live),
        gmv=sum(total for _c, total in live),
        commission_pending=sum(
            c.amount for c, _total in live if c.status is CommissionStatus.PENDING
        ),
        commission_settled=sum(_posted(session, c, sharer_id) for c in settled),
        clawed_back=sum(c.clawed_back for c in settled),
    )


def _posted(session: Session, commission: Commission, sharer_id: int) -> int:
    """What the commission's ledger transaction put in the sharer's earnings."""
    transaction = find_transaction(session, kind=KOL_COMMISSION, reference=str(commission.order_id))
    if transaction is None:
        return 0
    return sum(
        amount
        for key, amount in postings_of(session, transaction)
        if key.kind is AccountKind.HOST_EARNINGS
        and key.owner_type is OwnerType.USER
        and key.owner_id == sharer_id
    )

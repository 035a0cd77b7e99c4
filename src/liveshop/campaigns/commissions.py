"""KOL and sharer (affiliate) commissions: a share of each attributed order, paid once
its after-sales window has closed.

When an order is paid, the last-touch link within the default window decides: a
campaign link with a KOL account and a commission rate, or a viewer's share link
under the platform's ``share_commission_bps`` (never on the sharer's own order),
opens a pending commission for the KOL or the sharer (``rate x order total``,
rounded down). A refund cancels it while it
is pending. Once payments has settled the order to the shop (the ledger's
``order_settled`` transaction: the after-sales window closed with no open
after-sale), the commission is one balanced ledger transaction from the shop's
``merchant_payable`` to the KOL's ``host_earnings`` (kind ``kol_commission``,
reference the order id, so it is never paid twice).

A refund after that claws the commission back in proportion: the commission's share
of everything refunded so far (``amount x refunded / total``, cumulative, so a full
refund takes back exactly the whole) less what was clawed back before, in one ledger
transaction from the KOL's ``host_earnings`` back to the shop's ``merchant_payable``
(kind ``kol_clawback``, reference ``order:after_sale``), kept on the commission as
``clawed_back``. The KOL's earnings may go below zero: they may have been paid out.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from liveshop.accounts.models import User
from liveshop.campaigns.attribution import credits_for
from liveshop.campaigns.models import (
    Campaign,
    Commission,
    CommissionStatus,
    Conversion,
    TrackingLink,
)
from liveshop.core.background import InThread
from liveshop.core.clock import utcnow
from liveshop.core.db import unit_of_work
from liveshop.core.settings import Settings
from liveshop.payments.ledger import (
    AccountKey,
    AccountKind,
    find_transaction,
    get_account,
    post_transaction,
    postings_of,
    shop_account,
    user_account,
)
from liveshop.payments.models import LedgerTransaction
from liveshop.payments.order_ledger import ORDER_SETTLED

logger = logging.getLogger(__name__)

KOL_COMMISSION = "kol_commission"
KOL_CLAWBACK = "kol_clawback"
BASIS_POINTS = 10_000
JOB_SECONDS = 60.0
BATCH = 500


def open_commission(
    session: Session, *, order_id: int, share_commission_bps: int = 0
) -> Commission | None:
    """The pending commission of a just-recorded paid order, if a KOL's link or a
    sharer's link earned it (``share_commission_bps``: the sharers' rate)."""
    conversion = session.get(Conversion, order_id)
    if conversion is None:
        return None
    credits = credits_for(session, conversions=[conversion])
    if not credits:
        return None
    link = credits[0].link
    earner = _earner_and_rate(session, link, conversion, share_commission_bps)
    if earner is None:
        return None
    earner_id, rate_bps = earner
    amount = conversion.total * rate_bps // BASIS_POINTS
    if amount <= 0:
        return None
    module = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    session.execute(
        module.insert(Commission)
        .values(
            order_id=order_id,
            link_id=link.id,
            kol_user_id=earner_id,
            shop_id=conversion.shop_id,
            amount=amount,
            status=CommissionStatus.PENDING,
            created_at=utcnow(),
        )
        .on_conflict_do_nothing()
    )
    return session.get(Commission, order_id)


def _earner_and_rate(
    session: Session, link: TrackingLink, conversion: Conversion, share_commission_bps: int
) -> tuple[int, int] | None:
    """(who earns, at what rate in basis points) for an order the link is credited with."""
    if link.sharer_id is not None:
        if link.sharer_id == conversion.buyer_id:
            return None  # buying through one's own link is a discount, not a referral
        return link.sharer_id, share_commission_bps
    campaign = session.get(Campaign, link.campaign_id) if link.campaign_id is not None else None
    if campaign is None or link.kol_user_id is None:
        return None
    return link.kol_user_id, campaign.commission_bps


def settle_commissions(session: Session, *, limit: int = BATCH) -> tuple[int, int]:
    """Pay pending commissions of settled orders; cancel those of refunded orders.
    Returns (settled, cancelled)."""
    settled = cancelled = 0
    pending = session.scalars(
        select(Commission)
        .where(Commission.status == CommissionStatus.PENDING)
        .order_by(Commission.order_id)
        .limit(limit)
    ).all()
    for commission in pending:
        conversion = session.get(Conversion, commission.order_id)
        if conversion is not None and conversion.refunded > 0:
            commission.status = CommissionStatus.CANCELLED
            commission.decided_at = utcnow()
            cancelled += 1
            continue
        order_settled = find_transaction(
            session, kind=ORDER_SETTLED, reference=str(commission.order_id)
        )
        if order_settled is None:
            continue  # still inside the after-sales window
        currency = postings_of(session, order_settled)[0][0].currency
        payable, earnings = _commission_accounts(commission, currency)
        post_transaction(
            session,
            kind=KOL_COMMISSION,
            reference=str(commission.order_id),
            postings=[
                (get_account(session, payable), -commission.amount),
                (get_account(session, earnings), commission.amount),
            ],
            memo=f"KOL commission on order {commission.order_id}",
        )
        commission.status = CommissionStatus.SETTLED
        commission.decided_at = utcnow()
        settled += 1
    session.flush()
    return settled, cancelled


def _commission_accounts(commission: Commission, currency: str) -> tuple[AccountKey, AccountKey]:
    """(the shop's merchant_payable, the KOL's host_earnings): what the commission moves."""
    return (
        shop_account(AccountKind.MERCHANT_PAYABLE, commission.shop_id, currency),
        user_account(AccountKind.HOST_EARNINGS, commission.kol_user_id, currency),
    )


def claw_back_commission(
    session: Session, *, order_id: int, after_sale_id: int
) -> LedgerTransaction | None:
    """After a refund of a settled commission's order (its conversion's ``refunded``
    already raised): take back the refunded share not yet taken back, once per refund."""
    reference = f"{order_id}:{after_sale_id}"
    existing = find_transaction(session, kind=KOL_CLAWBACK, reference=reference)
    commission = session.get(Commission, order_id, with_for_update=True)
    if existing is not None or commission is None:
        return existing
    conversion = session.get(Conversion, order_id, populate_existing=True)
    paid = find_transaction(session, kind=KOL_COMMISSION, reference=str(order_id))
    if commission.status is not CommissionStatus.SETTLED or conversion is None or paid is None:
        return None
    refunded = min(conversion.refunded, conversion.total)
    owed_back = commission.amount * refunded // max(conversion.total, 1)
    amount = owed_back - commission.clawed_back
    if amount <= 0:
        return None
    payable, earnings = _commission_accounts(commission, postings_of(session, paid)[0][0].currency)
    clawback = post_transaction(
        session,
        kind=KOL_CLAWBACK,
        reference=reference,
        postings=[
            (get_account(session, earnings), -amount),
            (get_account(session, payable), amount),
        ],
        memo=f"KOL commission on order {order_id} clawed back (after-sale {after_sale_id})",
    )
    commission.clawed_back += amount
    session.flush()
    return clawback


@dataclass(frozen=True)
class LeaderboardLine:
    kol: str
    kol_user_id: int | None
    links: int
    orders: int
    gmv: int
    pending: int
    settled: int
    cancelled: int
    clawed_back: int  # of the settled, what refunds took back


def kol_leaderboard(session: Session, *, shop_id: int) -> list[LeaderboardLine]:
    """The shop's KOLs by attributed GMV (last touch), with their commissions."""
    links = list(
        session.scalars(
            select(TrackingLink).where(
                TrackingLink.shop_id == shop_id, TrackingLink.campaign_id.is_not(None)
            )
        )
    )
    by_link = {link.id: link for link in links if link.kol}
    lines: dict[str, dict[str, int]] = {}
    users: dict[str, int | None] = {}
    for link in by_link.values():
        entry = lines.setdefault(
            link.kol,
            dict.fromkeys(
                ("links", "orders", "gmv", "pending", "settled", "cancelled", "clawed_back"), 0
            ),
        )
        entry["links"] += 1
        users[link.kol] = users.get(link.kol) or link.kol_user_id
    conversions = list(session.scalars(select(Conversion).where(Conversion.shop_id == shop_id)))
    for credit in credits_for(session, conversions=conversions):
        credited = by_link.get(credit.link.id)
        if credited is not None:
            lines[credited.kol]["orders"] += 1
            lines[credited.kol]["gmv"] += credit.conversion.total
    rows = session.execute(
        select(
            Commission.link_id,
            Commission.status,
            func.sum(Commission.amount),
            func.sum(Commission.clawed_back),
        )
        .where(Commission.shop_id == shop_id)
        .group_by(Commission.link_id, Commission.status)
    ).tuples()
    for link_id, status, amount, clawed_back in rows:
        earner = by_link.get(link_id)
        if earner is not None:
            lines[earner.kol][status.value] += int(amount or 0)
            lines[earner.kol]["clawed_back"] += int(clawed_back or 0)
    return sorted(
        (
            LeaderboardLine(kol=kol, kol_user_id=users.get(kol), **figures)
            for kol, figures in lines.items()
        ),
        key=lambda line: (-line.gmv, line.kol),
    )


def commissions_of(session: Session, *, kol: User) -> list[Commission]:
    return list(
        session.scalars(
            select(Commission)
            .where(Commission.kol_user_id == kol.id)
            .order_by(Commission.order_id.desc())
        )
    )


def _settle_in_batches(settings: Settings) -> None:
    with unit_of_work(settings.resolved_database_url()) as session:
        settle_commissions(session)


async def run_commission_jobs_forever(
    settings: Settings, *, in_thread: InThread = asyncio.to_thread
) -> None:
    """Every minute: pay the commissions of orders payments has settled."""
    while True:
        await asyncio.sleep(JOB_SECONDS)
        try:
            await in_thread(_settle_in_batches, settings)
        except Exception:
            logger.exception("a commissions job failed; will retry")

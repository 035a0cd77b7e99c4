"""Seamless payment (无感支付): from a trusted passkey device, payments that would ask
for a step-up go through without it while the day's total stays within the buyer's
daily limit. The limit is the buyer's (0, the default, is off) and never above the
platform's maximum (``Settings.seamless_pay_max_daily``); lowering the platform's
maximum lowers every limit with it.

The day is China Standard Time's (UTC+8), the buyers' calendar day. Payments that
skipped the step-up are marked ``seamless``; the failed ones do not count.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from liveshop.accounts.models import User
from liveshop.accounts.passkeys import is_trusted_device
from liveshop.core.clock import utcnow
from liveshop.core.errors import InvalidInput
from liveshop.payments.models import Payment, PaymentStatus, SeamlessLimit

BUYERS_DAY = timezone(timedelta(hours=8))


@dataclass(frozen=True)
class Allowance:
    daily_limit: int  # 分, the buyer's (already capped)
    platform_max: int
    spent_today: int
    remaining: int


def _day_start(now: datetime) -> datetime:
    local = now.astimezone(BUYERS_DAY)
    return local.replace(hour=0, minute=0, second=0, microsecond=0).astimezone(UTC)


def allowance(session: Session, *, user_id: int, platform_max: int) -> Allowance:
    row = session.get(SeamlessLimit, user_id)
    limit = min(row.daily_limit if row is not None else 0, platform_max)
    spent = session.scalar(
        select(func.coalesce(func.sum(Payment.amount), 0)).where(
            Payment.buyer_id == user_id,
            Payment.seamless.is_(True),
            Payment.status != PaymentStatus.FAILED,
            Payment.created_at >= _day_start(utcnow()),
        )
    )
    spent = int(spent or 0)
    return Allowance(limit, platform_max, spent, max(limit - spent, 0))


def set_daily_limit(
    session: Session, *, user: User, daily_limit: int, platform_max: int
) -> Allowance:
    if daily_limit > platform_max:
        raise InvalidInput(
            f"the daily limit is at most {platform_max} 分", code="seamless_limit_too_high"
        )
    row = session.get(SeamlessLimit, user.id)
    if row is None:
        session.add(SeamlessLimit(user_id=user.id, daily_limit=daily_limit))
    else:
        row.daily_limit = daily_limit
    session.flush()
    return allowance(session, user_id=user.id, platform_max=platform_max)


def may_skip_step_up(session: Session, *, payment: Payment, platform_max: int) -> bool:
    """Whether ``payment`` (inserted, not charged) comes from one of the buyer's trusted
    devices and fits in what is left of today's limit."""
    if platform_max <= 0 or not is_trusted_device(
        session, user_id=payment.buyer_id, device_id=payment.device_id
    ):
        return False
    # The limit's row, locked (PostgreSQL): two payments at once do not both fit in it.
    session.get(SeamlessLimit, payment.buyer_id, with_for_update=True)
    left = allowance(session, user_id=payment.buyer_id, platform_max=platform_max).remaining
    return 0 < payment.amount <= left

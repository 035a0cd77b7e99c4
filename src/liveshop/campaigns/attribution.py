"""Which tracking link gets the credit for a paid order.

Campaigns learn of paid orders from OrderPaid (subscribed in ``liveshop.wiring``)
and keep them as conversions; they never read orders' tables. An order is
credited from its buyer's touches (clicks, visits, attributed calls) in the
``window`` before it was paid, on links of the order's shop or viewers' share
links: all to the last touch (the default), all to the first, or split equally
between the links touched (linear). Credit is computed when asked, so the model
and window are the reader's choice and a late-written touch still counts.
"""

from __future__ import annotations

import enum
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from liveshop.campaigns.models import (
    Commission,
    CommissionStatus,
    Conversion,
    Touch,
    TrackingLink,
)
from liveshop.core.clock import utcnow
from liveshop.orders.events import AfterSaleRefunded, OrderPaid

DEFAULT_WINDOW_DAYS = 7  # the usual click-through window of the ad platforms
MAX_WINDOW_DAYS = 90


class AttributionModel(enum.StrEnum):
    LAST_TOUCH = "last_touch"
    FIRST_TOUCH = "first_touch"
    LINEAR = "linear"


@dataclass(frozen=True)
class Credit:
    conversion: Conversion
    link: TrackingLink
    weight: float  # 1.0 for first and last touch; 1/n for linear


def record_conversion(session: Session, *, event: OrderPaid) -> None:
    """Keep the paid order's facts, once per order."""
    module = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    session.execute(
        module.insert(Conversion)
        .values(
            order_id=event.order_id,
            buyer_id=event.buyer_id,
            shop_id=event.shop_id,
            room_id=event.room_id,
            paid_at=event.paid_at,
            total=event.total,
            refunded=0,
        )
        .on_conflict_do_nothing()
    )


def record_refund(session: Session, *, event: AfterSaleRefunded) -> None:
    """A refund lowers the order's net amount and cancels a commission not yet settled."""
    session.execute(
        update(Conversion)
        .where(Conversion.order_id == event.order_id)
        .values(refunded=Conversion.refunded + event.amount)
    )
    session.execute(
        update(Commission)
        .where(
            Commission.order_id == event.order_id,
            Commission.status == CommissionStatus.PENDING,
        )
        .values(status=CommissionStatus.CANCELLED, decided_at=utcnow())
    )


def credits_for(
    session: Session,
    *,
    conversions: Sequence[Conversion],
    model: AttributionModel = AttributionModel.LAST_TOUCH,
    window: timedelta = timedelta(days=DEFAULT_WINDOW_DAYS),
) -> list[Credit]:
    """Each conversion's credited links (none: a direct order)."""
    if not conversions:
        return []
    buyers = {conversion.buyer_id for conversion in conversions}
    earliest = min(conversion.paid_at for conversion in conversions) - window
    latest = max(conversion.paid_at for conversion in conversions)
    rows = session.execute(
        select(Touch.user_id, Touch.at, TrackingLink)
        .join(TrackingLink, TrackingLink.id == Touch.link_id)
        .where(Touch.user_id.in_(buyers), Touch.at >= earliest, Touch.at <= latest)
        .order_by(Touch.at, Touch.id)
    ).tuples()
    touches: dict[int, list[tuple[object, TrackingLink]]] = defaultdict(list)
    for user_id, at, link in rows:
        assert user_id is not None
        touches[user_id].append((at, link))
    credits: list[Credit] = []
    for conversion in conversions:
        eligible = [
            link
            for at, link in touches.get(conversion.buyer_id, [])
            if conversion.paid_at - window <= at <= conversion.paid_at  # type: ignore[operator]
            and (link.shop_id is None or link.shop_id == conversion.shop_id)
        ]
        credits.extend(_split(conversion, eligible, model))
    return credits


def _split(
    conversion: Conversion, links: list[TrackingLink], model: AttributionModel
) -> list[Credit]:
    if not links:
        return []
    if model is AttributionModel.LAST_TOUCH:
        return [Credit(conversion, links[-1], 1.0)]
    if model is AttributionModel.FIRST_TOUCH:
        return [Credit(conversion, links[0], 1.0)]
    distinct = list({link.id: link for link in links}.values())
    return [Credit(conversion, link, 1.0 / len(distinct)) for link in distinct]


def conversions_of_shop(
    session: Session, *, shop_id: int, since: object | None = None
) -> list[Conversion]:
    query = select(Conversion).where(Conversion.shop_id == shop_id)
    if since is not None:
        query = query.where(Conversion.paid_at >= since)
    return list(session.scalars(query.order_by(Conversion.paid_at)))


def conversions_touching(session: Session, *, link_ids: Sequence[int]) -> list[Conversion]:
    """Paid orders of buyers who touched any of these links (the candidates to credit)."""
    buyers = select(Touch.user_id).where(Touch.link_id.in_(link_ids), Touch.user_id.is_not(None))
    return list(
        session.scalars(
            select(Conversion)
            .where(or_(Conversion.buyer_id.in_(buyers)))
            .order_by(Conversion.paid_at)
        )
    )

"""The orders and lucky draws of a room, in order, for its replay (no buyer named)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from liveshop.core.clock import as_utc
from liveshop.orders.models import LuckyDraw, Order, OrderItem, OrderStatus, OrderTransition

ORDER_PAGE = 1_000  # paid orders read a page at a time, by their payment


@dataclass(frozen=True)
class OrderMoment:
    """The paid orders of one product within one second of the show (a flash sale's
    rush is thousands of orders in a few seconds: one mark each would bury the
    timeline, and the replay shows them as one burst anyway)."""

    at: datetime  # the first payment of the second
    product_id: int
    title: str
    orders: int
    quantity: int


@dataclass(frozen=True)
class DrawMoment:
    at: datetime
    draw_id: int
    title: str
    event: str  # "opened" | "drawn"
    winners_count: int


def room_order_moments(session: Session, *, room_id: int) -> list[OrderMoment]:
    """The room's paid orders (every one, whatever happened after: a later refund does
    not unmake the sale the show made), by when they were paid, one moment per product
    and second; read ``ORDER_PAGE`` payments at a time, so no order is left out. An
    order never paid sold nothing and is not on the timeline."""
    moments: dict[tuple[int, int], OrderMoment] = {}
    counted: set[tuple[int, int, int]] = set()  # (second, product, order): two SKUs, one order
    after = 0
    while True:
        payments = _payments_after(session, room_id=room_id, after=after)
        paid_at = {order_id: as_utc(at) for _, order_id, at in reversed(payments)}
        for order_id, product_id, title, quantity in _lines_of(session, paid_at):
            at = paid_at[order_id]
            key = (int(at.timestamp()), product_id)
            seen = moments.get(key) or OrderMoment(at, product_id, title, 0, 0)
            orders = seen.orders + ((*key, order_id) not in counted)
            counted.add((*key, order_id))
            moments[key] = OrderMoment(
                min(seen.at, at), product_id, title, orders, seen.quantity + quantity
            )
        if len(payments) < ORDER_PAGE:
            return sorted(moments.values(), key=lambda moment: (moment.at, moment.product_id))
        after = payments[-1][0]


def _payments_after(
    session: Session, *, room_id: int, after: int
) -> list[tuple[int, int, datetime]]:
    """(transition, order, when) of the room's orders' payments after transition ``after``."""
    rows = session.execute(
        select(OrderTransition.id, OrderTransition.order_id, OrderTransition.at)
        .join(Order, Order.id == OrderTransition.order_id)
        .where(
            Order.room_id == room_id,
            OrderTransition.to_status == OrderStatus.PAID.value,
            OrderTransition.id > after,
        )
        .order_by(OrderTransition.id)
        .limit(ORDER_PAGE)
    ).tuples()
    return list(rows)


def _lines_of(session: Session, paid_at: dict[int, datetime]) -> list[tuple[int, int, str, int]]:
    """(order, product, title, quantity) of each line of these orders."""
    if not paid_at:
        return []
    rows = session.execute(
        select(OrderItem.order_id, OrderItem.product_id, OrderItem.title, OrderItem.quantity)
        .where(OrderItem.order_id.in_(list(paid_at)))
        .order_by(OrderItem.order_id, OrderItem.id)
    ).tuples()
    return list(rows)


def room_draw_moments(session: Session, *, room_id: int) -> list[DrawMoment]:
    """Each lucky draw of the room: when it opened and, if drawn, when."""
    moments: list[DrawMoment] = []
    for draw in session.scalars(
        select(LuckyDraw).where(LuckyDraw.room_id == room_id).order_by(LuckyDraw.id)
    ):
        moments.append(
            DrawMoment(
                at=as_utc(draw.opens_at),
                draw_id=draw.id,
                title=draw.title,
                event="opened",
                winners_count=draw.winners_count,
            )
        )
        if draw.drawn_at is not None:
            moments.append(
                DrawMoment(
                    at=as_utc(draw.drawn_at),
                    draw_id=draw.id,
                    title=draw.title,
                    event="drawn",
                    winners_count=len(draw.winners or []),
                )
            )
    return sorted(moments, key=lambda moment: moment.at)

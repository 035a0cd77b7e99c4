"""The orders and lucky draws of a room, in order, for its replay (no buyer named)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from liveshop.core.clock import as_utc
from liveshop.orders.models import LuckyDraw, Order, OrderItem

MAX_ORDERS = 5_000  # a replay's timeline, not a sales report


@dataclass(frozen=True)
class OrderMoment:
    at: datetime
    order_id: int
    product_id: int
    title: str
    quantity: int


@dataclass(frozen=True)
class DrawMoment:
    at: datetime
    draw_id: int
    title: str
    event: str  # "opened" | "drawn"
    winners_count: int


def room_order_moments(session: Session, *, room_id: int) -> list[OrderMoment]:
    """Each line of each order placed in the room, by when the order was placed."""
    rows = session.execute(
        select(
            Order.created_at, Order.id, OrderItem.product_id, OrderItem.title, OrderItem.quantity
        )
        .join(OrderItem, OrderItem.order_id == Order.id)
        .where(Order.room_id == room_id)
        .order_by(Order.created_at, Order.id, OrderItem.id)
        .limit(MAX_ORDERS)
    ).tuples()
    return [
        OrderMoment(
            at=as_utc(at), order_id=order_id, product_id=product_id, title=title, quantity=qty
        )
        for at, order_id, product_id, title, qty in rows
    ]


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

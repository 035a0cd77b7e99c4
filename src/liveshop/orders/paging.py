"""Orders a page at a time, for the back-office consoles (issue 18): a shop's orders for its
merchant and a room's orders for its host, with the total the page's count shows, so a
console with hundreds of orders stays a page long."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel
from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from liveshop.accounts.dependencies import CurrentUser
from liveshop.accounts.models import User
from liveshop.catalog import service as catalog
from liveshop.core.dependencies import DbSession, RowId
from liveshop.core.errors import PermissionDenied
from liveshop.core.rooms import room_facts
from liveshop.orders import access
from liveshop.orders.models import Order, OrderStatus
from liveshop.orders.presentation import order_out
from liveshop.orders.schemas import OrderOut

router = APIRouter(prefix="/api", tags=["orders"])

PageNumber = Annotated[int, Query(ge=1, le=100_000, description="1 is the newest orders")]
PerPage = Annotated[int, Query(ge=1, le=100)]


class OrderPageOut(BaseModel):
    """One page of orders, newest first; ``total`` counts every order of the list, and
    ``counted``/``amount`` the ones not cancelled (what a room's sales figure sums)."""

    orders: list[OrderOut]
    total: int
    page: int
    pages: int
    per_page: int
    counted: int
    amount: int


def order_page(session: Session, query: Select[Order], *, page: int, per_page: int) -> OrderPageOut:
    """The ``page``-th ``per_page`` orders of ``query``, newest first, with its totals."""
    listed = query.subquery()
    total = session.scalar(select(func.count()).select_from(listed)) or 0
    live = select(func.count(), func.coalesce(func.sum(listed.c.total), 0)).where(
        listed.c.status != OrderStatus.CANCELLED
    )
    counted, amount = session.execute(live).one()
    orders = session.scalars(
        query.order_by(Order.id.desc()).offset((page - 1) * per_page).limit(per_page)
    ).all()
    return OrderPageOut(
        orders=[order_out(session, order) for order in orders],
        total=total,
        page=page,
        pages=max(1, -(-total // per_page)),
        per_page=per_page,
        counted=int(counted),
        amount=int(amount),
    )


def shop_orders_query(session: Session, *, merchant: User) -> Select[Order]:
    shop = catalog.shop_of(session, user=merchant)
    if shop is None:
        raise PermissionDenied("you have no shop", code="no_shop")
    return select(Order).where(Order.shop_id == shop.id)


def room_orders_query(session: Session, *, actor: User, room_id: int) -> Select[Order]:
    access.require_room_orders_reader(actor, room=room_facts(session, room_id))
    return select(Order).where(Order.room_id == room_id)


@router.get("/shop-orders")
def shop_orders(
    user: CurrentUser,
    session: DbSession,
    page: PageNumber = 1,
    per_page: PerPage = 20,
    status: OrderStatus | None = None,
) -> OrderPageOut:
    """The merchant's shop's orders (of one status if given: ``paid`` are to ship), a page
    at a time."""
    query = shop_orders_query(session, merchant=user)
    if status is not None:
        query = query.where(Order.status == status)
    return order_page(session, query, page=page, per_page=per_page)


@router.get("/rooms/{room_id}/order-pages")
def room_order_pages(
    room_id: RowId,
    user: CurrentUser,
    session: DbSession,
    page: PageNumber = 1,
    per_page: PerPage = 20,
) -> OrderPageOut:
    """The room's orders for its host, a page at a time."""
    query = room_orders_query(session, actor=user, room_id=room_id)
    return order_page(session, query, page=page, per_page=per_page)

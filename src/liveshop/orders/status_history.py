"""An order as its buyer reads it on the order detail page: the same figures as
``GET /api/orders/{id}`` and one dated history of what happened to it.

The history is read from what is already recorded: the order's state machine
writes every change to ``order_transitions``, and each after-sale request keeps
its own state and times; nothing here is stored twice.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from liveshop.accounts.models import User
from liveshop.orders import access
from liveshop.orders.models import AfterSale, AfterSaleStatus
from liveshop.orders.presentation import order_out
from liveshop.orders.schemas import OrderOut
from liveshop.orders.service import order_for


@dataclass(frozen=True)
class HistoryEntry:
    """One dated step: ``kind`` is ``order`` (``state`` an OrderStatus value) or
    ``after_sale`` (``state`` an AfterSaleStatus value, ``after_sale_id`` its request)."""

    at: datetime
    kind: str
    state: str
    note: str = ""
    after_sale_id: int | None = None


@dataclass(frozen=True)
class OrderDetail:
    order: OrderOut
    history: list[HistoryEntry]


def _after_sale_steps(request: AfterSale) -> list[HistoryEntry]:
    """Its opening, and where it stands now if it has moved on since."""
    opened = HistoryEntry(
        at=request.created_at,
        kind="after_sale",
        state=AfterSaleStatus.REQUESTED.value,
        note=request.reason,
        after_sale_id=request.id,
    )
    if request.status is AfterSaleStatus.REQUESTED:
        return [opened]
    now = HistoryEntry(
        at=request.updated_at,
        kind="after_sale",
        state=request.status.value,
        note=request.rejection_reason or request.resolution or "",
        after_sale_id=request.id,
    )
    return [opened, now]


def buyer_order_detail(session: Session, *, buyer: User, order_id: int) -> OrderDetail:
    """The buyer's own order with its history, oldest first. Anyone else is refused:
    those who may not see the order get 404, its shop or an admin 403 (this page is
    the buyer's)."""
    order = order_for(session, user=buyer, order_id=order_id)
    access.require_order_buyer(buyer, order=order, doing="reads the order detail page")
    shown = order_out(session, order)
    steps = [
        HistoryEntry(at=step.at, kind="order", state=step.to_status, note=step.note)
        for step in shown.transitions
    ]
    requests = session.scalars(
        select(AfterSale).where(AfterSale.order_id == order.id).order_by(AfterSale.id)
    ).all()
    for request in requests:
        steps.extend(_after_sale_steps(request))
    steps.sort(key=lambda step: step.at)  # stable: same-time steps keep their order
    return OrderDetail(order=shown, history=steps)

"""Orders, addresses and flash-sale purchases over HTTP."""

from __future__ import annotations

import asyncio
import secrets
from typing import Annotated

from fastapi import APIRouter, Header, Query, Response, status

from liveshop.accounts.dependencies import CurrentUser
from liveshop.accounts.models import User
from liveshop.core.db import unit_of_work
from liveshop.core.dependencies import DbSession, RowId, SettingsDep
from liveshop.core.settings import Settings
from liveshop.orders import addresses, after_sales, flash_purchase, room_buying, service
from liveshop.orders.schemas import (
    AddressIn,
    AddressOut,
    AfterSaleIn,
    AfterSaleOut,
    BuyNowIn,
    CancelIn,
    ComplaintRate,
    DecisionIn,
    DisputeResolutionIn,
    OrderIn,
    OrderOut,
    ReturnShippedIn,
    ShipIn,
)
from liveshop.promotions.dependencies import StockEngineDep
from liveshop.promotions.schemas import FlashSaleBuyIn
from liveshop.promotions.stock_engines import StockEngine

router = APIRouter(prefix="/api", tags=["orders"])

IdempotencyKey = Annotated[
    str,
    Header(
        alias="Idempotency-Key",
        min_length=8,
        max_length=100,
        description="a unique key per purchase; a retry with the same key returns the same order",
    ),
]


def _answer(response: Response, order: OrderOut, *, created: bool) -> OrderOut:
    """201 for a new order; 200 when an idempotent retry returns the first one."""
    if not created:
        response.status_code = status.HTTP_200_OK
    return order


@router.post("/orders", status_code=status.HTTP_201_CREATED)
def place_order(
    body: OrderIn,
    idempotency_key: IdempotencyKey,
    user: CurrentUser,
    session: DbSession,
    settings: SettingsDep,
    response: Response,
) -> OrderOut:
    order, created = service.place_order(
        session,
        buyer=user,
        body=body,
        idempotency_key=idempotency_key,
        payment_minutes=settings.order_payment_minutes,
    )
    return _answer(response, service.order_out(session, order), created=created)


@router.get("/orders")
def list_orders(
    user: CurrentUser,
    session: DbSession,
    scope: Annotated[str, Query(pattern="^(mine|shop|all)$")] = "mine",
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> list[OrderOut]:
    return service.list_orders(session, user=user, scope=scope, limit=limit)


@router.get("/orders/{order_id}")
def get_order(order_id: RowId, user: CurrentUser, session: DbSession) -> OrderOut:
    return service.order_out(session, service.order_for(session, user=user, order_id=order_id))


@router.post("/orders/{order_id}/cancel")
def cancel_order(
    order_id: RowId, body: CancelIn, user: CurrentUser, session: DbSession, engine: StockEngineDep
) -> OrderOut:
    order = service.cancel_order(
        session, actor=user, order_id=order_id, engine=engine, reason=body.reason
    )
    return service.order_out(session, order)


@router.post("/orders/{order_id}/ship")
def ship_order(order_id: RowId, body: ShipIn, user: CurrentUser, session: DbSession) -> OrderOut:
    order = service.ship_order(
        session, actor=user, order_id=order_id, tracking_number=body.tracking_number
    )
    return service.order_out(session, order)


@router.post("/orders/{order_id}/confirm-delivery")
def confirm_delivery(order_id: RowId, user: CurrentUser, session: DbSession) -> OrderOut:
    return service.order_out(
        session, service.confirm_delivery(session, actor=user, order_id=order_id)
    )


@router.post("/orders/{order_id}/complete")
def complete_order(order_id: RowId, user: CurrentUser, session: DbSession) -> OrderOut:
    return service.order_out(
        session, service.complete_order(session, actor=user, order_id=order_id)
    )


@router.post("/addresses", status_code=status.HTTP_201_CREATED)
def add_address(body: AddressIn, user: CurrentUser, session: DbSession) -> AddressOut:
    address = addresses.add_address(session, user=user, body=body)
    return AddressOut.model_validate(address, from_attributes=True)


@router.get("/addresses")
def list_addresses(user: CurrentUser, session: DbSession) -> list[AddressOut]:
    return [
        AddressOut.model_validate(address, from_attributes=True)
        for address in addresses.list_addresses(session, user=user)
    ]


@router.post("/flash-sales/{sale_id}/buy", status_code=status.HTTP_201_CREATED)
async def buy_flash_sale(
    sale_id: RowId,
    body: FlashSaleBuyIn,
    user: CurrentUser,
    settings: SettingsDep,
    engine: StockEngineDep,
    response: Response,
    idempotency_key: Annotated[
        str | None, Header(alias="Idempotency-Key", min_length=8, max_length=100)
    ] = None,
) -> OrderOut:
    """The crowd's route: the whole unit of work, to its commit, in one worker thread.

    A sync route would keep its transaction (on SQLite the write lock, on
    PostgreSQL the sale's row lock) until FastAPI had serialised the response
    in another pool thread; under a crowd every pool thread waited on that lock
    and the server stalled (measured: 0 units sold with 5,000 users at once).
    """
    out, created = await asyncio.to_thread(
        _buy_flash_sale, settings, user, sale_id, body.quantity, idempotency_key, engine
    )
    return _answer(response, out, created=created)


def _buy_flash_sale(
    settings: Settings,
    user: User,
    sale_id: int,
    quantity: int,
    key: str | None,
    engine: StockEngine,
) -> tuple[OrderOut, bool]:
    with unit_of_work(settings.resolved_database_url()) as session:
        order, created = flash_purchase.buy_flash_sale(
            session,
            buyer=user,
            sale_id=sale_id,
            quantity=quantity,
            attempt_key=key or secrets.token_hex(16),
            engine=engine,
            payment_minutes=settings.flash_sale_payment_minutes,
            may_be_retry=key is not None,
        )
        return service.order_out(session, order), created


@router.post("/orders/{order_id}/after-sales", status_code=status.HTTP_201_CREATED)
def request_after_sale(
    order_id: RowId, body: AfterSaleIn, user: CurrentUser, session: DbSession, settings: SettingsDep
) -> AfterSaleOut:
    after_sale = after_sales.request_after_sale(
        session,
        buyer=user,
        order_id=order_id,
        body=body,
        request_days=settings.after_sale_request_days,
        merchant_hours=settings.after_sale_merchant_hours,
    )
    return after_sales.after_sale_out(after_sale)


@router.get("/after-sales")
def list_after_sales(
    user: CurrentUser,
    session: DbSession,
    scope: Annotated[str, Query(pattern="^(mine|shop|disputes)$")] = "mine",
) -> list[AfterSaleOut]:
    return after_sales.list_after_sales(session, user=user, scope=scope)


@router.get("/after-sales/{after_sale_id}")
def get_after_sale(after_sale_id: RowId, user: CurrentUser, session: DbSession) -> AfterSaleOut:
    return after_sales.after_sale_out(
        after_sales.after_sale_for(session, user=user, after_sale_id=after_sale_id)
    )


@router.post("/after-sales/{after_sale_id}/decision")
def decide_after_sale(
    after_sale_id: RowId, body: DecisionIn, user: CurrentUser, session: DbSession
) -> AfterSaleOut:
    after_sale = after_sales.decide(
        session, actor=user, after_sale_id=after_sale_id, approve=body.approve, reason=body.reason
    )
    return after_sales.after_sale_out(after_sale)


@router.post("/after-sales/{after_sale_id}/return-shipment")
def ship_return(
    after_sale_id: RowId, body: ReturnShippedIn, user: CurrentUser, session: DbSession
) -> AfterSaleOut:
    after_sale = after_sales.ship_return(
        session, buyer=user, after_sale_id=after_sale_id, tracking_number=body.tracking_number
    )
    return after_sales.after_sale_out(after_sale)


@router.post("/after-sales/{after_sale_id}/return-received")
def confirm_return(after_sale_id: RowId, user: CurrentUser, session: DbSession) -> AfterSaleOut:
    return after_sales.after_sale_out(
        after_sales.confirm_return(session, actor=user, after_sale_id=after_sale_id)
    )


@router.post("/after-sales/{after_sale_id}/escalate")
def escalate_after_sale(
    after_sale_id: RowId, user: CurrentUser, session: DbSession
) -> AfterSaleOut:
    return after_sales.after_sale_out(
        after_sales.escalate(session, buyer=user, after_sale_id=after_sale_id)
    )


@router.post("/after-sales/{after_sale_id}/resolution")
def resolve_dispute(
    after_sale_id: RowId, body: DisputeResolutionIn, user: CurrentUser, session: DbSession
) -> AfterSaleOut:
    after_sale = after_sales.resolve_dispute(
        session, actor=user, after_sale_id=after_sale_id, refund=body.refund, reason=body.reason
    )
    return after_sales.after_sale_out(after_sale)


@router.get("/complaint-rates")
def complaint_rates(
    user: CurrentUser, session: DbSession, shop_id: Annotated[int | None, Query(ge=1)] = None
) -> list[ComplaintRate]:
    """Quality complaints per product over units sold (for moderation and shops)."""
    return after_sales.complaint_rates(session, shop_id=shop_id)


@router.post("/rooms/{room_id}/buy-now", status_code=status.HTTP_201_CREATED)
def buy_now(
    room_id: RowId,
    body: BuyNowIn,
    idempotency_key: IdempotencyKey,
    user: CurrentUser,
    session: DbSession,
    settings: SettingsDep,
    response: Response,
) -> OrderOut:
    """One click on the pinned card, without leaving the room."""
    order, created = room_buying.buy_now(
        session,
        buyer=user,
        room_id=room_id,
        body=body,
        idempotency_key=idempotency_key,
        payment_minutes=settings.order_payment_minutes,
    )
    return _answer(response, service.order_out(session, order), created=created)


@router.get("/rooms/{room_id}/orders")
def room_orders(
    room_id: RowId,
    user: CurrentUser,
    session: DbSession,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> list[OrderOut]:
    """Orders placed in the room, for its host."""
    return room_buying.room_orders(session, actor=user, room_id=room_id, limit=limit)

"""Orders, addresses and flash-sale purchases over HTTP."""

from __future__ import annotations

import secrets
from typing import Annotated

from fastapi import APIRouter, Header, Query, Response, status

from liveshop.accounts.dependencies import CurrentUser
from liveshop.core.dependencies import DbSession, SettingsDep
from liveshop.orders import flash_purchase, service
from liveshop.orders.schemas import (
    AddressIn,
    AddressOut,
    CancelIn,
    OrderIn,
    OrderOut,
    ShipIn,
)
from liveshop.promotions.dependencies import StockEngineDep
from liveshop.promotions.schemas import FlashSaleBuyIn

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
    if not created:
        response.status_code = status.HTTP_200_OK
    return service.order_out(session, order)


@router.get("/orders")
def list_orders(
    user: CurrentUser,
    session: DbSession,
    scope: Annotated[str, Query(pattern="^(mine|shop|all)$")] = "mine",
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> list[OrderOut]:
    return service.list_orders(session, user=user, scope=scope, limit=limit)


@router.get("/orders/{order_id}")
def get_order(order_id: int, user: CurrentUser, session: DbSession) -> OrderOut:
    return service.order_out(session, service.order_for(session, user=user, order_id=order_id))


@router.post("/orders/{order_id}/cancel")
def cancel_order(
    order_id: int, body: CancelIn, user: CurrentUser, session: DbSession, engine: StockEngineDep
) -> OrderOut:
    order = service.cancel_order(
        session, actor=user, order_id=order_id, engine=engine, reason=body.reason
    )
    return service.order_out(session, order)


@router.post("/orders/{order_id}/ship")
def ship_order(order_id: int, body: ShipIn, user: CurrentUser, session: DbSession) -> OrderOut:
    order = service.ship_order(
        session, actor=user, order_id=order_id, tracking_number=body.tracking_number
    )
    return service.order_out(session, order)


@router.post("/orders/{order_id}/confirm-delivery")
def confirm_delivery(order_id: int, user: CurrentUser, session: DbSession) -> OrderOut:
    return service.order_out(
        session, service.confirm_delivery(session, actor=user, order_id=order_id)
    )


@router.post("/orders/{order_id}/complete")
def complete_order(order_id: int, user: CurrentUser, session: DbSession) -> OrderOut:
    return service.order_out(
        session, service.complete_order(session, actor=user, order_id=order_id)
    )


@router.post("/addresses", status_code=status.HTTP_201_CREATED)
def add_address(body: AddressIn, user: CurrentUser, session: DbSession) -> AddressOut:
    address = service.add_address(session, user=user, body=body)
    return AddressOut.model_validate(address, from_attributes=True)


@router.get("/addresses")
def list_addresses(user: CurrentUser, session: DbSession) -> list[AddressOut]:
    return [
        AddressOut.model_validate(address, from_attributes=True)
        for address in service.list_addresses(session, user=user)
    ]


@router.post("/flash-sales/{sale_id}/buy", status_code=status.HTTP_201_CREATED)
def buy_flash_sale(
    sale_id: int,
    body: FlashSaleBuyIn,
    user: CurrentUser,
    session: DbSession,
    settings: SettingsDep,
    engine: StockEngineDep,
    response: Response,
    idempotency_key: Annotated[
        str | None, Header(alias="Idempotency-Key", min_length=8, max_length=100)
    ] = None,
) -> OrderOut:
    order, created = flash_purchase.buy_flash_sale(
        session,
        buyer=user,
        sale_id=sale_id,
        quantity=body.quantity,
        attempt_key=idempotency_key or secrets.token_hex(16),
        engine=engine,
        payment_minutes=settings.flash_sale_payment_minutes,
    )
    if not created:
        response.status_code = status.HTTP_200_OK
    return service.order_out(session, order)

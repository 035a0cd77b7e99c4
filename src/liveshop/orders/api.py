"""Orders, addresses and flash-sale purchases over HTTP."""

from __future__ import annotations

import asyncio
import secrets
from typing import Annotated

from fastapi import APIRouter, Header, Query, Request, Response, status
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import ValidationError

from liveshop.accounts.dependencies import CurrentUser, required_caller
from liveshop.accounts.models import User
from liveshop.core.db import unit_of_work
from liveshop.core.dependencies import MAX_ROW_ID, DbSession, RowId, SettingsDep, app_settings
from liveshop.core.errors import LiveShopError
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
from liveshop.promotions.dependencies import StockEngineDep, get_stock_engine
from liveshop.promotions.schemas import FlashSaleBuyIn
from liveshop.promotions.stock_engines import RedisStockEngine, StockEngine

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


# The crowd's route comes first in this router: routes are matched in order.
@router.post(
    "/flash-sales/{sale_id}/buy",
    status_code=status.HTTP_201_CREATED,
    response_model=OrderOut,
    responses={
        200: {"model": OrderOut, "description": "a retried attempt: its first order"},
        409: {"description": "sold out, not open, ended, or the attempt is in progress"},
        422: {"description": "a malformed body or Idempotency-Key"},
        429: {"description": "over the per-buyer limit"},
    },
    openapi_extra={
        # Read by the route itself (see below); documented here as FastAPI would.
        "requestBody": {
            "required": False,
            "content": {"application/json": {"schema": FlashSaleBuyIn.model_json_schema()}},
        },
        "parameters": [
            {
                "name": "Idempotency-Key",
                "in": "header",
                "required": False,
                "schema": {"type": "string", "minLength": 8, "maxLength": 100},
                "description": "a key per attempt; a retry with it returns the same order",
            }
        ],
        # Authenticated as CurrentUser is (bearer token, or the session cookie with CSRF).
        "security": [{"HTTPBearer": []}],
    },
)
async def buy_flash_sale(sale_id: RowId, request: Request) -> Response:
    """The crowd's route, kept lean (measured: FastAPI's dependencies, parameters and
    exception handling cost more than the sale's own work). It takes no FastAPI
    dependency: each sync one is a thread hop, and with dependency overrides set
    FastAPI rebuilds the dependency graph per request. It authenticates from the
    token cache in the event loop and validates its body and header itself.

    Redis engine: sold out, over the limit and retries are answered in the event
    loop; only a claimed unit's order is written in a worker thread. SQL engine:
    the whole unit of work, to its commit, in one worker thread (a sync route
    would keep its transaction, the SQLite write lock or the sale's row lock,
    until the response was serialised in another pool thread; under a crowd
    every pool thread waited on that lock: 0 units sold with 5,000 users).
    """
    quantity, idempotency_key = await _buy_input(request)
    settings = app_settings(request.app)
    try:
        user = await required_caller(request, settings)
        engine = _stock_engine(request, settings)
        if isinstance(engine, RedisStockEngine):
            out, created = await flash_purchase.buy_flash_sale_in_loop(
                database_url=settings.resolved_database_url(),
                buyer=user,
                sale_id=sale_id,
                quantity=quantity,
                attempt_key=idempotency_key or secrets.token_hex(16),
                engine=engine,
                payment_minutes=settings.flash_sale_payment_minutes,
                may_be_retry=idempotency_key is not None,
            )
        else:
            out, created = await asyncio.to_thread(
                _buy_flash_sale, settings, user, sale_id, quantity, idempotency_key, engine
            )
    except LiveShopError as error:
        # The app's LiveShopError answer, without the trip through exception handling.
        return JSONResponse(
            {"detail": error.message, "code": error.code}, status_code=error.status_code
        )
    return Response(
        out.model_dump_json().encode(),
        status_code=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
        media_type="application/json",
    )


async def _buy_input(request: Request) -> tuple[int, str | None]:
    """(quantity, Idempotency-Key or None), validated as FastAPI would (422 otherwise)."""
    raw = await request.body()
    try:
        body = FlashSaleBuyIn.model_validate_json(raw) if raw else FlashSaleBuyIn()
    except ValidationError as error:
        raise RequestValidationError(
            [{**detail, "loc": ("body", *detail["loc"])} for detail in error.errors()]
        ) from error
    key = request.headers.get("idempotency-key")
    if key is not None and not 8 <= len(key) <= 100:
        raise RequestValidationError(
            [
                {
                    "type": "string_length",
                    "loc": ("header", "Idempotency-Key"),
                    "msg": "an Idempotency-Key has 8 to 100 characters",
                }
            ]
        )
    return body.quantity, key


def _stock_engine(request: Request, settings: Settings) -> StockEngine:
    """What ``StockEngineDep`` would give (an override here takes no arguments)."""
    override = request.app.dependency_overrides.get(get_stock_engine)
    engine: StockEngine = override() if override is not None else get_stock_engine(settings)
    return engine


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
    user: CurrentUser,
    session: DbSession,
    shop_id: Annotated[int | None, Query(ge=1, le=MAX_ROW_ID)] = None,
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

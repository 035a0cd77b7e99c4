"""The cart over HTTP: GET /api/cart, add, change, remove, and checkout (one order per shop)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header, status
from pydantic import BaseModel, Field

from liveshop.accounts.dependencies import CurrentUser
from liveshop.core.dependencies import MAX_ROW_ID, DbSession, RowId, SettingsDep
from liveshop.orders import cart
from liveshop.orders.cart import CartOut
from liveshop.orders.schemas import MAX_QUANTITY, OrderOut

router = APIRouter(prefix="/api/cart", tags=["cart"])

CheckoutKey = Annotated[str, Header(alias="Idempotency-Key", min_length=8, max_length=100)]


class CartAddIn(BaseModel):
    sku_id: int = Field(ge=1, le=MAX_ROW_ID)
    quantity: int = Field(default=1, ge=1, le=MAX_QUANTITY)


class CartQuantityIn(BaseModel):
    quantity: int = Field(ge=1, le=MAX_QUANTITY)


class CheckoutIn(BaseModel):
    address_id: int | None = Field(default=None, ge=1, le=MAX_ROW_ID)


class CheckoutOut(BaseModel):
    orders: list[OrderOut]


@router.get("")
def read_cart(user: CurrentUser, session: DbSession) -> CartOut:
    return cart.cart_out(session, user=user)


@router.post("/items")
def add_to_cart(body: CartAddIn, user: CurrentUser, session: DbSession) -> CartOut:
    return cart.add_item(session, user=user, sku_id=body.sku_id, quantity=body.quantity)


@router.put("/items/{sku_id}")
def change_quantity(
    sku_id: RowId, body: CartQuantityIn, user: CurrentUser, session: DbSession
) -> CartOut:
    return cart.set_quantity(session, user=user, sku_id=sku_id, quantity=body.quantity)


@router.delete("/items/{sku_id}")
def remove_from_cart(sku_id: RowId, user: CurrentUser, session: DbSession) -> CartOut:
    return cart.remove_item(session, user=user, sku_id=sku_id)


@router.post("/checkout", status_code=status.HTTP_201_CREATED)
def checkout(
    body: CheckoutIn,
    idempotency_key: CheckoutKey,
    user: CurrentUser,
    session: DbSession,
    settings: SettingsDep,
) -> CheckoutOut:
    """The whole cart as one order per shop, in one transaction; retry with the same key."""
    orders = cart.checkout(
        session,
        user=user,
        idempotency_key=idempotency_key,
        address_id=body.address_id,
        payment_minutes=settings.order_payment_minutes,
    )
    return CheckoutOut(orders=orders)

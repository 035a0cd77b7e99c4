from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, status

from liveshop.accounts.dependencies import CurrentUser
from liveshop.catalog import service
from liveshop.catalog.schemas import ProductIn, ProductOut, ProductPatch, ShopOut, StaffIn
from liveshop.core.dependencies import DbSession, RowId
from liveshop.core.errors import NotFound

router = APIRouter(tags=["catalog"])


@router.post("/api/products", status_code=status.HTTP_201_CREATED)
def create_product(body: ProductIn, user: CurrentUser, session: DbSession) -> ProductOut:
    product = service.create_product(session, merchant=user, body=body)
    return service.product_out(session, product)


@router.patch("/api/products/{product_id}")
def update_product(
    product_id: RowId, body: ProductPatch, user: CurrentUser, session: DbSession
) -> ProductOut:
    product = service.update_product(session, merchant=user, product_id=product_id, patch=body)
    return service.product_out(session, product)


@router.get("/api/products/{product_id}")
def get_product(product_id: RowId, session: DbSession) -> ProductOut:
    return service.product_out(session, service.get_product(session, product_id=product_id))


@router.get("/api/shops/{shop_id}/products")
def list_shop_products(
    shop_id: RowId, session: DbSession, limit: Annotated[int, Query(ge=1, le=500)] = 100
) -> list[ProductOut]:
    return service.list_shop_products(session, shop_id=shop_id, limit=limit)


@router.post("/api/shops/{shop_id}/follow", status_code=status.HTTP_204_NO_CONTENT)
def follow_shop(shop_id: RowId, user: CurrentUser, session: DbSession) -> None:
    service.follow_shop(session, user=user, shop_id=shop_id)


@router.post("/api/shops/mine/staff", status_code=status.HTTP_204_NO_CONTENT)
def add_staff(body: StaffIn, user: CurrentUser, session: DbSession) -> None:
    """The shop owner lets another user (a host, say) act for the shop."""
    service.add_staff(session, owner=user, user_id=body.user_id)


@router.get("/api/shops/mine")
def my_shop(user: CurrentUser, session: DbSession) -> ShopOut:
    shop = service.shop_of(session, user=user)
    if shop is None:
        raise NotFound("you have no shop yet: create a product first", code="no_shop")
    return ShopOut(id=shop.id, owner_id=shop.owner_id, name=shop.name)

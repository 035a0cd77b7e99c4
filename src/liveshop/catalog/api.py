from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, status
from fastapi.responses import JSONResponse
from sqlalchemy.orm import Session

from liveshop.accounts.dependencies import CurrentUser, OptionalUser
from liveshop.catalog import listing, service, shops, staff
from liveshop.catalog.copy_review import CopyRejected
from liveshop.catalog.schemas import (
    ListingRejectIn,
    ProductIn,
    ProductOut,
    ProductPatch,
    ShopOut,
    StaffInvitationIn,
    StaffInvitationOut,
    StaffMemberOut,
)
from liveshop.core.dependencies import DbSession, RowId
from liveshop.core.errors import NotFound

router = APIRouter(tags=["catalog"])

COPY_BLOCKED: dict[int | str, dict[str, Any]] = {
    status.HTTP_422_UNPROCESSABLE_CONTENT: {
        "description": "the copy breaks the advertising law: ``findings`` (term, rule, "
        "suggestion) say what to rewrite"
    }
}


def _copy_blocked(session: Session, error: CopyRejected) -> JSONResponse:
    """The refusal with its findings, which the app's error handler would not carry;
    the request's writes are rolled back first, as a raised error would have them."""
    session.rollback()
    findings = [finding.as_json() for finding in error.findings]
    return JSONResponse(
        {"detail": error.message, "code": error.code, "findings": findings},
        status_code=error.status_code,
    )


@router.post(
    "/api/products",
    status_code=status.HTTP_201_CREATED,
    response_model=ProductOut,
    responses=COPY_BLOCKED,
)
def create_product(
    body: ProductIn, user: CurrentUser, session: DbSession
) -> ProductOut | JSONResponse:
    """Copy that needs a moderator is saved held (``listing_status``, ``listing_findings``)."""
    try:
        product = service.create_product(session, merchant=user, body=body)
    except CopyRejected as error:
        return _copy_blocked(session, error)
    return service.product_out(session, product)


@router.patch("/api/products/{product_id}", response_model=ProductOut, responses=COPY_BLOCKED)
def update_product(
    product_id: RowId, body: ProductPatch, user: CurrentUser, session: DbSession
) -> ProductOut | JSONResponse:
    """A changed title, description or brand is checked again (and may be held again)."""
    try:
        product = service.update_product(session, merchant=user, product_id=product_id, patch=body)
    except CopyRejected as error:
        return _copy_blocked(session, error)
    return service.product_out(session, product)


@router.get("/api/products/held")
def held_products(
    user: CurrentUser, session: DbSession, limit: Annotated[int, Query(ge=1, le=500)] = 100
) -> list[ProductOut]:
    """Moderators' queue of products whose copy waits for a decision."""
    return listing.held_products(session, reviewer=user, limit=limit)


@router.post("/api/products/{product_id}/approve")
def approve_product(product_id: RowId, user: CurrentUser, session: DbSession) -> ProductOut:
    product = listing.approve_listing(session, reviewer=user, product_id=product_id)
    return service.product_out(session, product)


@router.post("/api/products/{product_id}/reject")
def reject_product(
    product_id: RowId, body: ListingRejectIn, user: CurrentUser, session: DbSession
) -> ProductOut:
    product = listing.reject_listing(
        session, reviewer=user, product_id=product_id, reason=body.reason
    )
    return service.product_out(session, product)


@router.get("/api/products/{product_id}")
def get_product(product_id: RowId, user: OptionalUser, session: DbSession) -> ProductOut:
    """A held product is shown only to its shop and to moderators."""
    product = service.get_visible_product(session, user=user, product_id=product_id)
    return service.product_out(session, product)


@router.get("/api/shops/mine/products")
def my_shop_products(
    user: CurrentUser, session: DbSession, limit: Annotated[int, Query(ge=1, le=500)] = 100
) -> list[ProductOut]:
    """Every product of the caller's shop, held ones too, with their listing status."""
    shop = service.shop_of(session, user=user)
    if shop is None:
        raise NotFound("you have no shop yet: create a product first", code="no_shop")
    return service.list_shop_products(session, shop_id=shop.id, limit=limit)


@router.get("/api/shops/{shop_id}/products")
def list_shop_products(
    shop_id: RowId, session: DbSession, limit: Annotated[int, Query(ge=1, le=500)] = 100
) -> list[ProductOut]:
    """The shop's published products."""
    return service.list_shop_products(session, shop_id=shop_id, limit=limit, published_only=True)


@router.post("/api/shops/{shop_id}/follow", status_code=status.HTTP_204_NO_CONTENT)
def follow_shop(shop_id: RowId, user: CurrentUser, session: DbSession) -> None:
    service.follow_shop(session, user=user, shop_id=shop_id)


@router.post("/api/shops/mine/staff-invitations", status_code=status.HTTP_201_CREATED)
def invite_staff(
    body: StaffInvitationIn, user: CurrentUser, session: DbSession
) -> StaffInvitationOut:
    """The shop's owner asks a user (a host, say) to act for the shop; nothing changes
    until they accept. Owners of a shop and overseers cannot be invited."""
    invitation = staff.invite_staff(session, owner=user, user_id=body.user_id)
    return staff.invitation_out(session, invitation)


@router.get("/api/shops/mine/staff-invitations")
def shop_invitations(user: CurrentUser, session: DbSession) -> list[StaffInvitationOut]:
    """The owner's invitations, newest first, with their answers."""
    return staff.shop_invitations(session, owner=user)


@router.delete(
    "/api/shops/mine/staff-invitations/{invitation_id}", status_code=status.HTTP_204_NO_CONTENT
)
def revoke_invitation(invitation_id: RowId, user: CurrentUser, session: DbSession) -> None:
    """The owner withdraws an invitation not answered yet."""
    staff.revoke_invitation(session, owner=user, invitation_id=invitation_id)


@router.get("/api/shops/mine/staff")
def shop_staff(user: CurrentUser, session: DbSession) -> list[StaffMemberOut]:
    """Who acts for the owner's shop."""
    return staff.shop_staff(session, owner=user)


@router.delete("/api/shops/mine/staff/{user_id}", status_code=status.HTTP_204_NO_CONTENT)
def remove_staff(user_id: RowId, user: CurrentUser, session: DbSession) -> None:
    """The owner removes a staff member; a staff member removes themselves (leaves)."""
    staff.remove_staff(session, actor=user, user_id=user_id)


@router.get("/api/staff-invitations/mine")
def my_invitations(user: CurrentUser, session: DbSession) -> list[StaffInvitationOut]:
    """The invitations waiting for the caller's answer."""
    return staff.my_invitations(session, user=user)


@router.post("/api/staff-invitations/{invitation_id}/accept")
def accept_invitation(
    invitation_id: RowId, user: CurrentUser, session: DbSession
) -> StaffInvitationOut:
    """Act for the inviting shop from now on (refused to an owner of a shop, and to
    staff of another shop until they leave it)."""
    invitation = staff.accept_invitation(session, invitee=user, invitation_id=invitation_id)
    return staff.invitation_out(session, invitation)


@router.post("/api/staff-invitations/{invitation_id}/decline")
def decline_invitation(
    invitation_id: RowId, user: CurrentUser, session: DbSession
) -> StaffInvitationOut:
    invitation = staff.decline_invitation(session, invitee=user, invitation_id=invitation_id)
    return staff.invitation_out(session, invitation)


@router.get("/api/shops")
def find_shops(session: DbSession, q: Annotated[str, Query(max_length=80)] = "") -> list[ShopOut]:
    """Shops by name (up to 20), for pickers that choose a shop by its name."""
    return [
        ShopOut(id=shop.id, owner_id=shop.owner_id, name=shop.name)
        for shop in shops.shops_named(session, text=q.strip())
    ]


@router.get("/api/shops/mine")
def my_shop(user: CurrentUser, session: DbSession) -> ShopOut:
    shop = service.shop_of(session, user=user)
    if shop is None:
        raise NotFound("you have no shop yet: create a product first", code="no_shop")
    return ShopOut(id=shop.id, owner_id=shop.owner_id, name=shop.name)

"""Who may do what in the catalog: every access decision of shops, products and staff.

``can_*`` answers with a bool; ``require_*`` raises PermissionDenied (or NotFound,
where even the thing's existence is not the caller's business) and returns
nothing, or the object it checked. Orders and promotions build on these.

Regulators only read (and write their own notes and exports, elsewhere): they
place no orders, grab no coupons, enter no draws, follow no shops. Moderators
and risk analysts may shop like anyone, but the platform's staff (moderators,
regulators, risk analysts) never act for a shop; moderators decide held products
(and, in orders, disputes): that is their job.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from liveshop.accounts.models import Role, User
from liveshop.catalog.models import Product, Shop, ShopStaffInvitation
from liveshop.catalog.shops import owned_shop, shop_of, staffed_shop
from liveshop.core.errors import NotFound, PermissionDenied

MERCHANT_ROLES = (Role.MERCHANT, Role.ADMIN)
LISTING_REVIEWER_ROLES = (Role.MODERATOR, Role.ADMIN)
READ_ONLY_ROLES = frozenset({Role.REGULATOR})
# Who may act for a shop: hosts and merchants (and a buyer who helps out); never the
# platform's own staff, who judge shops.
STAFF_ROLES = frozenset({Role.HOST, Role.MERCHANT, Role.VIEWER})


def is_admin(actor: User) -> bool:
    return actor.role is Role.ADMIN


def can_shop(actor: User) -> bool:
    """Buy, enter draws, grab coupons, follow shops, keep an address book."""
    return actor.role not in READ_ONLY_ROLES


def require_shopper(actor: User) -> None:
    if not can_shop(actor):
        raise PermissionDenied(
            f"a {actor.role.value} only reads: no orders, coupons, draws or follows",
            code="wrong_role",
        )


def can_open_shop(actor: User) -> bool:
    return actor.role in MERCHANT_ROLES


def require_merchant(actor: User) -> None:
    if not can_open_shop(actor):
        raise PermissionDenied("only merchants manage products", code="wrong_role")


def can_manage_shop(session: Session, *, actor: User, shop_id: int) -> bool:
    """Admins, the shop's owner and its staff act for the shop."""
    if is_admin(actor):
        return True
    shop = shop_of(session, user=actor)
    return shop is not None and shop.id == shop_id


def require_shop_manager(session: Session, *, actor: User, shop_id: int) -> None:
    if not can_manage_shop(session, actor=actor, shop_id=shop_id):
        raise PermissionDenied("this belongs to another shop", code="not_your_shop")


def require_shop_owner(session: Session, *, actor: User) -> Shop:
    """The shop the actor owns (staff and everyone else are refused)."""
    shop = owned_shop(session, user=actor)
    if shop is None:
        raise PermissionDenied("only a shop's owner manages its staff", code="not_shop_owner")
    return shop


def require_staff_remover(session: Session, *, actor: User, user_id: int) -> Shop:
    """The shop ``user_id`` is removed from: the actor's own (an owner removes staff),
    or the one the actor staffs when they remove themselves (leaving)."""
    shop = owned_shop(session, user=actor)
    if shop is not None:
        return shop
    if actor.id != user_id:
        raise PermissionDenied("only a shop's owner manages its staff", code="not_shop_owner")
    staffed = staffed_shop(session, user=actor)
    if staffed is None:
        raise NotFound("you act for no shop", code="no_shop")
    return staffed


def can_join_shop_staff(user: User) -> bool:
    return user.role in STAFF_ROLES


def require_staff_candidate(user: User) -> None:
    if not can_join_shop_staff(user):
        raise PermissionDenied(f"a {user.role.value} cannot act for a shop", code="wrong_role")


def require_invitee(invitation: ShopStaffInvitation | None, *, actor: User) -> ShopStaffInvitation:
    """The invitation, if it is addressed to the actor; to anyone else it does not exist."""
    if invitation is None or invitation.user_id != actor.id:
        raise NotFound("no such invitation for you", code="invitation_not_found")
    return invitation


def can_review_listings(actor: User) -> bool:
    return actor.role in LISTING_REVIEWER_ROLES


def require_listing_reviewer(
    session: Session, *, actor: User, product: Product | None = None
) -> None:
    """Moderators and admins decide held products, never their own shop's."""
    if not can_review_listings(actor):
        raise PermissionDenied(
            "only moderators and admins review held products", code="not_moderator"
        )
    if product is not None:
        own_shop = shop_of(session, user=actor)
        if own_shop is not None and own_shop.id == product.shop_id:
            raise PermissionDenied("nobody reviews their own shop's product", code="own_product")


def can_see_held_product(session: Session, *, actor: User | None, product: Product) -> bool:
    """The shop's own people and listing reviewers see a product that is not published."""
    if actor is None:
        return False
    return can_review_listings(actor) or can_manage_shop(
        session, actor=actor, shop_id=product.shop_id
    )

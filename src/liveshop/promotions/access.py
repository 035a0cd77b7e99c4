"""Who may run a room's promotions, and whose goods a room may sell or give away.

``can_*`` answers with a bool; ``require_*`` raises PermissionDenied (or
InvalidInput for a prize that can never be given in this room).

The goods rule (flash sales, coupon drops, lucky-draw prizes): a shop's SKUs and
coupons are sold or given away in a room only by someone who acts for the shop
(its owner or accepted staff; admins for any shop), and only in a room they
host, or in a room whose shelf carries the product. The shelf alone is no
consent: the host fills it with any published product. So a host sells their
own shop's goods (or those of a shop they staff); a shop's merchant runs a
promotion in another host's room only for products that host shelved.

Rooms belong to ``live``, which promotions may not import: ``live`` answers
``core.rooms.room_facts``, and ``liveshop.wiring`` registers live's shelf
lookup (:func:`register_shelf_lookup`). Without it no shelf carries anything.
"""

from __future__ import annotations

from collections.abc import Callable, Collection

from sqlalchemy import select
from sqlalchemy.orm import Session

from liveshop.accounts.models import Role, User
from liveshop.catalog.access import can_manage_shop, is_admin
from liveshop.catalog.models import Product
from liveshop.core.errors import InvalidInput, PermissionDenied
from liveshop.core.rooms import RoomFacts
from liveshop.promotions.models import Coupon, CouponIssuer, FlashSale

# (session, room id) -> the ids of the products on the room's shelf.
ShelfLookup = Callable[[Session, int], Collection[int]]
_shelf_lookups: list[ShelfLookup] = []
ADMISSION_INSPECTOR_ROLES = frozenset({Role.ADMIN, Role.REGULATOR})


class NotYourGoods(PermissionDenied):
    code = "not_your_goods"


def register_shelf_lookup(lookup: ShelfLookup) -> None:
    _shelf_lookups[:] = [lookup]


def registered_shelf_lookup() -> ShelfLookup | None:
    return _shelf_lookups[0] if _shelf_lookups else None


def _shelved_products(session: Session, *, room_id: int) -> Collection[int]:
    return _shelf_lookups[0](session, room_id) if _shelf_lookups else ()


def can_manage_room_promotions(actor: User, *, room: RoomFacts) -> bool:
    """The room's own promotions (lucky draws): its host, or an admin."""
    return actor.id == room.host_id or is_admin(actor)


def require_room_promotions_manager(actor: User, *, room: RoomFacts) -> None:
    if not can_manage_room_promotions(actor, room=room):
        raise PermissionDenied("only the room's host runs lucky draws", code="not_room_host")


def can_offer_goods_in_room(
    session: Session,
    *,
    actor: User,
    room: RoomFacts,
    shop_id: int,
    product_id: int | None,
) -> bool:
    """The goods rule (see the module); ``product_id`` None: goods of the whole shop
    (a shop-wide coupon), which any of its shelved products admits."""
    if is_admin(actor):
        return True
    if not can_manage_shop(session, actor=actor, shop_id=shop_id):
        return False
    if actor.id == room.host_id:
        return True
    shelved = _shelved_products(session, room_id=room.id)
    if product_id is not None:
        return product_id in shelved
    return (
        session.scalar(
            select(Product.id)
            .where(Product.shop_id == shop_id, Product.id.in_(list(shelved)))
            .limit(1)
        )
        is not None
    )


def require_goods_offerer(
    session: Session,
    *,
    actor: User,
    room: RoomFacts,
    shop_id: int,
    product_id: int | None,
) -> None:
    if not can_offer_goods_in_room(
        session, actor=actor, room=room, shop_id=shop_id, product_id=product_id
    ):
        raise NotYourGoods(
            "a room sells or gives away the goods of its host's own shop, or of a shop "
            "whose merchant runs the promotion on a room that shelves the product"
        )


def require_platform_coupon_issuer(actor: User) -> None:
    """Platform coupons are the platform's money."""
    if not is_admin(actor):
        raise PermissionDenied("only admins issue or give platform coupons", code="wrong_role")


def require_prize_coupon(session: Session, *, actor: User, room: RoomFacts, coupon: Coupon) -> None:
    """A coupon a lucky draw in ``room`` may give: not another room's drop; a platform
    coupon by an admin; a shop's coupon under the goods rule."""
    if coupon.room_id is not None and coupon.room_id != room.id:
        raise InvalidInput("that coupon is another room's drop", code="coupon_of_another_room")
    if coupon.issuer is CouponIssuer.PLATFORM or coupon.shop_id is None:
        require_platform_coupon_issuer(actor)
        return
    require_goods_offerer(
        session, actor=actor, room=room, shop_id=coupon.shop_id, product_id=coupon.product_id
    )


def can_manage_flash_sale(
    session: Session, *, actor: User, sale: FlashSale, room: RoomFacts
) -> bool:
    """The sale's room host, the selling shop, admins."""
    return actor.id == room.host_id or can_manage_shop(session, actor=actor, shop_id=sale.shop_id)


def can_see_admitted_buyers(
    session: Session, *, actor: User | None, sale: FlashSale, room: RoomFacts
) -> bool:
    """Who got units, by user and order: the sale's own people and regulators.
    Everyone else sees the log with masked names."""
    if actor is None:
        return False
    return actor.role in ADMISSION_INSPECTOR_ROLES or can_manage_flash_sale(
        session, actor=actor, sale=sale, room=room
    )

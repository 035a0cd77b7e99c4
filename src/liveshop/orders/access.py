"""Who may do what with orders, after-sales and a room's orders: every access decision
of the orders domain (lucky draws are the room's promotions: promotions.access).

``can_*`` answers with a bool; ``require_*`` raises PermissionDenied, or NotFound
where the order is none of the caller's business (it does not exist for them).

Readers of an order: its buyer, the shop (owner, staff), admins and regulators.
Writers: the buyer (cancel unpaid, confirm delivery, complete, claim a prize,
ask for and follow up after-sales), the shop (cancel unpaid, ship, answer
after-sales), moderators and admins (decide disputes). Regulators only read.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from liveshop.accounts.models import Role, User
from liveshop.catalog.access import can_manage_shop, is_admin
from liveshop.core.errors import InvalidInput, NotFound, PermissionDenied
from liveshop.core.rooms import RoomFacts
from liveshop.orders.models import AfterSale, Order, OrderOrigin

ALL_ORDERS_READER_ROLES = frozenset({Role.ADMIN, Role.REGULATOR})
AFTER_SALE_READER_ROLES = frozenset({Role.ADMIN, Role.MODERATOR, Role.REGULATOR})
DISPUTE_RESOLVER_ROLES = frozenset({Role.ADMIN, Role.MODERATOR})


def can_read_order(session: Session, *, actor: User, order: Order) -> bool:
    if actor.id == order.buyer_id or actor.role in ALL_ORDERS_READER_ROLES:
        return True
    return can_manage_shop(session, actor=actor, shop_id=order.shop_id)


def require_order_reader(session: Session, *, actor: User, order: Order) -> None:
    if not can_read_order(session, actor=actor, order=order):
        raise NotFound(f"order {order.id} not found", code="order_not_found")


def can_read_all_orders(actor: User) -> bool:
    return actor.role in ALL_ORDERS_READER_ROLES


def require_all_orders_reader(actor: User) -> None:
    if not can_read_all_orders(actor):
        raise PermissionDenied("only admins and regulators see all orders", code="wrong_role")


def can_cancel_order(session: Session, *, actor: User, order: Order) -> bool:
    """The buyer or the shop (admins act for any shop)."""
    return actor.id == order.buyer_id or can_manage_shop(
        session, actor=actor, shop_id=order.shop_id
    )


def require_order_canceller(session: Session, *, actor: User, order: Order) -> None:
    if not can_cancel_order(session, actor=actor, order=order):
        raise PermissionDenied("only the buyer or the shop cancels an order", code="not_your_order")


def require_order_handler(session: Session, *, actor: User, order: Order) -> None:
    """The shop ships (admins act for any shop)."""
    if not can_manage_shop(session, actor=actor, shop_id=order.shop_id):
        raise PermissionDenied("only the shop handles this order", code="not_your_shop")


def can_act_as_buyer(actor: User, *, order: Order) -> bool:
    """Confirming delivery and completing: the buyer, or an admin for them."""
    return actor.id == order.buyer_id or is_admin(actor)


def require_buyer_or_admin(actor: User, *, order: Order, doing: str) -> None:
    if not can_act_as_buyer(actor, order=order):
        raise PermissionDenied(f"only the buyer {doing}", code="not_buyer")


def require_order_buyer(actor: User, *, order: Order, doing: str) -> None:
    """Only the buyer themselves (asking for money back, claiming a prize)."""
    if actor.id != order.buyer_id:
        raise PermissionDenied(f"only the buyer {doing}", code="not_buyer")


def require_prize_claimant(actor: User, *, order: Order) -> None:
    """The winner, for the order the lucky draw made (its origin, whatever its key)."""
    require_order_buyer(actor, order=order, doing="claims a prize")
    if order.origin is not OrderOrigin.LUCKY_DRAW:
        raise InvalidInput(
            f"order {order.id} is not a lucky-draw prize: pay for it instead", code="not_a_prize"
        )


def can_read_room_orders(actor: User, *, room: RoomFacts) -> bool:
    return actor.id == room.host_id or actor.role in ALL_ORDERS_READER_ROLES


def require_room_orders_reader(actor: User, *, room: RoomFacts) -> None:
    if not can_read_room_orders(actor, room=room):
        raise PermissionDenied("only the room's host sees its orders", code="not_room_host")


def can_read_after_sale(session: Session, *, actor: User, after_sale: AfterSale) -> bool:
    if actor.id == after_sale.buyer_id or actor.role in AFTER_SALE_READER_ROLES:
        return True
    return can_manage_shop(session, actor=actor, shop_id=after_sale.shop_id)


def require_after_sale_reader(session: Session, *, actor: User, after_sale: AfterSale) -> None:
    if not can_read_after_sale(session, actor=actor, after_sale=after_sale):
        raise NotFound(f"after-sale {after_sale.id} not found", code="after_sale_not_found")


def require_after_sale_buyer(actor: User, *, after_sale: AfterSale, doing: str) -> None:
    if actor.id != after_sale.buyer_id:
        raise PermissionDenied(f"only the buyer {doing}", code="not_buyer")


def require_after_sale_handler(session: Session, *, actor: User, after_sale: AfterSale) -> None:
    """The shop answers a request and confirms returns (admins act for any shop)."""
    if not can_manage_shop(session, actor=actor, shop_id=after_sale.shop_id):
        raise PermissionDenied("only the shop answers this request", code="not_your_shop")


def can_resolve_disputes(actor: User) -> bool:
    return actor.role in DISPUTE_RESOLVER_ROLES


def require_dispute_resolver(actor: User) -> None:
    if not can_resolve_disputes(actor):
        raise PermissionDenied("disputes are for moderators and admins", code="wrong_role")

"""Who may read which figures: every access decision of the analytics domain.

``can_*`` and ``reads_*`` answer with a bool; ``require_*`` raises PermissionDenied
(NotFound for a room that does not exist) and returns what it checked.

- Analytics are for hosts, merchants and admins; nobody else reads any figure.
- An admin reads every event; a merchant (owner or staff of a shop) the events of
  the shop's products; a host the events of the rooms they host (``analytics.api``
  builds each scope).
- A room's report is read by its host, an admin, or a merchant with a product on
  the room's shelf, who sees the lines of their own shop's products only.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from liveshop.accounts.models import Role, User
from liveshop.catalog import service as catalog
from liveshop.core.errors import PermissionDenied
from liveshop.live import service as live
from liveshop.live.models import Room
from liveshop.live.room_pages import RoomSelection
from liveshop.live.shelf import shelf

ANALYST_ROLES = frozenset({Role.HOST, Role.MERCHANT, Role.ADMIN})
MAX_SHOP_PRODUCTS = 100_000


def can_read_analytics(user: User) -> bool:
    return user.role in ANALYST_ROLES


def require_analyst(user: User) -> None:
    if not can_read_analytics(user):
        raise PermissionDenied("analytics are for hosts, merchants and admins", code="wrong_role")


def reads_every_event(user: User) -> bool:
    return user.role is Role.ADMIN


def reads_a_shops_events(user: User) -> bool:
    return user.role is Role.MERCHANT


def report_rooms(session: Session, user: User) -> RoomSelection:
    """The rooms whose reports the caller reads (``require_room_report_reader``'s rule as
    a selection): an admin's every room, a host's own, a merchant's rooms with one of the
    shop's products on the shelf."""
    require_analyst(user)
    if reads_every_event(user):
        return RoomSelection()
    if reads_a_shops_events(user):
        shop = catalog.shop_of(session, user=user)
        return RoomSelection(shelving=shop_product_ids(session, shop.id) if shop else ())
    return RoomSelection(host_id=user.id)


def shop_product_ids(session: Session, shop_id: int) -> tuple[int, ...]:
    return tuple(
        product.id
        for product in catalog.list_shop_products(session, shop_id=shop_id, limit=MAX_SHOP_PRODUCTS)
    )


def require_room_report_reader(
    session: Session, *, user: User, room_id: int
) -> tuple[Room, set[int] | None]:
    """The room if ``user`` may read its figures (404 no room, 403 not theirs), with the
    product ids they may see lines of (None: every product)."""
    require_analyst(user)
    room = live.get_room(session, room_id=room_id)
    if reads_every_event(user) or room.host_id == user.id:
        return room, None
    shop = catalog.shop_of(session, user=user) if reads_a_shops_events(user) else None
    if shop is None or not any(p.shop_id == shop.id for p in shelf(session, room_id=room_id)):
        raise PermissionDenied(
            "only the room's host, its merchants and admins see its report",
            code="not_room_analyst",
        )
    return room, set(shop_product_ids(session, shop.id))

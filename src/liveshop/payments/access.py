"""Who may do what with money: every access decision of the payments domain that is
not a payment's own (paying, top-ups and challenges are ``charges``').

``can_*`` answers with a bool; ``require_*`` raises PermissionDenied, or NotFound
where the thing is none of the caller's business (it does not exist for them).

- Money moves between those who may write: paying in one click, sending gifts,
  dropping and grabbing red packets. A regulator only reads and moves none of it.
- A red packet is dropped by the room's host, or by a merchant whose products are
  on the room's shelf.
- A saved card is its owner's alone.
- Earnings are for hosts, merchants and admins; the payouts of every shop and host
  for admins.
"""

from __future__ import annotations

from collections.abc import Collection

from liveshop.accounts.models import Role, User
from liveshop.core.errors import NotFound, PermissionDenied
from liveshop.governance.access import is_admin, is_read_only
from liveshop.payments.models import PaymentMethod

EARNING_ROLES = frozenset({Role.HOST, Role.MERCHANT, Role.ADMIN})


def can_move_money(user: User) -> bool:
    return not is_read_only(user)


def require_money_mover(user: User) -> None:
    if not can_move_money(user):
        raise PermissionDenied(
            f"a {user.role.value} only reads: it moves no money", code="wrong_role"
        )


def can_drop_red_packet(
    user: User, *, host_id: int, own_shop_id: int | None, shelf_shop_ids: Collection[int]
) -> bool:
    """The room's host, or a merchant whose shop (``own_shop_id``, the one they own or
    staff) has a product on the room's shelf (``shelf_shop_ids``)."""
    if user.id == host_id:
        return True
    return user.role is Role.MERCHANT and own_shop_id is not None and own_shop_id in shelf_shop_ids


def require_red_packet_dropper(
    user: User, *, host_id: int, own_shop_id: int | None, shelf_shop_ids: Collection[int]
) -> None:
    if not can_drop_red_packet(
        user, host_id=host_id, own_shop_id=own_shop_id, shelf_shop_ids=shelf_shop_ids
    ):
        raise PermissionDenied(
            "only the room's host or a merchant on its shelf drops red packets",
            code="not_your_room",
        )


def require_card_owner(
    user: User, method: PaymentMethod | None, *, method_id: int
) -> PaymentMethod:
    """The user's own active card; anyone else's does not exist for them."""
    if method is None or method.user_id != user.id or method.removed_at is not None:
        raise NotFound(f"payment method {method_id} not found", code="payment_method_not_found")
    return method


def can_see_earnings(user: User) -> bool:
    return user.role in EARNING_ROLES


def require_earner(user: User) -> None:
    if not can_see_earnings(user):
        raise PermissionDenied("earnings are for hosts and merchants", code="wrong_role")


def require_payouts_reader(user: User) -> None:
    """The payouts of every shop and host: admins."""
    if not is_admin(user):
        raise PermissionDenied("the payouts report is for admins", code="admin_only")

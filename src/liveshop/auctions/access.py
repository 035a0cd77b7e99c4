"""Who may do what to an auction.

- create: the goods rule of promotions (the room's host acting for their shop,
  or the shop's merchant on a room that shelves the product; admins);
- start: the room's host, the selling shop's people, admins;
- bid: a shopper (not a read-only role) who is none of the auction's people
  (no shill bids) and has a card on file in the payments vault (both read in one
  statement: a bid is the crowd's request);
- read: everyone; a bidder's id, the winner's order only to the auction's people
  and to the bidder or buyer themself.
"""

from __future__ import annotations

from sqlalchemy import bindparam, exists, select
from sqlalchemy.orm import Session

from liveshop.accounts.models import Role, User
from liveshop.catalog.access import can_manage_shop, is_admin, require_shopper
from liveshop.catalog.shops import acting_shop_id
from liveshop.core.errors import Conflict, PermissionDenied
from liveshop.payments.models import PaymentMethod
from liveshop.promotions.access import require_goods_offerer

__all__ = [
    "can_run_auction",
    "can_see_bidders",
    "require_auction_runner",
    "require_bidder",
    "require_goods_offerer",
]


# A bidder's standing, built once (a bid is the crowd's request): the shop they act for,
# and whether they have a card on file.
BIDDER_STANDING = select(
    acting_shop_id(bindparam("user_id")),
    exists().where(
        PaymentMethod.user_id == bindparam("user_id"), PaymentMethod.removed_at.is_(None)
    ),
)


class CardRequired(Conflict):
    status_code = 402
    code = "card_required"


def can_run_auction(session: Session, *, actor: User, shop_id: int, host_id: int) -> bool:
    return actor.id == host_id or can_manage_shop(session, actor=actor, shop_id=shop_id)


def require_auction_runner(session: Session, *, actor: User, shop_id: int, host_id: int) -> None:
    if not can_run_auction(session, actor=actor, shop_id=shop_id, host_id=host_id):
        raise PermissionDenied(
            "only the room's host or the selling shop runs this auction", code="not_auction_runner"
        )


def can_see_bidders(session: Session, *, actor: User | None, shop_id: int, host_id: int) -> bool:
    if actor is None:
        return False
    if actor.role is Role.REGULATOR or is_admin(actor):
        return True
    return can_run_auction(session, actor=actor, shop_id=shop_id, host_id=host_id)


def require_bidder(session: Session, *, actor: User, shop_id: int, host_id: int) -> None:
    """``can_run_auction`` refuses (no shill bids), then a card on file is required: the
    shop the bidder acts for and their card are read in one statement."""
    require_shopper(actor)
    if actor.id == host_id or is_admin(actor):
        raise_own_auction()
    acting, has_card = session.execute(BIDDER_STANDING, {"user_id": actor.id}).one()
    if acting == shop_id:
        raise_own_auction()
    if not has_card:
        raise CardRequired("add a card before bidding: the winner pays at once")


def raise_own_auction() -> None:
    raise PermissionDenied("the auction's own host and shop may not bid on it", code="own_auction")

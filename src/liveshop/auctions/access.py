"""Who may do what to an auction.

- create: the goods rule of promotions (the room's host acting for their shop,
  or the shop's merchant on a room that shelves the product; admins);
- start: the room's host, the selling shop's people, admins;
- bid: a shopper (not a read-only role) who is none of the auction's people
  (no shill bids) and has a card on file in the payments vault (both read in one
  statement: a bid is the crowd's request; on the Redis engine, at the bidder's first
  bid on the auction only: ``Admissions``);
- read: everyone; a bidder's id, the winner's order only to the auction's people
  and to the bidder or buyer themself.
"""

from __future__ import annotations

import threading
from collections import OrderedDict

from sqlalchemy import bindparam, exists, select
from sqlalchemy.orm import Session

from liveshop.accounts.models import Role, User
from liveshop.auctions.database_keys import database_key
from liveshop.catalog.access import can_manage_shop, is_admin, require_shopper
from liveshop.catalog.shops import acting_shop_id
from liveshop.core.errors import Conflict, PermissionDenied
from liveshop.payments.models import PaymentMethod
from liveshop.promotions.access import require_goods_offerer

__all__ = [
    "Admissions",
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


ADMISSIONS_KEPT = 100_000  # (auction, bidder) pairs remembered per bid engine


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
    _require_not_running_it(actor, host_id=host_id)
    _require_standing(session, actor=actor, shop_id=shop_id)


def _require_not_running_it(actor: User, *, host_id: int) -> None:
    require_shopper(actor)
    if actor.id == host_id or is_admin(actor):
        raise_own_auction()


def _require_standing(session: Session, *, actor: User, shop_id: int) -> None:
    acting, has_card = session.execute(BIDDER_STANDING, {"user_id": actor.id}).one()
    if acting == shop_id:
        raise_own_auction()
    if not has_card:
        raise CardRequired("add a card before bidding: the winner pays at once")


class Admissions:
    """Bidders ``require_bidder`` admitted to an auction, remembered for the auction's
    life, so that only a bidder's first bid on it reads their standing (at most ``size``
    pairs; the least recently bidding go first). What a later bid would read again can
    change only in ways that already leave earlier bids standing: a card removed, or a
    post on the selling shop's staff taken, after a bid does not withdraw it either. A
    refusal is never remembered (a card added now counts at the next bid), and the
    checks on the bidder's role and on the auction's host and admins, from memory, run
    on every bid. Thread-safe: bids are answered in worker threads (and, once known,
    in the event loop)."""

    def __init__(self, size: int = ADMISSIONS_KEPT) -> None:
        self.size = size
        self._admitted: OrderedDict[tuple[str, int, int], None] = OrderedDict()
        self._lock = threading.Lock()

    def admitted(self, database: str, *, actor: User, auction_id: int, host_id: int) -> bool:
        """From memory alone: the checks on the role, the host and admins (refusing as
        ``require_bidder`` does), then whether the bidder was admitted to the auction
        (``database``: ``database_keys``)."""
        _require_not_running_it(actor, host_id=host_id)
        key = (database, auction_id, actor.id)
        with self._lock:
            if key in self._admitted:
                self._admitted.move_to_end(key)
                return True
        return False

    def require_bidder(
        self, session: Session, *, actor: User, auction_id: int, shop_id: int, host_id: int
    ) -> None:
        database = database_key(session)
        if self.admitted(database, actor=actor, auction_id=auction_id, host_id=host_id):
            return
        _require_standing(session, actor=actor, shop_id=shop_id)
        key = (database, auction_id, actor.id)
        with self._lock:
            self._admitted[key] = None
            while len(self._admitted) > self.size:
                self._admitted.popitem(last=False)


def raise_own_auction() -> None:
    raise PermissionDenied("the auction's own host and shop may not bid on it", code="own_auction")

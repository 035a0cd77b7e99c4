"""Auctions' objects for the route-access walk (tests/access/routes.py): host A's
auction of shop A's SKU in room A, as a draft (to start) or running (to bid on,
with every stranger holding a card so that only the rules decide)."""

from __future__ import annotations

from typing import Any

from liveshop.accounts.models import User
from liveshop.auctions import service
from liveshop.auctions.schemas import AuctionIn
from tests.access.rules import Subject
from tests.access.world import ROOM_HOST, SELLER, Made, World
from tests.conftest import Account


def _auction(world: World, *, running: bool) -> int:
    body = AuctionIn(room_id=world.room, sku_id=world.sku, starting_price=1_000)
    with world.session() as session:
        host = session.get_one(User, world.host.id)
        auction = service.create_auction(session, actor=host, body=body)
        if running:
            service.start_auction(session, actor=host, auction_id=auction.id)
        auction_id = auction.id
    if running:
        for account in world.strangers.values():
            world.fresh_card(account)
    return auction_id


def _parties(world: World) -> dict[str, Account]:
    return {ROOM_HOST: world.host, SELLER: world.seller}


DRAFT_AUCTION = Subject(
    "auction (draft)",
    lambda world: Made(ids={"auction_id": _auction(world, running=False)}, parties=_parties(world)),
)
RUNNING_AUCTION = Subject(
    "auction (running)",
    lambda world: Made(ids={"auction_id": _auction(world, running=True)}, parties=_parties(world)),
)


def auction_body(made: Made, caller: Account | None, world: World) -> dict[str, Any]:
    """Shop A's SKU in the caller's own room (host B: another shop's goods)."""
    room_id = world.own_room(caller) or made.ids["room_id"]
    return {"room_id": room_id, "sku_id": made.ids["sku_id"], "starting_price": 1_000}

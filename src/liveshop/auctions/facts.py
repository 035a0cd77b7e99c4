"""What a bid needs to know of an auction, in two parts.

``AuctionFacts``: what the auction is, fixed when it is created (its room and that
room's host, its shop, its starting price, reserve and increment bands). Nothing
changes them afterwards, so the Redis bid engine keeps them in memory
(``FactsCache``) and a bid there costs SQL only its authorisation.

``Standing``: where the auction stands right after a bid (price, masked leader, bid
count, deadline), as the engine that decided the bid knows it; a bid's reply is
built from the two, without reading the bid log.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime
from typing import NamedTuple

from sqlalchemy.orm import Session

from liveshop.accounts.models import User
from liveshop.auctions.database_keys import database_key
from liveshop.auctions.models import Auction, AuctionBid
from liveshop.auctions.service import get_auction
from liveshop.core.rooms import room_facts
from liveshop.privacy.masking import mask_username

FACTS_KEPT = 4_096  # auctions remembered per process; the least recently bid on go first


@dataclass(frozen=True)
class AuctionFacts:
    id: int
    room_id: int
    host_id: int
    shop_id: int
    starting_price: int
    reserve_price: int | None
    increments: tuple[tuple[int, int], ...]

    @classmethod
    def of(cls, auction: Auction, *, host_id: int) -> AuctionFacts:
        return cls(
            id=auction.id,
            room_id=auction.room_id,
            host_id=host_id,
            shop_id=auction.shop_id,
            starting_price=auction.starting_price,
            reserve_price=auction.reserve_price,
            increments=tuple((int(start), int(step)) for start, step in auction.increments),
        )


@dataclass(frozen=True)
class Standing:
    """The auction right after a bid: ``status`` is the auction's (``running`` while
    it takes bids), ``leader`` the leader's masked name."""

    facts: AuctionFacts
    status: str
    current_price: int | None
    leader_id: int | None
    leader: str | None
    bid_count: int
    ends_at: datetime | None


@dataclass(frozen=True)
class DecidedBid:
    """A bid as the Redis engine answered it: what its reply shows. A plain value, not
    an ``AuctionBid`` (an ORM instance, whose instrumentation was 5 % of a Redis bid's
    profiled CPU, built only to be read back); the persister writes the row."""

    seq: int
    bidder_id: int
    max_amount: int
    price_after: int
    leading: bool
    created_at: datetime


class PlacedBid(NamedTuple):
    """A decided bid: where the auction stands after it, the bid (the SQL engine's row,
    or the Redis engine's answer), and whether it is the answer to a retry (the same
    bidder and Idempotency-Key)."""

    standing: Standing
    bid: AuctionBid | DecidedBid
    replayed: bool


def read_facts(session: Session, *, auction_id: int) -> AuctionFacts:
    """The auction's facts from SQL (NotFound for an unknown auction)."""
    auction = get_auction(session, auction_id=auction_id)
    return AuctionFacts.of(auction, host_id=room_facts(session, auction.room_id).host_id)


def standing_of_row(
    session: Session, facts: AuctionFacts, auction: Auction, bidder: User
) -> Standing:
    """The standing as ``auction``'s row holds it (``bidder``: the one who just bid)."""
    leader = None
    if auction.leader_id is not None:
        name = (
            bidder.public_name
            if auction.leader_id == bidder.id
            else session.get_one(User, auction.leader_id).public_name
        )
        leader = mask_username(name)
    return Standing(
        facts=facts,
        status=str(auction.status),
        current_price=auction.current_price,
        leader_id=auction.leader_id,
        leader=leader,
        bid_count=auction.bid_count,
        ends_at=auction.ends_at,
    )


class FactsCache:
    """Facts by (database, auction id), at most ``size`` auctions. Thread-safe: bids are
    answered in worker threads (and, once known, in the event loop)."""

    def __init__(self, size: int = FACTS_KEPT) -> None:
        self.size = size
        self._facts: OrderedDict[tuple[str, int], AuctionFacts] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, session: Session, *, auction_id: int) -> AuctionFacts:
        facts = self.known(database_key(session), auction_id=auction_id)
        return facts if facts is not None else self.refresh(session, auction_id=auction_id)

    def known(self, database: str, *, auction_id: int) -> AuctionFacts | None:
        """The facts kept for the auction (``database``: ``database_keys``), or None;
        reads nothing."""
        key = (database, auction_id)
        with self._lock:
            facts = self._facts.get(key)
            if facts is not None:
                self._facts.move_to_end(key)
            return facts

    def refresh(self, session: Session, *, auction_id: int) -> AuctionFacts:
        """Read the facts again and keep them."""
        facts = read_facts(session, auction_id=auction_id)
        with self._lock:
            self._facts[database_key(session), auction_id] = facts
            while len(self._facts) > self.size:
                self._facts.popitem(last=False)
        return facts

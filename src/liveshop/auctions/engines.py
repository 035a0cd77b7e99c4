"""Where bids are decided: the SQL database (default) or Redis, picked in settings the
way the flash sale's stock engine is (``LIVESHOP_REDIS_URL`` set: Redis).

Both give the same guarantees and the same outcome for the same bids: one order of
bids per auction (``seq`` 1, 2, ...), each counted once per (bidder, Idempotency-Key),
decided by the proxy rule (``proxy.py``), the deadline extended by a late bid. The SQL
database stays the record: on SQL a bid is written in its own transaction; on Redis
(``redis_bids.py``) a Lua script decides it and appends it to a stream, and the
persister (``bid_persister.py``) writes the stream to SQL, idempotently.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Protocol

from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from liveshop.accounts.models import User
from liveshop.auctions import access
from liveshop.auctions.facts import AuctionFacts, PlacedBid, standing_of_row
from liveshop.auctions.models import Auction, AuctionBid, AuctionEnding, AuctionStatus
from liveshop.auctions.proxy import AuctionClosed, decide
from liveshop.auctions.redis_bids import RedisBidEngine
from liveshop.auctions.service import auction_not_found, get_auction
from liveshop.auctions.views import BidNews, tell_bids
from liveshop.core.clock import as_utc
from liveshop.core.db import Base
from liveshop.core.errors import Conflict
from liveshop.live.models import Room


class BidEngine(Protocol):
    name: str
    writes_in_request: bool  # a bid's own transaction writes to SQL

    def facts(self, session: Session, *, auction_id: int) -> AuctionFacts:
        """What the auction is (NotFound for an unknown one), for the bid's access check."""

    def require_bidder(self, session: Session, *, facts: AuctionFacts, bidder: User) -> None:
        """The bidder may bid on the auction (``access.require_bidder``)."""

    def place(
        self,
        session: Session,
        *,
        facts: AuctionFacts,
        bidder: User,
        max_amount: int,
        idempotency_key: str,
        moment: datetime,
    ) -> PlacedBid:
        """Decide one bid: where the auction stands after it, the bid, replayed.

        The bidder's access is checked already."""

    def finish(self, auction_id: int, *, moment: datetime) -> bool:
        """Stop taking bids for an auction due at ``moment``; False when its deadline
        moved past ``moment`` (a late bid the record has not seen yet)."""


@dataclass(frozen=True)
class LockedFacts(AuctionFacts):
    """Facts read with the auction's row locked, and that row: on SQL a bid reads the
    auction once (the session's identity map holds it only weakly)."""

    row: Auction | None = field(default=None, compare=False, repr=False)


# The bid a retry made already (the same bidder and Idempotency-Key), built once.
EARLIER_BID = select(AuctionBid).where(
    AuctionBid.auction_id == bindparam("auction_id"),
    AuctionBid.bidder_id == bindparam("bidder_id"),
    AuctionBid.idempotency_key == bindparam("key"),
)


# The auction's row, locked (on PostgreSQL; SQLite's writer already holds the database),
# read afresh, and its room's host: the SQL engine's first statement of a bid.
AUCTION_AND_HOST = (
    select(Auction, Room.host_id)
    .join(Room, Room.id == Auction.room_id)
    .where(Auction.id == bindparam("auction_id"))
    .with_for_update(of=Auction)
    .execution_options(populate_existing=True)
)


ADVANCED_COLUMNS = ("bid_count", "current_price", "leader_id", "leader_max", "ends_at")
# A bid's two writes, Core statements built once (the ORM's flush of the row and the
# bid cost more than the statements themselves).
BIDS_TABLE = Base.metadata.tables[AuctionBid.__tablename__]
BID_COLUMNS = (
    "auction_id",
    "seq",
    "bidder_id",
    "max_amount",
    "price_after",
    "leading",
    "idempotency_key",
    "created_at",
)
RECORD_BID = insert(BIDS_TABLE)
AUCTIONS_TABLE = Base.metadata.tables[Auction.__tablename__]
ADVANCE_AUCTION = (
    update(AUCTIONS_TABLE)
    .where(AUCTIONS_TABLE.c.id == bindparam("auction_id"))
    .values({name: bindparam(name) for name in ADVANCED_COLUMNS})
)


def replayed_bid(earlier: AuctionBid, max_amount: int) -> AuctionBid:
    if earlier.max_amount != max_amount:
        raise Conflict(
            "this Idempotency-Key was used for another amount", code="idempotency_conflict"
        )
    return earlier


class SqlBidEngine:
    """One bid is one transaction that locks the auction's row (``SELECT ... FOR
    UPDATE`` on PostgreSQL; on SQLite every writing unit of work begins with ``BEGIN
    IMMEDIATE``, which already admits one writer at a time)."""

    name = "sql"
    writes_in_request = True

    def facts(self, session: Session, *, auction_id: int) -> AuctionFacts:
        """From the auction's row, locked now and handed to ``place`` with the facts, and
        its room's host, in one statement: a bid reads them once. A refused bidder holds
        the lock only until their rollback."""
        found = session.execute(AUCTION_AND_HOST, {"auction_id": auction_id}).first()
        if found is None:
            raise auction_not_found(auction_id)
        auction, host_id = found
        facts = AuctionFacts.of(auction, host_id=host_id)
        return LockedFacts(**vars(facts), row=auction)

    def require_bidder(self, session: Session, *, facts: AuctionFacts, bidder: User) -> None:
        access.require_bidder(session, actor=bidder, shop_id=facts.shop_id, host_id=facts.host_id)

    def place(
        self,
        session: Session,
        *,
        facts: AuctionFacts,
        bidder: User,
        max_amount: int,
        idempotency_key: str,
        moment: datetime,
    ) -> PlacedBid:
        if isinstance(facts, LockedFacts) and facts.row is not None:
            auction = facts.row
        else:
            auction = get_auction(session, auction_id=facts.id, lock=True)
        earlier = session.scalars(
            EARLIER_BID, {"auction_id": auction.id, "bidder_id": bidder.id, "key": idempotency_key}
        ).first()
        if earlier is not None:
            standing = standing_of_row(session, facts, auction, bidder)
            return PlacedBid(standing, replayed_bid(earlier, max_amount), True)
        if auction.status != AuctionStatus.RUNNING or auction.ends_at is None:
            raise AuctionClosed("the auction is not taking bids")
        if moment >= as_utc(auction.ends_at):
            raise AuctionClosed("the auction has ended")
        decision = decide(
            increments=auction.increments,
            starting_price=auction.starting_price,
            reserve_price=auction.reserve_price,
            leader_id=auction.leader_id,
            leader_max=auction.leader_max,
            current_price=auction.current_price,
            bidder_id=bidder.id,
            max_amount=max_amount,
        )
        ends_at = as_utc(auction.ends_at)
        extended = False
        if auction.ending == AuctionEnding.EXTEND and auction.extend_seconds > 0:
            floor = moment + timedelta(seconds=auction.extend_seconds)
            if ends_at < floor:
                ends_at, extended = floor, True
        bid = AuctionBid(
            auction_id=auction.id,
            seq=auction.bid_count + 1,
            bidder_id=bidder.id,
            max_amount=max_amount,
            price_after=decision.price,
            leading=decision.leading,
            idempotency_key=idempotency_key,
            created_at=moment,
        )
        advanced = {
            "bid_count": bid.seq,
            "current_price": decision.price,
            "leader_id": decision.leader_id,
            "leader_max": decision.leader_max,
            "ends_at": ends_at,
        }
        try:
            session.execute(RECORD_BID, {column: getattr(bid, column) for column in BID_COLUMNS})
        except IntegrityError as error:  # only if a lock was somehow not held (rolled back)
            raise Conflict("this bid is being placed already", code="bid_in_progress") from error
        session.execute(ADVANCE_AUCTION, {"auction_id": auction.id, **advanced})
        for name, value in advanced.items():  # as written: nothing left for the flush
            set_committed_value(auction, name, value)
        news = BidNews(
            bidder_name=bidder.public_name,
            bidder_id=bidder.id,
            seq=bid.seq,
            price=decision.price,
            outbid_id=decision.outbid_id,
            extended=extended,
            moment=moment,
        )
        tell_bids(session, [(auction, news)])
        return PlacedBid(standing_of_row(session, facts, auction, bidder), bid, False)

    def finish(self, auction_id: int, *, moment: datetime) -> bool:
        return True  # the closing reads the row under its lock: nothing is elsewhere


SQL_BIDS = SqlBidEngine()


def make_bid_engine(redis_url: str | None) -> BidEngine:
    return RedisBidEngine(redis_url) if redis_url else SQL_BIDS


@lru_cache(maxsize=16)
def bid_engine_for(redis_url: str | None) -> BidEngine:
    """One engine per process and Redis (its connection pool and loaded scripts)."""
    return make_bid_engine(redis_url)

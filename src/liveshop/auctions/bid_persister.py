"""Writes the Redis bids stream to the SQL record (``auction_bids`` and the auction's
row), in batches, acknowledging entries only after their transaction commits.

Idempotent, so an entry written twice (a crash between commit and acknowledgement,
or the closing job draining alongside the persister) changes nothing the second
time: a bid row is inserted with ON CONFLICT DO NOTHING on (auction, bidder,
Idempotency-Key), and the auction's row takes a bid's state only when that bid's
``seq`` is above the row's ``bid_count`` (a conditional update, never backwards).
What a bid tells (the outbid notice, the room's line) goes with its first write.

After ``kill -9`` nothing is lost: entries the dead process had read but not
acknowledged are still pending in the group and are read again (``0``) before new
ones (``>``), by whichever process runs the persister next.

The stream keeps only what is not in the record yet: after each acknowledgement the
entries every reader has acknowledged are trimmed (``core/redis_streams.py``); one
read and not acknowledged (pending), and every later one, stays.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import redis
from sqlalchemy import bindparam, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from liveshop.accounts.models import User
from liveshop.auctions.models import Auction, AuctionBid
from liveshop.auctions.redis_bids import PERSISTERS, RedisBidEngine, from_us
from liveshop.auctions.views import BidNews, tell_bids
from liveshop.core.db import Base, unit_of_work
from liveshop.core.redis_streams import trim_acknowledged

logger = logging.getLogger(__name__)

CONSUMER = "persister"  # one name for every process: a restart reads its pending entries
BATCH = 500  # entries per transaction


@dataclass(frozen=True)
class StreamedBid:
    """One entry of the bids stream: the bid and the auction's state right after it."""

    auction_id: int
    seq: int
    bidder_id: int
    max_amount: int
    price: int
    leading: bool
    leader_id: int
    leader_max: int
    outbid_id: int | None
    ends_at: datetime
    at: datetime
    key: str
    extended: bool

    @classmethod
    def parse(cls, fields: dict[bytes, bytes]) -> StreamedBid:
        packed = fields.get(b"bid")
        if packed is None:
            return cls.parse_by_field(fields)
        auction, seq, bidder, amount, price, leading, leader, top, outbid, ends_at, at, extended = (
            packed.split(b":")
        )
        return cls(
            auction_id=int(auction),
            seq=int(seq),
            bidder_id=int(bidder),
            max_amount=int(amount),
            price=int(price),
            leading=leading == b"1",
            leader_id=int(leader),
            leader_max=int(top),
            outbid_id=int(outbid) if outbid else None,
            ends_at=from_us(int(ends_at)),
            at=from_us(int(at)),
            key=fields[b"key"].decode(),
            extended=extended == b"1",
        )

    @classmethod
    def parse_by_field(cls, fields: dict[bytes, bytes]) -> StreamedBid:
        """An entry of a field per value, as the bid script wrote them before the
        packed "bid" field: still read, for entries a persister had not written when
        the script changed."""

        def number(name: str) -> int:
            return int(float(fields[name.encode()]))

        outbid = fields[b"outbid"]
        return cls(
            auction_id=number("auction"),
            seq=number("seq"),
            bidder_id=number("bidder"),
            max_amount=number("max"),
            price=number("price"),
            leading=fields[b"leading"] == b"1",
            leader_id=number("leader"),
            leader_max=number("leader_max"),
            outbid_id=int(float(outbid)) if outbid else None,
            ends_at=from_us(number("ends_at")),
            at=from_us(number("at")),
            key=fields[b"key"].decode(),
            extended=fields[b"extended"] == b"1",
        )


def ensure_group(engine: RedisBidEngine) -> None:
    try:
        engine.client.xgroup_create(engine.stream, PERSISTERS, id="0", mkstream=True)
    except redis.ResponseError as error:
        if "BUSYGROUP" not in str(error):
            raise


def persist_bids(database_url: str, engine: RedisBidEngine, *, block_ms: int | None = None) -> int:
    """Write every pending, then every new entry of the stream; the bids written now.

    ``block_ms``: wait that long for a first new entry when there is none."""
    ensure_group(engine)
    written = 0
    for start in ("0", ">"):
        while True:
            reply: Any = engine.client.xreadgroup(
                PERSISTERS,
                CONSUMER,
                {engine.stream: start},
                count=BATCH,
                block=block_ms if start == ">" else None,
            )
            entries = reply[0][1] if reply else []
            if not entries:
                break
            written += write_entries(database_url, [fields for _id, fields in entries if fields])
            engine.client.xack(engine.stream, PERSISTERS, *[entry_id for entry_id, _ in entries])
            trim_acknowledged(engine.client, engine.stream)
            block_ms = None
            if len(entries) < BATCH:
                break
    return written


def write_entries(database_url: str, entries: list[dict[bytes, bytes]]) -> int:
    """Write stream entries' bids in one transaction; the bids new to the record.

    A batch costs a few statements whatever its size: the auctions' rows advanced (one
    per auction), one multi-row insert of the bids (those already recorded skipped), one
    read of its auctions and one of its bidders, and what the new bids tell
    (``tell_bids``: one read of the outbid bidders' preferences, one insert of their
    notices)."""
    bids = sorted((StreamedBid.parse(fields) for fields in entries), key=_order)
    if not bids:
        return 0
    with unit_of_work(database_url) as session:
        latest: dict[int, StreamedBid] = {}
        for bid in bids:
            latest[bid.auction_id] = bid  # sorted: the last is the highest seq
        session.execute(ADVANCE_ROW, [_advanced(bid) for bid in latest.values()])
        new = _insert(session, bids)
        inserted = [bid for bid in bids if (bid.auction_id, bid.seq) in new]
        if not inserted:
            return 0
        # held here: the session's identity map keeps rows only while they are referenced
        auctions = {
            auction.id: auction
            for auction in session.scalars(select(Auction).where(Auction.id.in_(latest)))
        }
        bidders = select(User.id, User.public_name).where(
            User.id.in_({bid.bidder_id for bid in inserted})
        )
        names = {user_id: name for user_id, name in session.execute(bidders)}
        tell_bids(session, [(auctions[bid.auction_id], _news(bid, names)) for bid in inserted])
    return len(inserted)


def _order(bid: StreamedBid) -> tuple[int, int]:
    return bid.auction_id, bid.seq


def _news(bid: StreamedBid, names: dict[int, str]) -> BidNews:
    return BidNews(
        bidder_name=names[bid.bidder_id],
        bidder_id=bid.bidder_id,
        seq=bid.seq,
        price=bid.price,
        outbid_id=bid.outbid_id,
        extended=bid.extended,
        moment=bid.at,
    )


AUCTIONS = Base.metadata.tables[Auction.__tablename__]
# The auction's row takes the state after a bid unless it holds a later bid's. Core
# statements built once: their compiled forms are cached.
ADVANCE_ROW = (
    update(AUCTIONS)
    .where(AUCTIONS.c.id == bindparam("auction"), AUCTIONS.c.bid_count < bindparam("seq"))
    .values(
        bid_count=bindparam("seq"),
        current_price=bindparam("price"),
        leader_id=bindparam("leader"),
        leader_max=bindparam("leader_max"),
        ends_at=bindparam("ends_at"),
    )
)
BIDS = Base.metadata.tables[AuctionBid.__tablename__]
INSERT_BIDS = {
    dialect.__name__.rsplit(".", 1)[-1]: dialect.insert(BIDS)
    .on_conflict_do_nothing()
    .returning(BIDS.c.auction_id, BIDS.c.seq)
    for dialect in (postgresql, sqlite)
}


def _advanced(bid: StreamedBid) -> dict[str, Any]:
    return {
        "auction": bid.auction_id,
        "seq": bid.seq,
        "price": bid.price,
        "leader": bid.leader_id,
        "leader_max": bid.leader_max,
        "ends_at": bid.ends_at,
    }


def _insert(session: Session, bids: list[StreamedBid]) -> set[tuple[int, int]]:
    """Insert the bids the record does not hold yet (as multi-row VALUES); (auction,
    seq) of those inserted."""
    rows = [
        {
            "auction_id": bid.auction_id,
            "seq": bid.seq,
            "bidder_id": bid.bidder_id,
            "max_amount": bid.max_amount,
            "price_after": bid.price,
            "leading": bid.leading,
            "idempotency_key": bid.key,
            "created_at": bid.at,
        }
        for bid in bids
    ]
    statement = INSERT_BIDS[session.get_bind().dialect.name]
    return {(auction_id, seq) for auction_id, seq in session.execute(statement, rows)}

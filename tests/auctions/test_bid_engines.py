"""The SQL and Redis bid engines give the same outcome for the same bids: refusals
(too low, not above one's own maximum, a reused key with another amount, after the
deadline), replays, the price by the proxy rule with its increment bands and the
reserve, the anti-sniping extension; then the same bid log in the room (masked
names), the same winner at the same price and the same second-chance offer."""

from __future__ import annotations

from datetime import datetime, timedelta

from liveshop.accounts.models import User
from liveshop.auctions import bidding, views
from liveshop.auctions.bid_persister import CONSUMER, ensure_group, persist_bids, write_entries
from liveshop.auctions.closing import offer_unpaid_auctions
from liveshop.auctions.engines import SQL_BIDS, BidEngine
from liveshop.auctions.jobs import run_auction_jobs_once
from liveshop.auctions.models import Auction
from liveshop.auctions.redis_bids import PERSISTERS, RedisBidEngine
from liveshop.core.clock import as_utc
from liveshop.core.db import unit_of_work
from liveshop.core.errors import LiveShopError
from liveshop.orders.models import Order
from tests.auctions.conftest import Shelf, bid_log, bidders, running_auction

# (seconds after the start, bidder, maximum, key); the auction runs 60 s, extends by 20
BIDS = [
    (1, 0, 900, "k1"),
    (2, 0, 3_000, "k2"),
    (3, 1, 2_000, "k3"),
    (4, 0, 2_500, "k4"),
    (5, 1, 2_100, "k5"),
    (6, 1, 9_000, "k6"),
    (7, 0, 9_000, "k7"),
    (8, 2, 12_000, "k8"),
    (9, 2, 15_000, "k9"),
    (10, 2, 12_000, "k8"),
    (11, 2, 13_000, "k8"),
    (50, 3, 20_000, "k12"),
    (65, 0, 30_000, "k13"),
    (90, 1, 40_000, "k14"),
]
# what each gives: the error's code, or (seq, price after, leading, replayed)
EXPECTED: list[object] = [
    "bid_too_low",
    (1, 1_000, True, False),
    (2, 2_100, False, False),
    "not_above_own_maximum",
    "bid_too_low",
    (3, 8_000, True, False),  # the reserve is met: the price jumps to it
    (4, 9_000, False, False),  # a tie: the earlier maximum keeps the lead
    (5, 9_100, True, False),
    (6, 9_100, True, False),
    (5, 9_100, True, True),
    "idempotency_conflict",
    (7, 15_500, True, False),  # 10 s before the end: extended to 70 s
    (8, 20_500, True, False),  # before 70 s: extended to 85 s
    "auction_closed",
]


def _run(
    database_url: str, engine: BidEngine, auction_id: int, people: list[int]
) -> tuple[list[object], datetime]:
    with unit_of_work(database_url) as session:
        started = session.get_one(Auction, auction_id).starts_at
        assert started is not None
        start = as_utc(started)
    answers: list[object] = []
    for offset, who, amount, key in BIDS:
        try:
            with unit_of_work(database_url) as session:
                _auction, bid, replayed = bidding.place_bid(
                    session,
                    bidder=session.get_one(User, people[who]),
                    auction_id=auction_id,
                    max_amount=amount,
                    idempotency_key=key,
                    now=start + timedelta(seconds=offset),
                    engine=engine,
                )
                answers.append((bid.seq, bid.price_after, bid.leading, replayed))
        except LiveShopError as error:
            answers.append(error.code)
    return answers, start


def _room_view(database_url: str, auction_id: int, start: datetime) -> dict[str, object]:
    with unit_of_work(database_url) as session:
        auction = session.get_one(Auction, auction_id)
        seen = views.auction_out(session, auction, viewer=None, now=start)
    return {
        "bids": [(b.seq, b.bidder, b.price_after, b.leading, b.at - start) for b in seen.bids],
        "state": (seen.current_price, seen.leader, seen.bid_count, seen.next_minimum),
        "ends_in": (seen.ends_at - start) if seen.ends_at else None,
        "reserve_met": seen.reserve_met,
        "sold": (seen.status, seen.buyer, seen.sold_price),
    }


def test_sql_and_redis_decide_the_same_bids_the_same_way(
    database_url: str, shelf: Shelf, redis_bids: RedisBidEngine
) -> None:
    people = [bidders(database_url, 1, prefix=name)[0] for name in ("amy", "ben", "cat", "dan")]
    terms = {"duration_seconds": 60, "extend_seconds": 20, "reserve_price": 8_000}
    in_sql = running_auction(database_url, shelf, **terms)
    in_redis = running_auction(database_url, shelf, **terms)

    sql_answers, sql_start = _run(database_url, SQL_BIDS, in_sql, people)
    redis_answers, redis_start = _run(database_url, redis_bids, in_redis, people)
    assert sql_answers == EXPECTED
    assert redis_answers == EXPECTED
    assert persist_bids(database_url, redis_bids) == 8
    assert persist_bids(database_url, redis_bids) == 0  # written once

    sql_view = _room_view(database_url, in_sql, sql_start)
    assert sql_view == _room_view(database_url, in_redis, redis_start)
    assert sql_view["state"] == (20_500, "a**", 8, 21_000)
    assert sql_view["ends_in"] == timedelta(seconds=85)

    run_auction_jobs_once(database_url, redis_bids, now=redis_start + timedelta(seconds=200))
    sold = _room_view(database_url, in_sql, sql_start)["sold"]
    assert sold == _room_view(database_url, in_redis, redis_start)["sold"]
    assert sold == ("won", "a**", 20_500)

    with unit_of_work(database_url) as session:  # nobody pays: the runner-up is offered it
        orders = [session.get_one(Auction, a).order_id for a in (in_sql, in_redis)]
        late = max(as_utc(session.get_one(Order, o).expires_at) for o in orders if o) + timedelta(
            minutes=1
        )
        assert sorted(offer_unpaid_auctions(session, now=late)) == sorted([in_sql, in_redis])
    offered = _room_view(database_url, in_sql, sql_start)["sold"]
    assert offered == _room_view(database_url, in_redis, redis_start)["sold"]
    assert offered == ("offered", "d**", 20_000)


def test_the_persister_recovers_what_a_killed_persister_read_and_writes_it_once(
    database_url: str, shelf: Shelf, redis_bids: RedisBidEngine
) -> None:
    """Entries a persister read and died on (pending in the group) are written by the
    next one; entries written and not acknowledged (a kill between commit and
    acknowledgement) are not written again."""
    people = [bidders(database_url, 1, prefix=name)[0] for name in ("eve", "fay")]
    auction_id = running_auction(database_url, shelf, duration_seconds=600)
    with unit_of_work(database_url) as session:
        for index in range(6):
            bidding.place_bid(
                session,
                bidder=session.get_one(User, people[index % 2]),
                auction_id=auction_id,
                max_amount=2_000 + index * 1_000,
                idempotency_key=f"r{index}",
                engine=redis_bids,
            )
    ensure_group(redis_bids)
    read = redis_bids.client.xreadgroup(
        PERSISTERS, CONSUMER, {redis_bids.stream: ">"}, count=4
    )  # the killed persister's read: never written, never acknowledged
    assert len(read[0][1]) == 4
    entries = redis_bids.client.xrange(redis_bids.stream)  # trimmed once written
    assert persist_bids(database_url, redis_bids) == 6
    assert redis_bids.client.xpending(redis_bids.stream, PERSISTERS)["pending"] == 0

    assert write_entries(database_url, [fields for _id, fields in entries]) == 0  # again
    with unit_of_work(database_url) as session:
        log = bid_log(session, auction_id)
        auction = session.get_one(Auction, auction_id)
        assert [row.seq for row in log] == [1, 2, 3, 4, 5, 6]
        assert [row.idempotency_key for row in log] == [f"r{index}" for index in range(6)]
        assert (auction.bid_count, auction.leader_id, auction.current_price) == (
            6,
            people[1],
            6_100,
        )

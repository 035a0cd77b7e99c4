"""1,000 bids racing from 16 threads, with retried keys: every accepted bid is in the
log once, in one unbroken order, and the winner and price are what the proxy rule
gives for the accepted maxima (second-highest maximum + increment, capped)."""

from __future__ import annotations

import random
import time
from concurrent.futures import ThreadPoolExecutor

from sqlalchemy import func, select

from liveshop.accounts.models import User
from liveshop.auctions import bidding
from liveshop.auctions.models import Auction, AuctionBid
from liveshop.core.db import unit_of_work
from liveshop.core.errors import LiveShopError
from tests.auctions.conftest import Shelf, bid_log, bidders, expected_outcome, running_auction

BIDS = 1_000
BIDDERS = 40


def _bid(database_url: str, auction_id: int, user_id: int, amount: int, key: str) -> str:
    try:
        with unit_of_work(database_url) as session:
            _auction, _bid_row, replayed = bidding.place_bid(
                session,
                bidder=session.get_one(User, user_id),
                auction_id=auction_id,
                max_amount=amount,
                idempotency_key=key,
            )
    except LiveShopError as error:
        return error.code
    return "replayed" if replayed else "accepted"


def test_a_thousand_racing_bids_leave_one_consistent_winner(
    database_url: str, shelf: Shelf
) -> None:
    auction_id = running_auction(database_url, shelf, duration_seconds=600)
    people = bidders(database_url, BIDDERS)
    rng = random.Random(17)
    plan = []
    for index in range(BIDS):
        # rising maxima with noise: many are refused as too low, some are retries
        amount = 1_000 + index * 40 + rng.randrange(0, 4_000)
        if index % 10 == 9:
            plan.append(plan[rng.randrange(len(plan))])  # a retry of an earlier bid
        else:
            plan.append((people[rng.randrange(BIDDERS)], amount, f"bid-{index}"))
    rng.shuffle(plan)

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=16) as pool:
        outcomes = list(pool.map(lambda item: _bid(database_url, auction_id, *item), plan))
    elapsed = time.perf_counter() - started
    print(f"{BIDS} bids in {elapsed:.2f} s")

    assert set(outcomes) <= {"accepted", "replayed", "bid_too_low", "not_above_own_maximum"}
    unique_keys = {(user, key) for user, _amount, key in plan}
    with unit_of_work(database_url) as session:
        auction = session.get_one(Auction, auction_id)
        log = bid_log(session, auction_id)
        keys = session.scalar(
            select(func.count()).select_from(AuctionBid).where(AuctionBid.auction_id == auction_id)
        )
    accepted_calls = outcomes.count("accepted")
    assert len(log) == accepted_calls == auction.bid_count == keys
    assert [row.seq for row in log] == list(range(1, len(log) + 1))
    assert len({(row.bidder_id, row.idempotency_key) for row in log}) == len(log)
    assert len(log) <= len(unique_keys)
    winner, price = expected_outcome(
        [(row.bidder_id, row.max_amount) for row in log], auction.starting_price
    )
    assert (auction.leader_id, auction.current_price) == (winner, price)
    assert auction.leader_max == max(row.max_amount for row in log)

"""The proxy rule on its own: price = second-highest maximum + one increment, capped
at the leader's maximum; ties go to the earlier bid; the reserve lifts the price."""

from __future__ import annotations

import pytest

from liveshop.auctions.proxy import BidTooLow, Decision, decide, increment_at
from liveshop.auctions.schemas import DEFAULT_INCREMENTS

BANDS = [(0, 100), (10_000, 500), (50_000, 1_000)]


def bid(state: Decision | None, bidder: int, amount: int, reserve: int | None = None) -> Decision:
    return decide(
        increments=BANDS,
        starting_price=1_000,
        reserve_price=reserve,
        leader_id=state.leader_id if state else None,
        leader_max=state.leader_max if state else None,
        current_price=state.price if state else None,
        bidder_id=bidder,
        max_amount=amount,
    )


def test_increment_bands() -> None:
    assert increment_at(BANDS, 0) == 100
    assert increment_at(BANDS, 9_999) == 100
    assert increment_at(BANDS, 10_000) == 500
    assert increment_at(BANDS, 80_000) == 1_000
    assert increment_at(DEFAULT_INCREMENTS, 600_000) == 10_000


def test_first_bid_opens_at_the_starting_price() -> None:
    first = bid(None, 1, 50_000)
    assert (first.price, first.leader_id, first.leader_max) == (1_000, 1, 50_000)
    with pytest.raises(BidTooLow):
        bid(None, 1, 999)


def test_challenger_pays_second_maximum_plus_increment() -> None:
    state = bid(None, 1, 20_000)
    state = bid(state, 2, 30_000)
    assert (state.leader_id, state.price, state.outbid_id) == (2, 20_500, 1)
    # a lower challenger lifts the price to their maximum + increment, capped
    state = bid(state, 3, 29_800)
    assert (state.leader_id, state.price) == (2, 30_000)
    assert not state.leading


def test_a_tie_goes_to_the_earlier_bid() -> None:
    state = bid(bid(None, 1, 20_000), 2, 20_000)
    assert (state.leader_id, state.price) == (1, 20_000)


def test_bids_below_the_next_minimum_are_refused() -> None:
    state = bid(bid(None, 1, 20_000), 2, 5_000)  # price 5_100
    assert state.price == 5_100
    with pytest.raises(BidTooLow):
        bid(state, 3, 5_150)  # below 5_100 + 100
    with pytest.raises(BidTooLow):
        bid(state, 1, 20_000)  # the leader must raise their own maximum


def test_the_reserve_lifts_the_price_once_a_maximum_reaches_it() -> None:
    state = bid(None, 1, 8_000, reserve=6_000)
    assert state.price == 6_000
    low = bid(None, 1, 5_000, reserve=6_000)
    assert low.price == 1_000
    raised = bid(low, 1, 7_000, reserve=6_000)
    assert (raised.price, raised.leader_max) == (6_000, 7_000)

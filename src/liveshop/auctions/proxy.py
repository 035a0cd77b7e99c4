"""The proxy rule, without the database.

Each bidder gives the most they will pay; the price is the second-highest maximum
plus one increment (the increment of the band that maximum falls in), capped at the
leader's maximum, and never below the starting price (nor below the reserve once
the leader's maximum reaches it). On equal maxima the earlier bid leads.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from liveshop.auctions.models import Auction
from liveshop.core.errors import Conflict


class BidTooLow(Conflict):
    code = "bid_too_low"


class AuctionClosed(Conflict):
    code = "auction_closed"


def yuan(amount: int) -> str:
    return f"¥{amount / 100:.2f}"


def increment_at(increments: Sequence[Sequence[int]], price: int) -> int:
    """The step of the band ``price`` falls in."""
    step = int(increments[0][1])
    for start, band_step in increments:
        if price >= start:
            step = int(band_step)
    return step


def next_minimum(auction: Auction) -> int:
    """The least a new bidder may offer now."""
    return minimum_bid(
        increments=auction.increments,
        starting_price=auction.starting_price,
        current_price=auction.current_price if auction.leader_id is not None else None,
    )


def minimum_bid(
    *, increments: Sequence[Sequence[int]], starting_price: int, current_price: int | None
) -> int:
    """The least a new bidder may offer at ``current_price`` (None: nobody leads yet)."""
    if current_price is None:
        return starting_price
    return current_price + increment_at(increments, current_price)


@dataclass(frozen=True)
class Decision:
    """What a bid does to the auction: the new price, leader and their maximum."""

    price: int
    leader_id: int
    leader_max: int
    leading: bool  # the bidder leads after the bid
    outbid_id: int | None  # a previous leader who lost the lead


def decide(
    *,
    increments: Sequence[Sequence[int]],
    starting_price: int,
    reserve_price: int | None,
    leader_id: int | None,
    leader_max: int | None,
    current_price: int | None,
    bidder_id: int,
    max_amount: int,
) -> Decision:
    """The proxy rule (see the module)."""
    if leader_id is None or leader_max is None or current_price is None:
        if max_amount < starting_price:
            raise BidTooLow(f"the starting price is {yuan(starting_price)}")
        price = starting_price
        if reserve_price is not None and max_amount >= reserve_price:
            price = max(price, reserve_price)
        return Decision(price, bidder_id, max_amount, True, None)
    if bidder_id == leader_id:
        if max_amount <= leader_max:
            raise BidTooLow(
                f"you lead with a maximum of {yuan(leader_max)}; raise it to change it",
                code="not_above_own_maximum",
            )
        price = current_price
        if reserve_price is not None and max_amount >= reserve_price:
            price = max(price, reserve_price)
        return Decision(price, bidder_id, max_amount, True, None)
    minimum = current_price + increment_at(increments, current_price)
    if max_amount < minimum:
        raise BidTooLow(f"the next bid is at least {yuan(minimum)}")
    if max_amount > leader_max:
        price = min(max_amount, leader_max + increment_at(increments, leader_max))
        if reserve_price is not None and max_amount >= reserve_price:
            price = max(price, reserve_price)
        return Decision(price, bidder_id, max_amount, True, leader_id)
    # the leader's proxy answers: the earlier bid keeps the lead on a tie
    price = min(leader_max, max_amount + increment_at(increments, max_amount))
    return Decision(max(price, current_price), leader_id, leader_max, False, None)
